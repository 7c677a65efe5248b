"""Pop cases on the real app: unknown and ambiguous callers, slow and dead sources, isolation."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from contact_center import keys
from contact_center.events import OfferAccepted
from contact_center.settings import Settings
from contact_center.store.tables import Audit, Call, Conversation, Department
from tests.component.telephony.env import AgentSocket, Pbx, start_world, world_settings


async def test_unknown_caller_then_agent_creates_the_customer(
    start_app: Callable, settings_factory: Callable[..., Settings], tmp_path: Path,
) -> None:
    """An unknown number pops with customer null; creating the customer links the number and re-pops."""
    app, _ = await start_world(start_app, world_settings(settings_factory, tmp_path))
    agent = await AgentSocket.open(app, "agent_sales_1")
    async with app.session() as http:
        pbx = Pbx(app, http)
        await pbx.call("unk-1", "0171 5555555")
        await pbx.answer("unk-1", "201")
        pop = await agent.next("screen_pop")
        assert (pop["customer"], pop["candidates"], pop["sections"], pop["timeline"]) == (None, [], {}, [])
        assert pop["contact"]["address"] == "+491715555555"
        client = await app.login("agent_sales_1")
        resp = await client.post("/api/v1/customers", json={"display_name": "New Caller", "email": "NEW@example.org",
                                                            "conversation_id": pop["conversation_id"]})
        created = (await resp.json())["customer"]
        assert resp.status == 200
        repop = await agent.next("screen_pop")
        await client.close()
    assert repop["customer"]["id"] == created["id"]
    assert sorted(i["value"] for i in created["identities"]) == ["+491715555555", "new@example.org"]
    assert (await app.app[keys.CUSTOMERS].identify("phone", "01715555555")).customer_id == created["id"]
    async with app.db.session() as s:
        call = (await s.execute(select(Call).where(Call.call_id == "unk-1"))).scalar_one()
    assert call.customer_id == created["id"]
    await agent.close()


async def test_ambiguous_caller_gets_ranked_candidates_and_picks_one(
    start_app: Callable, settings_factory: Callable[..., Settings], tmp_path: Path,
) -> None:
    """A shared landline pops ranked candidates; the agent's pick_customer re-pops with that customer."""
    app, users = await start_world(start_app, world_settings(settings_factory, tmp_path))
    async with app.db.session() as s:  # Cleo was in touch recently: she ranks first
        s.add(Conversation(channel="email", customer_id=users["customer:cleo"], status="closed", subject="Hi"))
    agent = await AgentSocket.open(app, "agent_sales_1")
    async with app.session() as http:
        pbx = Pbx(app, http)
        await pbx.call("amb-1", "+49 30 2222222")
        await pbx.answer("amb-1", "201")
        pop = await agent.next("screen_pop")
        assert pop["customer"] is None
        assert [c["customer_id"] for c in pop["candidates"]] == [users["customer:cleo"], users["customer:bob"]]
        assert pop["candidates"][0]["contacts"] == 1
        await agent.ws.send(json.dumps({"type": "pick_customer", "conversation_id": pop["conversation_id"],
                                        "customer_id": users["customer:bob"]}))
        picked = await agent.next("screen_pop")
    assert picked["customer"]["id"] == users["customer:bob"]
    assert picked["sections"]["accounting"]["data"] == {"balance": 0.0, "overdue": 0}
    assert picked["sections"]["credit"]["data"] is None
    await agent.close()


async def test_slow_source_times_out_then_follows_up(
    start_app: Callable, settings_factory: Callable[..., Settings], tmp_path: Path,
) -> None:
    """A source slower than its deadline is 'timeout' in the pop, then a section frame fills it in."""
    app, users = await start_world(start_app, world_settings(settings_factory, tmp_path, slow=True))
    agent = await AgentSocket.open(app, "agent_sales_1")
    async with app.session() as http:
        pbx = Pbx(app, http)
        await pbx.answer("slow-1", "201", **{"from": "+49301111111", "direction": "in"})
        pop = await agent.next("screen_pop")
        late = await agent.next("screen_pop_section")
    assert pop["sections"]["credit"] == {"status": "timeout", "title": "Credit", "data": None, "fetched_at": None}
    assert pop["sections"]["sales"]["status"] == "ok"
    assert pop["sections"]["accounting"]["status"] == "ok"
    assert (late["name"], late["conversation_id"], late["call_id"]) == ("credit", pop["conversation_id"], "slow-1")
    assert late["section"]["status"] == "ok"
    assert late["section"]["data"] == {"counted": 500000, "customer_key": "C-1"}
    await app.app[keys.SCREENPOP].audit.flush()
    async with app.db.session() as s:
        # In the order the agent saw them (two writers insert them: the row ids need not follow).
        actions = (await s.execute(select(Audit.action).where(Audit.user_id == users["agent_sales_1"])
                                   .order_by(Audit.at, Audit.id))).scalars().all()
    assert list(actions) == ["screen_pop", "screen_pop_section"]
    await agent.close()


