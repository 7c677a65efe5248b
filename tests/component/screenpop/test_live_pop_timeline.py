"""The live call pop's timeline follows the panel's rule: the answering agent sees their departments'
contacts and every contact they handled themselves (routed elsewhere too), never another department's."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from contact_center.settings import Settings
from contact_center.store.tables import Conversation, Department
from tests.component.telephony.env import AgentSocket, Pbx, start_world, world_settings


async def test_the_answering_agent_sees_their_own_earlier_calls_but_not_other_departments(
    start_app: Callable, settings_factory: Callable[..., Settings], tmp_path: Path,
) -> None:
    """Ann calls; agent_sales_1 answers: the pop lists the complaints call they took themselves, not the
    service chat someone else had; the supervisor's panel of the same call lists both."""
    app, users = await start_world(start_app, world_settings(settings_factory, tmp_path))
    ann = users["customer:ann"]
    async with app.db.session() as s:
        complaints = (await s.execute(select(Department.id).where(Department.slug == "complaints"))).scalar_one()
        service = (await s.execute(select(Department.id).where(Department.slug == "service"))).scalar_one()
        s.add(Conversation(channel="call", customer_id=ann, department_id=complaints, status="closed",
                           assigned_user_id=users["agent_sales_1"], external_ref="own-earlier-call"))
        s.add(Conversation(channel="chat", customer_id=ann, department_id=service, status="closed",
                           external_ref="someone-elses-chat"))
    agent = await AgentSocket.open(app, "agent_sales_1")
    async with app.session() as http:
        pbx = Pbx(app, http)
        assert await pbx.call("call-1", "030 1111111") == (200, {})
        assert await pbx.answer("call-1", "201") == (200, {})
        pop = await agent.next("screen_pop")
    await agent.close()
    refs = sorted((t["channel"], t["owner_id"]) for t in pop["timeline"])
    assert refs == [("call", users["agent_sales_1"])]
    async with await app.login("supervisor") as boss:
        everything = (await (await boss.get(f"/api/v1/conversations/{pop['conversation_id']}/pop")).json())["pop"]
    assert sorted(t["channel"] for t in everything["timeline"]) == ["call", "chat"]
