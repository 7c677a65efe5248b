"""GET /api/v1/conversations/{id}/pop: the customer panel of any conversation, on request."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from contact_center.inbox import INBOX
from contact_center.inbox.records import InboundMessage
from contact_center.settings import Settings
from contact_center.store.tables import Audit, Conversation, Department, User
from tests.component.telephony.env import AgentSocket, Pbx, start_world, world_settings
from tests.conftest import RunningApp


async def earlier_contacts(app: RunningApp, customer_id: int, *, owner: int) -> None:
    """Two closed contacts of the customer elsewhere: a complaints call *owner* took, a service chat they did not."""
    async with app.db.session() as s:
        complaints = (await s.execute(select(Department.id).where(Department.slug == "complaints"))).scalar_one()
        service = (await s.execute(select(Department.id).where(Department.slug == "service"))).scalar_one()
        s.add(Conversation(channel="call", customer_id=customer_id, department_id=complaints, status="closed",
                           assigned_user_id=owner, external_ref="own-earlier-call"))
        s.add(Conversation(channel="chat", customer_id=customer_id, department_id=service, status="closed",
                           external_ref="someone-elses-chat"))


async def test_an_email_opened_from_the_inbox_gets_the_full_panel_audited_and_visible_only_to_its_department(
    start_app: Callable, settings_factory: Callable[..., Settings], tmp_path: Path,
) -> None:
    """An email from a known customer gets every source's section, the timeline (with the agent's
    own earlier contacts routed elsewhere), and an audit entry; another department gets 404."""
    app, users = await start_world(start_app, world_settings(settings_factory, tmp_path))
    ann = users["customer:ann"]
    await earlier_contacts(app, ann, owner=users["agent_sales_1"])
    [stored] = await app.app[INBOX].receive([InboundMessage(
        channel="email", external_id="<panel-1@example.org>", identity=("email", "ann@example.org"),
        sender="ann@example.org", department="sales", subject="Where is my order?", body_text="Hello")])
    async with await app.login("agent_sales_1") as agent:
        resp = await agent.get(f"/api/v1/conversations/{stored.conversation_id}/pop")
        assert resp.status == 200
        pop = (await resp.json())["pop"]
    assert pop["customer"]["id"] == ann
    assert pop["contact"] == {"channel": "email", "address": "ann@example.org"}
    assert {name: s["status"] for name, s in pop["sections"].items()} == {
        "sales": "ok", "accounting": "ok", "credit": "ok"}
    timeline = {t["contact_address"] or t["channel"]: t for t in pop["timeline"]}
    assert sorted(t["channel"] for t in pop["timeline"]) == ["call"]  # not the service chat, nor this email
    assert timeline["call"]["owner_id"] == users["agent_sales_1"]
    async with app.db.session() as s:
        entries = (await s.execute(select(Audit).where(Audit.action == "customer_panel"))).scalars().all()
        agent_name = (await s.execute(select(User.display_name).where(User.id == users["agent_sales_1"]))).scalar()
    assert timeline["call"]["owner_name"] == agent_name
    assert [(e.user_id, e.customer_id, e.object_id) for e in entries] == [
        (users["agent_sales_1"], ann, str(stored.conversation_id))]
    async with await app.login("agent_complaints_1") as other:
        assert (await other.get(f"/api/v1/conversations/{stored.conversation_id}/pop")).status == 404
    async with await app.login("supervisor") as boss:
        everything = (await (await boss.get(f"/api/v1/conversations/{stored.conversation_id}/pop")).json())["pop"]
    assert sorted(t["channel"] for t in everything["timeline"]) == ["call", "chat"]


async def test_a_chat_visitor_without_a_source_key_reads_no_record_not_unavailable(
    start_app: Callable, settings_factory: Callable[..., Settings], tmp_path: Path,
) -> None:
    """A customer the sources do not know gets 'no_record' sections (neutral), and an unknown
    sender's conversation gets a panel with no customer (the agent can identify them)."""
    app, _ = await start_world(start_app, world_settings(settings_factory, tmp_path))
    stored = await app.app[INBOX].receive([
        InboundMessage(channel="email", external_id="<nokey@x>", identity=("email", "dan@example.org"),
                       sender="dan@example.org", department="sales", subject="New here", body_text="Hi"),
    ])
    async with await app.login("agent_sales_1") as agent:
        pop = (await (await agent.get(f"/api/v1/conversations/{stored[0].conversation_id}/pop")).json())["pop"]
        assert (await agent.get("/api/v1/conversations/999999/pop")).status == 404
    assert pop["customer"] is not None
    assert {s["status"] for s in pop["sections"].values()} == {"no_record"}


async def test_the_live_call_pop_shows_the_agents_own_earlier_calls_but_not_other_departments(
    start_app: Callable, settings_factory: Callable[..., Settings], tmp_path: Path,
) -> None:
    """The live pop follows the panel's rule: Ann calls and agent_sales_1 answers; the pop lists the
    complaints call they took themselves, not the service chat someone else had (the supervisor sees both)."""
    app, users = await start_world(start_app, world_settings(settings_factory, tmp_path))
    await earlier_contacts(app, users["customer:ann"], owner=users["agent_sales_1"])
    agent = await AgentSocket.open(app, "agent_sales_1")
    async with app.session() as http:
        pbx = Pbx(app, http)
        assert await pbx.call("call-1", "030 1111111") == (200, {})
        assert await pbx.answer("call-1", "201") == (200, {})
        pop = await agent.next("screen_pop")
    await agent.close()
    assert sorted((t["channel"], t["owner_id"]) for t in pop["timeline"]) == [("call", users["agent_sales_1"])]
    async with await app.login("supervisor") as boss:
        everything = (await (await boss.get(f"/api/v1/conversations/{pop['conversation_id']}/pop")).json())["pop"]
    assert sorted(t["channel"] for t in everything["timeline"]) == ["call", "chat"]
