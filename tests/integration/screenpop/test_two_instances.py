"""Two app instances on one PostgreSQL and one Redis: the pop reaches the agent wherever their socket is, once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from contact_center import keys
from contact_center.settings import Settings
from contact_center.store.tables import Audit, Conversation
from tests.component.telephony.env import PLUGINS, AgentSocket, Pbx, add_customers, world_settings
from tests.conftest import seed_org

pytestmark = pytest.mark.postgres


async def test_pop_reaches_sockets_on_both_instances_exactly_once(
    start_app: Callable, settings_factory: Callable[..., Settings], tmp_path: Path,
    postgres_migrated_url: str, redis_url: str,
) -> None:
    """PBX posts to A; the agent's socket on B gets the pop via Redis, the one on A directly; one of each frame."""
    settings = world_settings(settings_factory, tmp_path, database_url=postgres_migrated_url, redis_url=redis_url)
    a = await start_app(settings, plugins=PLUGINS)
    b = await start_app(settings, plugins=PLUGINS)
    users = await seed_org(a.db)
    customers = await add_customers(a)
    on_b = await AgentSocket.open(b, "agent_sales_1")
    on_a = await AgentSocket.open(a, "agent_sales_1")
    other_on_a = await AgentSocket.open(a, "agent_sales_2")
    async with a.session() as http:
        pbx = Pbx(a, http)
        assert await pbx.call("two-1", "030 1111111", user="agent_sales_1") == (200, {})
        await on_b.next("call_ringing")
        await on_a.next("call_ringing")
        assert await pbx.answer("two-1", "201") == (200, {})
        pop_b = await on_b.next("screen_pop")
        pop_a = await on_a.next("screen_pop")
        assert await pbx.hangup("two-1") == (200, {})
        await on_b.next("call_ended")
        await on_a.next("call_ended")
    assert pop_b == pop_a
    assert pop_b["call_id"] == "two-1"
    assert pop_b["customer"]["id"] == customers["ann"]
    assert [f["type"] for f in await on_b.drain()] == []
    assert [f["type"] for f in await on_a.drain()] == []
    assert [f["type"] for f in await other_on_a.drain() if f["type"] == "screen_pop"] == []
    await a.app[keys.SCREENPOP].audit.flush()
    async with a.db.session() as s:
        audit = (await s.execute(select(Audit.user_id).where(Audit.action == "screen_pop"))).scalars().all()
    assert audit == [users["agent_sales_1"]]  # one pop delivered, one entry (B did not pop again)
    for sock in (on_a, on_b, other_on_a):
        await sock.close()


async def test_hangup_on_the_instance_that_only_saw_the_ring_ends_an_answered_call(
    start_app: Callable, settings_factory: Callable[..., Settings], tmp_path: Path,
    postgres_migrated_url: str, redis_url: str,
) -> None:
    """Behind a load balancer the ring and the hang-up reach A, the answer B: the end is announced as answered
    (not missed, so no callback is made), because a hang-up is announced from the stored call, not A's memory."""
    settings = world_settings(settings_factory, tmp_path, database_url=postgres_migrated_url, redis_url=redis_url)
    a = await start_app(settings, plugins=PLUGINS)
    b = await start_app(settings, plugins=PLUGINS)
    await seed_org(a.db)
    await add_customers(a)
    agent = await AgentSocket.open(b, "agent_sales_1")
    async with a.session() as http_a, b.session() as http_b:
        assert await Pbx(a, http_a).call("lb-1", "030 1111111", user="agent_sales_1") == (200, {})
        await agent.next("call_ringing")
        assert await Pbx(b, http_b).answer("lb-1", "201") == (200, {})
        await agent.next("screen_pop")
        assert await Pbx(a, http_a).hangup("lb-1") == (200, {})
        ended = await agent.next("call_ended")
    assert (ended["call_id"], ended["missed"]) == ("lb-1", False)
    async with a.db.session() as s:
        callbacks = (await s.execute(select(Conversation.id).where(Conversation.channel == "callback"))).all()
    assert callbacks == []
    await agent.close()