async def test_dead_source_is_unavailable_and_breaks_nothing(
    start_app: Callable, settings_factory: Callable[..., Settings], tmp_path: Path,
) -> None:
    """A source whose database file is gone is 'unavailable'; every other section is fine."""
    app, _ = await start_world(start_app, world_settings(settings_factory, tmp_path, dead=True))
    agent = await AgentSocket.open(app, "agent_sales_1")
    async with app.session() as http:
        pbx = Pbx(app, http)
        await pbx.call("dead-1", "+49301111111")
        await pbx.answer("dead-1", "201")
        pop = await agent.next("screen_pop")
    assert {n: s["status"] for n, s in pop["sections"].items()} == {
        "sales": "ok", "accounting": "ok", "credit": "ok", "legacy": "unavailable"}
    assert not (tmp_path / "sources" / "no-such-dir").exists()
    await agent.close()


async def test_customer_without_source_key(
    start_app: Callable, settings_factory: Callable[..., Settings], tmp_path: Path,
) -> None:
    """A customer the source databases do not know gets every section 'no_record' (a neutral state,
    not 'unavailable': nothing failed), not an error."""
    app, users = await start_world(start_app, world_settings(settings_factory, tmp_path))
    agent = await AgentSocket.open(app, "agent_sales_1")
    async with app.session() as http:
        pbx = Pbx(app, http)
        await pbx.call("nokey-1", "+49403333333")
        await pbx.answer("nokey-1", "201")
        pop = await agent.next("screen_pop")
    assert pop["customer"]["id"] == users["customer:dan"]
    assert {s["status"] for s in pop["sections"].values()} == {"no_record"}
    await agent.close()


async def test_only_the_answering_agent_gets_the_pop(
    start_app: Callable, settings_factory: Callable[..., Settings], tmp_path: Path,
) -> None:
    """Another agent (and the answering agent's other sockets stay in sync) never sees someone else's pop."""
    app, _ = await start_world(start_app, world_settings(settings_factory, tmp_path))
    mine, mine_too = await AgentSocket.open(app, "agent_sales_1"), await AgentSocket.open(app, "agent_sales_1")
    other = await AgentSocket.open(app, "agent_sales_2")
    async with app.session() as http:
        pbx = Pbx(app, http)
        await pbx.call("iso-1", "+49301111111")
        await pbx.answer("iso-1", "201")
        await mine.next("screen_pop")
        await mine_too.next("screen_pop")
        assert [f["type"] for f in await other.drain()] == []
        await pbx.call("iso-2", "+49301111111")
        await pbx.answer("iso-2", "202")
        assert (await other.next("screen_pop"))["call_id"] == "iso-2"
    assert [f["type"] for f in await mine.drain()] == []
    for sock in (mine, mine_too, other):
        await sock.close()


async def test_email_conversation_pops_when_its_offer_is_accepted(
    start_app: Callable, settings_factory: Callable[..., Settings], tmp_path: Path,
) -> None:
    """OfferAccepted on an email conversation pops its customer (call_id null) to that agent."""
    app, users = await start_world(start_app, world_settings(settings_factory, tmp_path))
    async with app.db.session() as s:
        conv = Conversation(channel="email", contact_address="Ann <ANN@example.org>", status="assigned",
                            subject="Invoice question")
        s.add(conv)
        await s.flush()
        conv_id = conv.id
    agent = await AgentSocket.open(app, "agent_sales_1")
    await app.app[keys.BUS].publish(OfferAccepted(conversation_id=conv_id, user_id=users["agent_sales_1"],
                                                  offer_id="o-1"))
    pop = await agent.next("screen_pop")
    assert (pop["call_id"], pop["conversation_id"], pop["contact"]["channel"]) == (None, conv_id, "email")
    assert pop["customer"]["id"] == users["customer:ann"]
    assert pop["sections"]["sales"]["status"] == "ok"
    await agent.close()


async def test_source_history_on_demand(
    start_app: Callable, settings_factory: Callable[..., Settings], tmp_path: Path,
) -> None:
    """The full history of a source is fetched on request and audited; unknown sources are 404.

    An agent reads it only through a conversation they may see (none yet: 404, like a missing customer).
    """
    app, users = await start_world(start_app, world_settings(settings_factory, tmp_path))
    client = await app.login("agent_sales_1")
    ann = users["customer:ann"]
    assert (await client.get(f"/api/v1/customers/{ann}/sources/sales/history")).status == 404
    async with app.db.session() as s:
        sales = (await s.execute(select(Department.id).where(Department.slug == "sales"))).scalar_one()
        s.add(Conversation(channel="email", customer_id=ann, department_id=sales, status="closed", subject="Hi"))
    resp = await client.get(f"/api/v1/customers/{ann}/sources/sales/history")
    doc = await resp.json()
    missing = await client.get(f"/api/v1/customers/{ann}/sources/credit/history")
    await client.close()
    assert resp.status == 200
    assert sorted(r["product"] for r in doc["section"]["data"]) == ["cable", "router"]
    assert missing.status == 404
    await app.app[keys.SCREENPOP].audit.flush()
    async with app.db.session() as s:
        audit = (await s.execute(select(Audit).where(Audit.action == "source_history"))).scalar_one()
    assert (audit.user_id, audit.customer_id) == (users["agent_sales_1"], ann)
