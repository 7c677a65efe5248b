"""Wrap-up and offer outcomes (pure): what an expired offer counts as, when wrap-up ends, how long it runs."""

from __future__ import annotations

import pytest

from agent_ui.desk_config import outcome_choice
from contact_center.errors import ValidationError
from routing.config import DepartmentWrapUp, load_config
from routing.model import AgentState
from routing.selection import Need, eligible
from routing.wrapup import MAX_EXTENSION, MAX_WRAP_UP, WrapUp, extended_until, offer_outcome, wrap_ends, wrap_up_for

NOW = 1000.0


@pytest.mark.parametrize(("timed_out", "reachable", "outcome"), [
    (False, True, "rejected"),
    (False, False, "rejected"),
    (True, True, "ignored"),
    (True, False, "unreachable"),
])
def test_offer_outcome(timed_out: bool, reachable: bool, outcome: str) -> None:
    """A timed-out offer is ignored only when the agent could be reached; a rejection is a rejection."""
    assert offer_outcome(timed_out=timed_out, reachable=reachable) == outcome


@pytest.mark.parametrize(("seconds", "required", "closed", "expected"), [
    (10.0, False, False, WrapUp(10.0, False)),
    (10.0, True, False, WrapUp(10.0, True)),
    (10.0, True, True, WrapUp(10.0, False)),  # closed with its outcome already: nothing to wait for
    (0.0, True, False, WrapUp(0.0, True)),
    (0.0, False, False, WrapUp(0.0, False)),
    (-5.0, False, False, WrapUp(0.0, False)),
])
def test_wrap_up_for(seconds: float, required: bool, closed: bool, expected: WrapUp) -> None:
    """The after-call work a finished contact gives: its time, and a hold while an outcome is required."""
    wrap = wrap_up_for(seconds, required, closed=closed)
    assert wrap == expected
    assert wrap.needed is (expected.seconds > 0 or expected.hold)


def _agent(**kw: object) -> AgentState:
    base: dict[str, object] = {"departments": ("sales",), "capacity": {"call": 1, "email": 2},
                               "presence": "available"}
    return AgentState(user_id=1, **{**base, **kw})  # type: ignore[arg-type]


@pytest.mark.parametrize(("agent", "cid", "chosen", "ends"), [
    (_agent(wrap_conversation=7, wrap_until=NOW - 1), 7, False, True),  # time ran out, nothing required
    (_agent(wrap_conversation=7, wrap_until=NOW + 5), 7, False, False),  # extended past now
    (_agent(wrap_conversation=7, wrap_until=NOW - 1, wrap_hold=True), 7, False, False),  # outcome missing
    (_agent(wrap_conversation=7, wrap_until=NOW + 5, wrap_hold=True), 7, True, True),  # Ready with the outcome
    (_agent(wrap_conversation=7, wrap_until=NOW + 5), 7, True, True),  # Ready early
    (_agent(wrap_conversation=8, wrap_until=NOW - 1), 7, True, False),  # another contact's wrap-up
    (_agent(wrap_conversation=None), 7, True, False),  # not wrapping up
])
def test_wrap_ends(agent: AgentState, cid: int, chosen: bool, ends: bool) -> None:
    """Wrap-up ends at once with the outcome chosen; by time only with no outcome required."""
    assert wrap_ends(agent, cid, NOW, outcome_chosen=chosen) is ends


@pytest.mark.parametrize(("until", "seconds", "expected"), [
    (NOW + 10, 30, NOW + 40),
    (NOW - 10, 30, NOW + 30),  # over already: counted from now
    (NOW + 10, 10_000, NOW + 10 + MAX_EXTENSION),
    (NOW + MAX_WRAP_UP - 5, 30, NOW + MAX_WRAP_UP),
    (NOW + 10, -5, NOW + 10),
])
def test_extended_until(until: float, seconds: float, expected: float) -> None:
    """Asking for more time adds to what is left, capped per request and in total."""
    assert extended_until(_agent(wrap_until=until, wrap_conversation=7), seconds, NOW) == expected


@pytest.mark.parametrize(("agent", "state", "eligible_now"), [
    (_agent(), "available", True),
    (_agent(wrap_until=NOW + 5, wrap_conversation=7), "wrap_up", False),
    (_agent(wrap_until=NOW - 5, wrap_conversation=7, wrap_hold=True), "wrap_up", False),
    (_agent(wrap_until=NOW - 5, wrap_conversation=7), "available", True),
])
def test_an_agent_in_wrap_up_gets_no_offer(agent: AgentState, state: str, eligible_now: bool) -> None:
    """Routing offers nothing during after-call work, nor after it while a required outcome is missing."""
    assert agent.state(NOW) == state
    assert eligible(agent, Need("email", "sales"), NOW) is eligible_now


def test_department_wrap_up_settings_shape_the_call_policy() -> None:
    """A department's after-call work and required outcome apply to its calls; configuration still wins."""
    config = load_config({})
    assert config.policy("sales.call", "call", None).wrap_up == 10.0
    wrap = DepartmentWrapUp(seconds=45.0, outcome_required=True)
    call = config.policy("sales.call", "call", None, wrap)
    assert (call.wrap_up, call.outcome_required) == (45.0, True)
    email = config.policy("sales.email", "email", None, wrap)
    assert (email.wrap_up, email.outcome_required) == (0.0, False)
    assert config.policy("sales.call", "call", None, DepartmentWrapUp(None, False)).wrap_up == 10.0
    toml = load_config({"wrap_up_seconds": 5, "queues": {"sales.call": {"after_call_work_seconds": 30}}},
                       store_departments=["sales", "service"])
    assert toml.policy("service.call", "call", None, wrap).wrap_up == 45.0  # the department over the file's default
    assert toml.policy("service.call", "call", None).wrap_up == 5.0
    assert toml.policy("sales.call", "call", None, wrap).wrap_up == 30.0  # the queue's own section wins


@pytest.mark.parametrize(("code", "allowed", "required", "result"), [
    ("sale", ("sale", "no_action"), True, "sale"),
    ("sale", ("sale",), False, "sale"),
    (None, ("sale",), False, None),
    ("", ("sale",), False, None),
])
def test_outcome_choice(code: str | None, allowed: tuple[str, ...], required: bool, result: str | None) -> None:
    """The outcome recorded: a known code, or none where none is required."""
    assert outcome_choice(code, allowed=allowed, required=required) == result


@pytest.mark.parametrize(("code", "allowed", "required"), [
    (None, ("sale",), True),
    ("", ("sale",), True),
    ("resolved", ("sale", "no_action"), True),
    ("resolved", ("sale",), False),
])
def test_outcome_choice_refuses(code: str | None, allowed: tuple[str, ...], required: bool) -> None:
    """A missing required outcome or an unknown code is refused, naming the disposition field."""
    with pytest.raises(ValidationError) as raised:
        outcome_choice(code, allowed=allowed, required=required)
    assert raised.value.field == "disposition"
