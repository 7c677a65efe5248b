"""The inbox REST API on the real app: lists, visibility, replies, notes, transitions, customers."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from contact_center import keys
from contact_center.events import ConversationUpdated, CustomersMerged, OfferAccepted, OfferMade, UserNotified
from contact_center.inbox import INBOX
from contact_center.inbox.records import InboundMessage
from contact_center.store.tables import Audit
from tests.conftest import RunningApp


async def _mail(app: RunningApp, n: int, *, department: str | None, sender: str = "ann@example.org") -> Any:
    [stored] = await app.app[INBOX].receive([InboundMessage(
        channel="email", external_id=f"<api-{n}@example.org>", identity=("email", sender), sender=sender,
        department=department, subject=f"Mail {n}", body_text=f"body {n}", source="support",
    )])
    return stored


async def _events(app: RunningApp) -> list[Any]:
    seen: list[Any] = []

    async def record(event: Any) -> None:
        seen.append(event)

    app.app[keys.BUS].subscribe(record)
    return seen


async def test_list_filters_paginates_and_hides_other_departments(inbox_app: RunningApp):
    """Agents list only their departments' (and unrouted) conversations; filters and pages work."""
    for n in range(5):
        await _mail(inbox_app, n, department="sales")
    await _mail(inbox_app, 10, department="complaints", sender="bob@example.org")
    await _mail(inbox_app, 11, department=None, sender="cy@example.org")
    agent = await inbox_app.login("agent_sales_1")
    async with agent:
        page1 = await (await agent.get("/api/v1/conversations?limit=3")).json()
        assert len(page1["conversations"]) == 3
        page2 = await (await agent.get(f"/api/v1/conversations?limit=3&before_id={page1['next_before_id']}")).json()
        seen = {c["department"] for c in page1["conversations"] + page2["conversations"]}
        assert seen == {"sales", None}
        assert len(page1["conversations"] + page2["conversations"]) == 6
        only = await (await agent.get("/api/v1/conversations?department=sales&channel=email&status=queued")).json()
        assert len(only["conversations"]) == 5
        bad = await agent.get("/api/v1/conversations?status=sleeping")
        assert bad.status == 422
        assert (await bad.json())["field"] == "status"
    boss = await inbox_app.login("supervisor")
    async with boss:
        everything = await (await boss.get("/api/v1/conversations?limit=200")).json()
        assert len(everything["conversations"]) == 7
        assert everything["next_before_id"] is None
        customer_id = everything["conversations"][0]["customer_id"]
        mine = await (await boss.get(f"/api/v1/conversations?customer_id={customer_id}")).json()
        assert {c["customer_id"] for c in mine["conversations"]} == {customer_id}


async def test_reply_note_and_notifications(inbox_app: RunningApp):
    """A note is stored but never queued; a reply is queued; the owner hears of new messages."""
    events = await _events(inbox_app)
    stored = await _mail(inbox_app, 1, department="service")
    agent = await inbox_app.login("agent_service_1")
    async with agent:
        url = f"/api/v1/conversations/{stored.conversation_id}"
        taken = await (await agent.patch(url, json={"action": "assign"})).json()
        owner = taken["conversation"]["assigned_user_id"]
        note = await (await agent.post(url + "/messages", json={"text": "check order", "direction": "note"})).json()
        assert note["message"]["direction"] == "note"
        assert note["message"]["delivery_status"] is None
        reply = await (await agent.post(url + "/messages", json={"text": "On it", "client_id": "d-1"})).json()
        assert reply["message"]["delivery_status"] == "queued"
        assert reply["message"]["client_id"] == "d-1"
        empty = await agent.post(url + "/messages", json={"text": "  "})
        assert empty.status == 422
        conv = (await (await agent.get(url)).json())["conversation"]
        assert conv["first_response_at"] is not None
    # The customer writes again: the owner gets a live "message" frame.
    await inbox_app.app[INBOX].receive([InboundMessage(
        channel="email", external_id="<api-again@example.org>", identity=("email", "ann@example.org"),
        sender="ann@example.org", subject="Re: Mail 1", body_text="thanks", reply_to=("<api-1@example.org>",),
    )])
    await asyncio.wait_for(inbox_app.app[keys.BUS].settle(), 5)
    frames = [e.frame for e in events if isinstance(e, UserNotified) and e.user_id == owner]
    assert [f["message"]["body_text"] for f in frames if f["type"] == "message"] == ["thanks"]


async def test_transitions_and_routing_events(inbox_app: RunningApp):
    """PATCH applies the state machine (409 when refused); routing's offer events move status."""
    events = await _events(inbox_app)
    stored = await _mail(inbox_app, 1, department="sales")
    bus = inbox_app.app[keys.BUS]
    agent = await inbox_app.login("agent_sales_2")
    async with agent:
        me = (await (await agent.get("/api/v1/me")).json())["user"]["id"]
        await bus.publish(OfferMade(stored.conversation_id, me, "o-1", "email", expires_at=0))
        await bus.publish(OfferAccepted(stored.conversation_id, me, "o-1"))
        await asyncio.wait_for(bus.settle(), 5)
        url = f"/api/v1/conversations/{stored.conversation_id}"
        conv = (await (await agent.get(url)).json())["conversation"]
        assert (conv["status"], conv["assigned_user_id"]) == ("assigned", me)
        wrap = await agent.patch(url, json={"action": "wrap_up"})
        assert (await wrap.json())["conversation"]["status"] == "wrap_up"
        closed = await (await agent.patch(url, json={"action": "close"})).json()
        assert closed["conversation"]["status"] == "closed"
        refused = await agent.patch(url, json={"action": "wrap_up"})
        assert refused.status == 409
        other = await agent.patch(url, json={"action": "assign", "user_id": me + 1})
        assert other.status == 422
    updates = [e.status for e in events if isinstance(e, ConversationUpdated)]
    assert updates == ["offered", "assigned", "wrap_up", "closed"]


