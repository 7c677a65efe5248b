"""The claim enforces capacity across channels identically in memory and in Redis's claim script."""

from __future__ import annotations

import pytest

from routing.model import ASSIGNED, AgentState, ContactState
from routing.selection import has_room

pytestmark = pytest.mark.redis
NOW = 1_700_000_000.0
CAPACITY = {"call": 1, "chat": 3, "email": 5}
ON_CALL_NO_TEXT = {"call": ["chat", "email"]}

# (contacts the agent holds, per channel), total capacity, while_on_channel blocks, channel offered, claim succeeds
SCENARIOS = [
    ([], 0, {}, "chat", True),
    (["chat", "chat", "chat"], 0, {}, "chat", False),
    (["chat", "chat"], 0, {}, "chat", True),
    (["call"], 0, ON_CALL_NO_TEXT, "chat", False),
    (["call"], 0, ON_CALL_NO_TEXT, "email", False),
    (["call"], 0, {}, "chat", True),
    (["call"], 0, ON_CALL_NO_TEXT, "call", False),
    (["chat"], 0, ON_CALL_NO_TEXT, "call", True),
    (["email"], 0, ON_CALL_NO_TEXT, "call", True),
    (["chat", "email"], 2, {}, "email", False),
    (["chat", "email"], 2, {}, "call", False),
    (["chat"], 2, {}, "email", True),
    (["chat", "chat"], 3, {}, "chat", True),
    (["chat", "chat", "email"], 3, {}, "chat", False),
    (["email"], 0, {"email": ["chat"]}, "chat", False),
    (["email"], 0, {"email": ["chat"]}, "email", True),
    (["email"], 0, {"email": ["chat", "email"], "chat": ["call"]}, "email", False),
    (["chat"], 0, {"email": ["chat", "email"], "chat": ["call"]}, "call", False),
    (["chat"], 0, {"email": ["chat", "email"], "chat": ["call"]}, "email", True),
]


def _agent(total: int, blocks: dict[str, list[str]]) -> AgentState:
    return AgentState(user_id=1, username="a1", departments=("sales",), capacity=dict(CAPACITY),
                      total_capacity=total, blocks=blocks)


@pytest.mark.parametrize(("held", "total", "blocks", "channel", "ok"), SCENARIOS)
async def test_claim_applies_the_rules_across_channels(store, held, total, blocks, channel, ok):
    """A claim succeeds exactly when has_room says so: channel capacity, total and blocking channels."""
    await store.upsert_agents([_agent(total, blocks)])
    await store.set_presence(1, "available", None, NOW - 100)
    for i, held_channel in enumerate(held, start=1):
        assert await store.enqueue(ContactState(conversation_id=i, channel=held_channel, department="sales",
                                                queue=f"sales.{held_channel}", status=ASSIGNED, user_id=1))
    stored = await store.agent(1)
    assert stored is not None
    assert has_room(stored, channel) is ok  # the pure decision the in-process store uses
    await store.enqueue(ContactState(conversation_id=100, channel=channel, department="sales",
                                     queue=f"sales.{channel}", enqueued_at=NOW - 5, rank=NOW - 5))
    out = await store.claim(100, 1, "100.a", NOW, NOW + 20, agent=stored)
    assert out.ok is ok


async def test_finishing_the_blocking_contact_lifts_the_block(store):
    """Once the call that kept chats away is finished (and wrap-up is over), a chat can be claimed."""
    await store.upsert_agents([_agent(0, ON_CALL_NO_TEXT)])
    await store.set_presence(1, "available", None, NOW - 100)
    await store.enqueue(ContactState(conversation_id=1, channel="call", department="sales", queue="sales.call",
                                     status=ASSIGNED, user_id=1))
    await store.enqueue(ContactState(conversation_id=2, channel="chat", department="sales", queue="sales.chat",
                                     enqueued_at=NOW - 5, rank=NOW - 5))
    assert not (await store.claim(2, 1, "2.a", NOW, NOW + 20)).ok
    assert (await store.finish(1, NOW)).ok
    assert (await store.claim(2, 1, "2.b", NOW + 1, NOW + 20)).ok
