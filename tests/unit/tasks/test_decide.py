"""Tasks' pure decisions: which calls ask for a callback, what an outcome does, follow-up times,
whom a due task returns to, and the conversation states a follow-up moves through."""

from __future__ import annotations

import datetime as dt

import pytest

from contact_center.errors import Conflict, ValidationError
from contact_center.inbox.conversations import Action, ConversationState, transition
from contact_center.tasks.decide import (
    OutcomeStep,
    callable_number,
    can_follow_up,
    check_future,
    outcome_step,
    parse_time,
    returns_to,
    wants_callback,
)

NOW = dt.datetime(2026, 12, 8, 9, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(hours=2)


@pytest.mark.parametrize(("number", "expected"), [
    ("+49301234567", "+49301234567"), (" 0301234567 ", "0301234567"), ("anonymous", None), ("", None),
    (None, None), ("12", None), ("+49 30 1234", None), ("unknown", None),
])
def test_callable_number(number: str | None, expected: str | None) -> None:
    """Only digits (with an optional +) can be dialled back."""
    assert callable_number(number) == expected


@pytest.mark.parametrize(("direction", "missed", "number", "blocked", "expected"), [
    ("in", True, "+49301234567", False, True),  # hung up in the queue, while ringing, or voicemail
    ("in", False, "+49301234567", False, False),  # answered
    ("out", True, "+49301234567", False, False),  # our own call nobody answered
    ("in", True, "anonymous", False, False),  # no number to call
    ("in", True, "+49301234567", True, False),  # a blocked caller
    (None, True, "+49301234567", False, False),  # direction never reported
])
def test_wants_callback(direction: str | None, missed: bool, number: str, blocked: bool, expected: bool) -> None:
    """A callback for an inbound call nobody answered from a number that can be dialled and is not blocked."""
    assert wants_callback(direction=direction, missed=missed, number=number, blocked=blocked) is expected


@pytest.mark.parametrize(("outcome", "retry_at", "expected"), [
    ("reached", None, OutcomeStep("reached", close=True)),
    ("wrong_number", None, OutcomeStep("wrong_number", close=True)),
    ("not_needed", None, OutcomeStep("not_needed", close=True)),
    ("no_answer", None, OutcomeStep("no_answer", close=True)),  # given up
    ("no_answer", LATER, OutcomeStep("no_answer", close=False, retry_at=LATER)),
    ("busy", LATER, OutcomeStep("busy", close=False, retry_at=LATER)),
    ("voicemail", LATER, OutcomeStep("voicemail", close=False, retry_at=LATER)),
])
def test_outcome_step(outcome: str, retry_at: dt.datetime | None, expected: OutcomeStep) -> None:
    """Reached, wrong number, not needed close the callback; not reached with a time tries again then."""
    assert outcome_step(outcome, retry_at, now=NOW) == expected


@pytest.mark.parametrize(("outcome", "retry_at", "field"), [
    ("maybe", None, "outcome"),
    ("", None, "outcome"),
    ("reached", LATER, "retry_at"),  # reached needs no retry
    ("no_answer", NOW, "retry_at"),  # not in the future
    ("no_answer", NOW - dt.timedelta(minutes=1), "retry_at"),
    ("busy", NOW + dt.timedelta(days=400), "retry_at"),  # too far ahead
])
def test_bad_outcomes_name_the_field(outcome: str, retry_at: dt.datetime | None, field: str) -> None:
    """A bad outcome or retry time is refused naming its field."""
    with pytest.raises(ValidationError) as caught:
        outcome_step(outcome, retry_at, now=NOW)
    assert caught.value.field == field


@pytest.mark.parametrize(("raw", "expected"), [
    ("2026-12-08T10:30:00+01:00", dt.datetime(2026, 12, 8, 9, 30, tzinfo=dt.UTC)),
    ("2026-12-08T09:30:00Z", dt.datetime(2026, 12, 8, 9, 30, tzinfo=dt.UTC)),
    ("2026-12-08T13:00:00+03:30", dt.datetime(2026, 12, 8, 9, 30, tzinfo=dt.UTC)),
])
def test_parse_time(raw: str, expected: dt.datetime) -> None:
    """ISO times with an offset are read as UTC."""
    assert parse_time("at", raw) == expected


@pytest.mark.parametrize("raw", ["tomorrow", "2026-12-08T09:30:00", "", 17, None, "2026-13-40T00:00:00Z"])
def test_bad_times_name_the_field(raw: object) -> None:
    """Not a time, or a time without its offset: 422 naming the field."""
    with pytest.raises(ValidationError) as caught:
        parse_time("at", raw)
    assert caught.value.field == "at"


def test_check_future() -> None:
    """A follow-up time lies ahead, within a year."""
    assert check_future("at", LATER, now=NOW) == LATER
    with pytest.raises(ValidationError):
        check_future("at", NOW, now=NOW)


@pytest.mark.parametrize(("status", "allowed"), [
    ("assigned", True), ("wrap_up", True), ("closed", True), ("pending", True), ("queued", False), ("offered", False),
])
def test_can_follow_up(status: str, allowed: bool) -> None:
    """A follow-up is set on a conversation an agent has or had, never on one still waiting for an agent."""
    assert can_follow_up(status) is allowed


@pytest.mark.parametrize(("owner", "active", "departments", "department", "expected"), [
    (7, True, ("sales",), "sales", 7),
    (7, True, ("sales",), None, 7),
    (7, False, ("sales",), "sales", None),  # deactivated: the department's queue
    (7, True, ("service",), "sales", None),  # moved to another department
    (None, True, (), "sales", None),
])
def test_returns_to(owner: int | None, active: bool, departments: tuple[str, ...], department: str | None,
                    expected: int | None) -> None:
    """A due task returns to its owner while they are an active agent of its department."""
    assert returns_to(owner, owner_active=active, owner_departments=departments, department=department) == expected


@pytest.mark.parametrize(("before", "action", "after"), [
    (ConversationState("assigned", 3), Action.SNOOZE, ConversationState("pending", 3)),
    (ConversationState("wrap_up", 3), Action.SNOOZE, ConversationState("pending", 3)),
    (ConversationState("closed", None), Action.SNOOZE, ConversationState("pending", 9)),
    (ConversationState("pending", 3), Action.SNOOZE, ConversationState("pending", 3)),
    (ConversationState("pending", 3), Action.WAKE, ConversationState("queued", None)),
    (ConversationState("assigned", 3), Action.WAKE, ConversationState("assigned", 3)),
    (ConversationState("pending", 3), Action.INBOUND, ConversationState("queued", None)),  # the customer wrote
    (ConversationState("pending", 3), Action.CLOSE, ConversationState("closed", 3)),
    (ConversationState("pending", 3), Action.ASSIGN, ConversationState("assigned", 9)),
    (ConversationState("pending", 3), Action.HANG_UP, ConversationState("pending", 3)),
    (ConversationState("pending", 3), Action.ANSWER, ConversationState("pending", 3)),
])
def test_pending_in_the_state_machine(before: ConversationState, action: Action, after: ConversationState) -> None:
    """Snooze makes a conversation pending (owner kept), wake queues it again; a new message wakes it too."""
    assert transition(before, action, 9) == after


@pytest.mark.parametrize(("status", "action"), [
    ("queued", Action.SNOOZE), ("offered", Action.SNOOZE), ("pending", Action.WRAP_UP), ("pending", Action.REQUEUE),
    ("pending", Action.OFFER),
])
def test_pending_refusals(status: str, action: Action) -> None:
    """A waiting contact is taken before a follow-up; a pending one is neither wrapped up, requeued nor offered."""
    with pytest.raises(Conflict):
        transition(ConversationState(status, None), action, 9)