async def test_customer_view_is_audited_and_merge_publishes(inbox_app: RunningApp):
    """The customer view lists every channel and writes an audit row; a supervisor's merge moves conversations."""
    events = await _events(inbox_app)
    first = await _mail(inbox_app, 1, department="sales", sender="ann@example.org")
    second = await _mail(inbox_app, 2, department="complaints", sender="ann.private@example.org")
    agent = await inbox_app.login("agent_sales_1")
    async with agent:
        view = await (await agent.get(f"/api/v1/customers/{first.customer_id}")).json()
        assert view["customer"]["identities"] == [{"kind": "email", "value": "ann@example.org", "label": None}]
        assert [t["conversation_id"] for t in view["timeline"]] == [first.conversation_id]
        refused = await agent.post(f"/api/v1/customers/{first.customer_id}/merge",
                                   json={"duplicate_id": second.customer_id})
        assert refused.status == 403  # merging is for supervisors and admins
    boss = await inbox_app.login("supervisor")
    async with boss:
        merged = await boss.post(f"/api/v1/customers/{first.customer_id}/merge",
                                 json={"duplicate_id": second.customer_id})
        assert merged.status == 200
        full = await (await boss.get(f"/api/v1/customers/{first.customer_id}")).json()
    async with await inbox_app.login("agent_sales_1") as agent:
        after = await (await agent.get(f"/api/v1/customers/{second.customer_id}")).json()
        assert after["customer"]["id"] == first.customer_id
        assert (await agent.get("/api/v1/customers/999999")).status == 404
    assert {t["conversation_id"] for t in full["timeline"]} == {first.conversation_id, second.conversation_id}
    await inbox_app.app[keys.AUDIT].flush()
    async with inbox_app.db.session() as s:
        actions = [a for (a,) in (await s.execute(select(Audit.action).order_by(Audit.id))).all()]
    assert actions == ["customer_view", "customer_merge", "customer_view", "customer_view"]
    await asyncio.wait_for(inbox_app.app[keys.BUS].settle(), 5)
    [event] = [e for e in events if isinstance(e, CustomersMerged)]
    assert (event.merged_id, event.into_id) == (second.customer_id, first.customer_id)


async def test_every_inbox_route_is_in_the_openapi_document(inbox_app: RunningApp):
    """Conversations, messages, raw, attachments, customers and merge are documented."""
    async with inbox_app.session() as client:
        paths = (await (await client.get("/api/openapi.json")).json())["paths"]
    for path, method in [("/api/v1/conversations", "get"), ("/api/v1/conversations/{id}", "get"),
                         ("/api/v1/conversations/{id}", "patch"), ("/api/v1/conversations/{id}/messages", "get"),
                         ("/api/v1/conversations/{id}/messages", "post"),
                         ("/api/v1/conversations/{id}/messages/{message_id}/raw", "get"),
                         ("/api/v1/customers/{id}", "get"), ("/api/v1/customers/{id}/merge", "post")]:
        assert method in paths[path], path


async def test_unauthenticated_requests_are_refused(inbox_app: RunningApp):
    """Without a session every inbox route answers 401."""
    async with inbox_app.session() as client:
        assert (await client.get("/api/v1/conversations")).status == 401
        assert (await client.post("/api/v1/conversations/1/messages", json={"text": "x"})).status == 401


async def test_an_agent_sees_a_contact_assigned_to_them_outside_their_departments(inbox_app: RunningApp):
    """A complaints conversation handed to a sales agent is visible to that agent (list and detail),
    but not to the other sales agent."""
    stored = await _mail(inbox_app, 20, department="complaints", sender="dora@example.org")
    bus = inbox_app.app[keys.BUS]
    owner = await inbox_app.login("agent_sales_1")
    other = await inbox_app.login("agent_sales_2")
    async with owner, other:
        me = (await (await owner.get("/api/v1/me")).json())["user"]["id"]
        url = f"/api/v1/conversations/{stored.conversation_id}"
        assert (await owner.get(url)).status == 404
        await bus.publish(OfferMade(stored.conversation_id, me, "o-20", "email", expires_at=0))
        await bus.publish(OfferAccepted(stored.conversation_id, me, "o-20"))
        await asyncio.wait_for(bus.settle(), 5)
        detail = await owner.get(url)
        assert detail.status == 200
        assert (await detail.json())["conversation"]["disposition"] is None
        listed = await (await owner.get("/api/v1/conversations?assigned_user_id=me")).json()
        assert [c["id"] for c in listed["conversations"]] == [stored.conversation_id]
        assert (await other.get(url)).status == 404
