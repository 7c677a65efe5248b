"""A pop prepared at ring goes to the agent before the answer is stored; the PBX reply and the audit still follow."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from contact_center import keys
from contact_center.settings import Settings
from contact_center.store.tables import Audit, Call
from tests.component.telephony.env import AgentSocket, Pbx, start_world, world_settings
from tests.conftest import RunningApp


@pytest.fixture
async def world(start_app: Callable, settings_factory: Callable[..., Settings],
                tmp_path: Path) -> tuple[RunningApp, dict[str, int]]:
    """The app on a SQLite file in tmp_path (cc.db), with the org and the customers."""
    return await start_world(start_app, world_settings(settings_factory, tmp_path))


async def _ring(app: RunningApp, pbx: Pbx, call_id: str, **extra: str) -> None:
    """A call from Ann rings until its pop is prepared."""
    assert await pbx.call(call_id, "030 1111111", **extra) == (200, {})
    service = app.app[keys.SCREENPOP]
    async with asyncio.timeout(10):
        while not service.prepared_call(call_id):  # noqa: ASYNC110 - a state to poll, no event announces it
            await asyncio.sleep(0.01)


async def _pop_audit(app: RunningApp) -> list[Audit]:
    """Every ``screen_pop`` audit row, once the audit writer has written what it holds."""
    await app.app[keys.SCREENPOP].audit.flush()
    async with app.db.session() as s:
        return list((await s.execute(select(Audit).where(Audit.action == "screen_pop"))).scalars().all())


async def test_prepared_pop_arrives_while_the_store_is_locked_and_the_reply_waits_for_the_commit(
    world: tuple[RunningApp, dict[str, int]], tmp_path: Path,
) -> None:
    """With the store's write lock held elsewhere the pop still arrives; the 200 and the audit come after release."""
    app, users = world
    agent = await AgentSocket.open(app, "agent_sales_1")
    async with app.session() as http:
        pbx = Pbx(app, http)
        await _ring(app, pbx, "call-p")
        blocker = sqlite3.connect(tmp_path / "cc.db", isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # a real writer holding SQLite's write lock
        try:
            answer = asyncio.create_task(pbx.answer("call-p", "201"))
            pop = await agent.next("screen_pop")
            assert not answer.done()  # the PBX is not told "stored" before it is
            async with app.db.session() as s:
                state = (await s.execute(select(Call.state).where(Call.call_id == "call-p"))).scalar_one()
            assert state == "ringing"
        finally:
            blocker.execute("COMMIT")
            blocker.close()
        assert await answer == (200, {})
    assert pop["call_id"] == "call-p"
    assert pop["customer"]["id"] == users["customer:ann"]
    assert pop["sections"]["sales"]["status"] == "ok"
    audit = await _pop_audit(app)
    async with app.db.session() as s:
        call = (await s.execute(select(Call).where(Call.call_id == "call-p"))).scalar_one()
    assert [(a.user_id, a.customer_id, a.detail["call_id"]) for a in audit] == [
        (users["agent_sales_1"], users["customer:ann"], "call-p")]
    assert call.state == "answered"
    assert call.user_id == users["agent_sales_1"]
    assert await agent.drain() == []  # exactly one pop
    await agent.close()


async def test_prepared_pop_is_not_used_after_the_customer_changes(world: tuple[RunningApp, dict[str, int]]) -> None:
    """An agent links the ringing call to another customer: the answer pops that customer, not the prepared one."""
    app, users = world
    agent = await AgentSocket.open(app, "agent_sales_1")
    async with app.session() as http:
        pbx = Pbx(app, http)
        await _ring(app, pbx, "call-q")
        async with app.db.session() as s:
            conversation_id = (await s.execute(
                select(Call.conversation_id).where(Call.call_id == "call-q"))).scalar_one()
        client = await app.login("agent_sales_1")
        resp = await client.post(f"/api/v1/customers/{users['customer:bob']}/identities",
                                 json={"kind": "phone", "value": "+49 30 9999999",
                                       "conversation_id": conversation_id})
        await client.close()
        assert resp.status in (200, 201)
        linked = await agent.next("screen_pop")
        assert linked["customer"]["id"] == users["customer:bob"]
        assert await pbx.answer("call-q", "201") == (200, {})
        pop = await agent.next("screen_pop")
    assert pop["call_id"] == "call-q"
    assert pop["customer"]["id"] == users["customer:bob"]
    await agent.close()


async def test_an_answer_posted_twice_at_once_pops_and_audits_once(world: tuple[RunningApp, dict[str, int]]) -> None:
    """A PBX that repeats its answer while the first post is in flight: one pop, one audit row, both replies 200."""
    app, users = world
    agent = await AgentSocket.open(app, "agent_sales_1")
    async with app.session() as http:
        pbx = Pbx(app, http)
        await _ring(app, pbx, "call-r")
        replies = await asyncio.gather(pbx.answer("call-r", "201"), pbx.answer("call-r", "201"))
        assert replies == [(200, {}), (200, {})]
        pop = await agent.next("screen_pop")
        assert await agent.drain() == []
        assert await pbx.answer("call-r", "201") == (200, {})  # and once more, after it was stored
        assert await agent.drain() == []
    assert pop["call_id"] == "call-r"
    assert [(a.user_id, a.detail["call_id"]) for a in await _pop_audit(app)] == [(users["agent_sales_1"], "call-r")]
    await agent.close()


async def test_the_prepared_pop_goes_to_whoever_answers_not_only_to_the_rung_agent(
    world: tuple[RunningApp, dict[str, int]],
) -> None:
    """Rung for one agent, answered by another: the answering agent gets the pop at once, the other one none."""
    app, users = world
    rung = await AgentSocket.open(app, "agent_sales_1")
    answering = await AgentSocket.open(app, "agent_sales_2")
    async with app.session() as http:
        pbx = Pbx(app, http)
        await _ring(app, pbx, "call-s", user="agent_sales_1")
        await rung.next("call_ringing")
        assert await pbx.answer("call-s", "202") == (200, {})
        pop = await answering.next("screen_pop")
    assert pop["call_id"] == "call-s"
    assert pop["customer"]["id"] == users["customer:ann"]
    assert [f["type"] for f in await rung.drain()] == []
    await rung.close()
    await answering.close()
