"""Wrap-up and offer outcomes in both reservation stores: in memory and in Redis's Lua scripts alike."""

from __future__ import annotations

import pytest

from routing.model import ASSIGNED, AgentState, ContactState
from routing.wrapup import MAX_EXTENSION, WrapUp

pytestmark = pytest.mark.redis
NOW = 1_700_000_000.0


async def _agent_on_a_call(store) -> None:
    await store.upsert_agents([AgentState(user_id=1, username="a1", departments=("sales",),
                                          capacity={"call": 1, "email": 2})])
    await store.set_presence(1, "available", None, NOW - 100)
    assert await store.enqueue(ContactState(conversation_id=1, channel="call", department="sales", queue="sales.call",
                                            status=ASSIGNED, user_id=1))
    assert await store.enqueue(ContactState(conversation_id=2, channel="email", department="sales",
                                            queue="sales.email", enqueued_at=NOW - 5, rank=NOW - 5))


async def test_a_required_outcome_holds_the_agent_past_the_after_call_work(store):
    """With an outcome required, neither the end of the time nor its timer frees the agent; the outcome does."""
    await _agent_on_a_call(store)
    done = await store.finish(1, NOW, WrapUp(10.0, hold=True))
    assert done.ok
    assert (done.agent.wrap_conversation, done.agent.wrap_hold, done.agent.wrap_until) == (1, True, NOW + 10)
    assert done.agent.state(NOW + 60) == "wrap_up"
    assert not (await store.claim(2, 1, "2.a", NOW + 60, NOW + 80)).ok
    assert await store.pop_due(NOW + 60) == ["wrap|1|1"]
    timer = await store.end_wrap(1, 1, NOW + 60, outcome_chosen=False)
    assert not timer.ok
    assert timer.agent.wrap_hold
    assert not (await store.end_wrap(1, 99, NOW + 60, outcome_chosen=True)).ok  # not this wrap-up
    ready = await store.end_wrap(1, 1, NOW + 61, outcome_chosen=True)
    assert ready.ok
    assert (ready.agent.wrap_conversation, ready.agent.wrap_hold, ready.agent.idle_since) == (None, False, NOW + 61)
    assert (await store.claim(2, 1, "2.b", NOW + 61, NOW + 80)).ok


async def test_after_call_work_ends_by_time_and_can_be_extended(store):
    """Without a required outcome the wrap-up ends when its time is up, unless extended; Ready ends it early."""
    await _agent_on_a_call(store)
    await store.finish(1, NOW, WrapUp(10.0))
    more = await store.extend_wrap(1, 1, 30.0, NOW + 5)
    assert more.ok
    assert more.agent.wrap_until == NOW + 40
    assert not (await store.extend_wrap(1, 99, 30.0, NOW + 5)).ok
    capped = await store.extend_wrap(1, 1, 10_000.0, NOW + 6)
    assert capped.agent.wrap_until == NOW + 40 + MAX_EXTENSION
    assert await store.pop_due(NOW + 11) == []  # the timer moved with the extension
    assert not (await store.end_wrap(1, 1, NOW + 11, outcome_chosen=False)).ok
    assert not (await store.claim(2, 1, "2.a", NOW + 11, NOW + 30)).ok
    over = await store.end_wrap(1, 1, NOW + 41 + MAX_EXTENSION, outcome_chosen=False)
    assert over.ok
    assert over.agent.wrap_conversation is None
    assert (await store.claim(2, 1, "2.b", NOW + 41 + MAX_EXTENSION, NOW + 900)).ok


async def test_a_contact_without_wrap_up_leaves_a_running_one_alone(store):
    """Finishing another contact with no wrap-up neither shortens nor replaces the call's."""
    await _agent_on_a_call(store)
    await store.finish(1, NOW, WrapUp(30.0, hold=True))
    assert await store.enqueue(ContactState(conversation_id=3, channel="email", department="sales",
                                            queue="sales.email", status=ASSIGNED, user_id=1))
    after = await store.finish(3, NOW + 5, WrapUp())
    assert (after.agent.wrap_conversation, after.agent.wrap_hold, after.agent.wrap_until) == (1, True, NOW + 30)


@pytest.mark.parametrize(("reachable", "outcome", "missed", "unreachable", "presence"), [
    (True, "ignored", 1, 0, "away"),
    (False, "unreachable", 0, 1, "available"),
])
async def test_an_expired_offer_counts_toward_autopause_only_when_the_agent_was_reachable(
        store, reachable, outcome, missed, unreachable, presence):
    """Timed out while reachable: ignored, counted, autopaused (after one); while unreachable: recorded only."""
    await store.upsert_agents([AgentState(user_id=1, username="a1", departments=("sales",), capacity={"email": 2})])
    await store.set_presence(1, "available", None, NOW - 100)
    await store.enqueue(ContactState(conversation_id=5, channel="email", department="sales", queue="sales.email"))
    assert (await store.claim(5, 1, "5.a", NOW, NOW + 5)).ok
    out = await store.decline(5, 1, "5.a", NOW + 5, timed_out=True, autopause_after=1, reachable=reachable)
    assert out.ok
    assert out.paused is (presence == "away")
    agent = await store.agent(1)
    assert (agent.last_offer, agent.missed, agent.unreachable, agent.presence) == (outcome, missed, unreachable,
                                                                                   presence)
    assert (await store.claim(5, 1, "5.b", NOW + 6, NOW + 10)).ok is (presence == "available")
    if presence == "available":
        accepted = await store.accept(5, 1, "5.b", NOW + 7)
        assert (accepted.agent.last_offer, accepted.agent.unreachable) == ("accepted", 0)
