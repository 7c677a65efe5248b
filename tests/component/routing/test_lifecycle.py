"""Escalation, abandon and calls: overflow, widening skills, customers who leave, the newCall reply."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import update

from contact_center import keys
from contact_center.events import CallEnded, CallRang, ContactRouted, ConversationUpdated, DtmfReceived, OfferMade
from contact_center.settings import PbxSettings, Secret
from contact_center.store.tables import Call, Conversation
from tests.component.routing.conftest import (
    BOTH,
    add_conversation,
    agent_socket,
    conversation_row,
    eventually,
    recorder,
    send_email,
    services,
    users,
)

TOKEN = "routing-test-pbx-token"


async def _status(ra, cid, status):
    row = await conversation_row(ra.db, cid)
    return row if row.status == status else None


async def test_contact_overflows_to_another_queue_after_its_wait(start_routed):
    """Nobody in sales: after overflow_after_seconds the email moves to service.email and is offered there."""
    ra = await start_routed(queues={"sales.email": {"overflow_after_seconds": 0.2, "overflow_to": "service.email"}})
    rec = recorder(ra)
    async with agent_socket(ra, "agent_service_1") as agent:
        await agent.next("presence", presence="available")
        cid = await send_email(ra, "I want to buy a router")
        first, second = await rec.wait(ContactRouted, count=2, conversation_id=cid)
        assert (first.queue, second.queue) == ("sales.email", "service.email")
        assert "overflow after" in second.reason
        offer = await agent.next("offer", conversation_id=cid)
        assert offer["queue"] == "service.email"
        row = await eventually(lambda: _status(ra, cid, "offered"))
        assert row.department_id is not None


async def test_the_department_is_on_the_conversation_before_it_is_offered(start_routed):
    """Routing records where a contact goes before offering it: the agent who opens the offered
    conversation (or wraps it up: the outcomes are the department's) finds its department. The
    update naming the department is published before the offer, and the row has it when the offer
    is made (a clean-clone browser run found a wrap-up panel without the department's outcomes)."""
    ra = await start_routed()
    rec = recorder(ra)
    seen_at_offer: list[int | None] = []

    async def on_offer(event: OfferMade) -> None:
        seen_at_offer.append((await conversation_row(ra.db, event.conversation_id)).department_id)

    ra.app[keys.BUS].subscribe(on_offer, OfferMade)
    async with agent_socket(ra, "agent_sales_1") as agent:
        await agent.next("presence", presence="available")
        cid = await send_email(ra, "I want to buy a router")
        await agent.next("offer", conversation_id=cid)
        kinds = [(type(e).__name__, getattr(e, "department", None)) for e in rec.events
                 if getattr(e, "conversation_id", None) == cid and isinstance(e, ConversationUpdated | OfferMade)]
        assert kinds.index(("ConversationUpdated", "sales")) < kinds.index(("OfferMade", None))
        await eventually(lambda: seen_at_offer)
        assert None not in seen_at_offer


async def test_skills_are_widened_after_a_wait(start_routed):
    """A contact needing lang:de 5 waits (no agent has it) until widen_after_seconds, then goes to a sales agent."""
    rules = [{"field": "text", "operator": "contains_any", "value": ["hallo"], "department": "sales",
              "skills": {"lang:de": 5}}]
    ra = await start_routed(rules=rules, widen_after_seconds=0.3)
    rec = recorder(ra)
    async with agent_socket(ra, "agent_sales_1") as agent:
        await agent.next("presence", presence="available")
        cid = await send_email(ra, "Hallo", "Guten Tag")
        offer = await agent.next("offer", conversation_id=cid)
        assert "skills widened" in offer["reason"]
        kinds = [type(e).__name__ for e in rec.events if getattr(e, "conversation_id", None) == cid
                 and isinstance(e, ContactRouted | OfferMade)]
        assert kinds[:3] == ["ContactRouted", "ContactRouted", "OfferMade"]  # no offer before widening


async def test_a_pbx_queue_holds_the_call_until_the_caller_presses_ivr_digits(start_routed):
    """The PBX queued the call in sales: there it waits (no rule moves it), until the caller presses 2,
    the shipped table's digit for technical support, which moves it."""
    ra = await start_routed()
    cid = await add_conversation(ra.db, channel="call", contact_address="+4917012345")
    async with ra.db.session() as s:
        s.add(Call(call_id="q-1", pbx="pbx", conversation_id=cid, direction="in", from_number="+4917012345",
                   to_number="+4930123", queue="sales"))
    bus = ra.app[keys.BUS]
    rec = recorder(ra)
    await bus.publish(CallRang(call_id="q-1", pbx="pbx", direction="in", from_number="+4917012345",
                               to_number="+4930123", conversation_id=cid, queue="sales"))
    first = (await rec.wait(ContactRouted, conversation_id=cid))[0]
    assert (first.department, first.reason) == ("sales", "the PBX queued it -> sales")
    await bus.publish(DtmfReceived(call_id="q-1", conversation_id=cid, digits="2"))
    moved = (await rec.wait(ContactRouted, count=2, conversation_id=cid))[1]
    assert moved.department == "technical_support"
    assert "IVR digits 2" in moved.reason


async def test_a_call_answered_before_routing_read_it_still_gets_its_department(start_routed):
    """The answer's write came before routing handled the ring (a clean-clone browser run): the call is
    not queued, but its conversation gets the department its queue names, so its wrap-up offers that
    department's outcomes."""
    ra = await start_routed()
    uid = users(ra)["agent_sales_1"]
    cid = await add_conversation(ra.db, channel="call", contact_address="+4917012345", status="assigned")
    async with ra.db.session() as s:
        await s.execute(update(Conversation).where(Conversation.id == cid).values(assigned_user_id=uid))
    await ra.app[keys.BUS].publish(CallRang(call_id="a-1", pbx="pbx", direction="in", from_number="+4917012345",
                                            to_number="+4930123", conversation_id=cid, queue="sales"))
    row = await eventually(lambda: _with_department(ra, cid))
    assert (row.status, row.assigned_user_id) == ("assigned", uid)
    assert await services(ra).router.reservations.contact(cid) is None  # answered: nothing to queue


async def _with_department(ra, cid):
    row = await conversation_row(ra.db, cid)
    return row if row.department_id is not None else None


async def test_caller_hanging_up_while_queued_is_abandoned(start_routed):
    """CallEnded before anyone answered: the waiting call is closed and counted abandoned in the stats."""
    ra = await start_routed()
    cid = await add_conversation(ra.db, channel="call", contact_address="+4917012345")
    bus = ra.app[keys.BUS]
    rec = recorder(ra)
    await bus.publish(CallRang(call_id="c-1", pbx="pbx", direction="in", from_number="+4917012345",
                               to_number="+4930123", conversation_id=cid))
    await rec.wait(ContactRouted, conversation_id=cid)
    await bus.publish(CallEnded(call_id="c-1", conversation_id=cid, cause="cancel", missed=True))
    await eventually(lambda: _status(ra, cid, "closed"))
    supervisor = await ra.login("supervisor")
    try:
        stats = await (await supervisor.get("/api/v1/stats/queues")).json()
    finally:
        await supervisor.close()
    row = next(q for q in stats["queues"] if q["queue"] == "service.call")
    assert (row["abandoned"], row["waiting"], row["service_level"]) == (1, 0, 0.0)


async def test_chat_closed_while_offered_cancels_the_offer(start_routed):
    """The chat is closed (visitor gone) while on offer: the agent's offer is withdrawn, the chat abandoned."""
    ra = await start_routed()
    async with agent_socket(ra, "agent_sales_1") as agent:
        await agent.next("presence", presence="available")
        cid = await add_conversation(ra.db, channel="chat", body="I'd like to order", contact_address="v-1")
        from contact_center.events import MessageReceived

        await ra.app[keys.BUS].publish(MessageReceived(conversation_id=cid, message_id=cid, channel="chat",
                                                       sender_id="v-1", text="I'd like to order",
                                                       new_conversation=True))
        offer = await agent.next("offer", conversation_id=cid)
        supervisor = await ra.login("supervisor")
        try:
            resp = await supervisor.patch(f"/api/v1/conversations/{cid}", json={"action": "close"})
            assert resp.status == 200
        finally:
            await supervisor.close()
        cancelled = await agent.next("offer_cancelled", offer_id=offer["offer_id"])
        assert cancelled["reason"] == "abandoned"
        late = await agent.request({"type": "offer.accept", "offer_id": offer["offer_id"]})
        assert late["code"] == "conflict"


async def _cti(ra, body):
    client = ra.session()
    try:
        async with client.post(f"/api/v1/cti/{TOKEN}", json=body) as resp:
            assert resp.status == 200, await resp.text()
            return await resp.json()
    finally:
        await client.close()


async def test_new_call_reply_dials_a_free_agent_then_the_department(start_routed):
    """With routing by the PBX on: newCall -> dial the free agent's extension; answer assigns; with nobody free
    the department's hunt group, except when that is the number called (the reply is then {}: no loop)."""
    ra = await start_routed(settings={"pbx": (PbxSettings(name="pbx", token=Secret(TOKEN), route_inbound=True),)})
    uid = users(ra)["agent_service_1"]
    async with agent_socket(ra, "agent_service_1") as agent:
        await agent.next("presence", presence="available")
        reply = await _cti(ra, {"event": "newCall", "callId": "call-1", "from": "+4917099999",
                                "to": "+49301234502", "direction": "in"})
        assert reply == {"action": "dial", "number": "221"}
        offer = await agent.next("offer", channel="call")
        assert offer["department"] == "service"
        second = await _cti(ra, {"event": "newCall", "callId": "call-2", "from": "+4917088888",
                                 "to": "+49301234502", "direction": "in"})
        assert second == {}  # agent busy ringing: the department's number, which is the one called
        third = await _cti(ra, {"event": "newCall", "callId": "call-3", "from": "+4917077777",
                                "to": "+49301239999", "direction": "in"})
        assert third == {"action": "dial", "number": "+49301234502"}  # called elsewhere: the department's group
        await _cti(ra, {"event": "answer", "callId": "call-1", "answeringNumber": "221"})
        row = await eventually(lambda: _status(ra, offer["conversation_id"], "assigned"))
        assert row.assigned_user_id == uid
        await agent.next("presence", state="busy")
        await _cti(ra, {"event": "hangup", "callId": "call-1", "cause": "normalClearing"})
        await eventually(lambda: _status(ra, offer["conversation_id"], "closed"))
        await agent.next("presence", state="available", count=2)


@BOTH
@pytest.mark.parametrize("store_caught_up", [True, False])
async def test_a_late_queued_update_does_not_take_an_assigned_contact_from_its_agent(start_routed, store_caught_up):
    """A ``queued`` ConversationUpdated from before the assignment (another instance's echo of an
    earlier decline, heard late) leaves the contact with the agent who accepted it: whether the
    store already says assigned or, in the moment between the claim and the store write, not yet."""
    ra = await start_routed()
    async with agent_socket(ra, "agent_sales_1") as agent:
        await agent.next("presence", presence="available")
        cid = await send_email(ra, "Bestellung", "Ich möchte bestellen")
        offer = await agent.next("offer", conversation_id=cid)
        stale = ConversationUpdated(cid, "queued", "sales", None)  # made before the accept below
        await agent.request({"type": "offer.accept", "offer_id": offer["offer_id"]})
        await agent.next("presence", state="busy")
        await eventually(lambda: _status(ra, cid, "assigned"))
        if not store_caught_up:
            async with ra.db.session() as s:
                await s.execute(update(Conversation).where(Conversation.id == cid).values(status="queued"))
        await ra.app[keys.BUS].publish(stale)
        await ra.app[keys.BUS].settle()
        routing = services(ra)
        await asyncio.gather(*routing.consumer.pending())  # the consumer has handled it
        contact = await routing.router.reservations.contact(cid)
    assert contact is not None
    assert (contact.status, contact.user_id) == ("assigned", users(ra)["agent_sales_1"])


async def test_requeued_conversation_frees_the_agent_and_is_offered_again(start_routed):
    """An agent puts an accepted email back in the queue: their load drops and the email is offered again."""
    ra = await start_routed()
    async with agent_socket(ra, "agent_sales_1") as agent:
        await agent.next("presence", presence="available")
        cid = await send_email(ra, "Bestellung", "Ich möchte bestellen")
        offer = await agent.next("offer", conversation_id=cid)
        await agent.request({"type": "offer.accept", "offer_id": offer["offer_id"]})
        await agent.next("presence", state="busy")
        client = await ra.login("agent_sales_1")
        try:
            resp = await client.patch(f"/api/v1/conversations/{cid}", json={"action": "requeue"})
            assert resp.status == 200, await resp.text()
        finally:
            await client.close()
        again = await agent.next("offer", conversation_id=cid, count=2)
        assert again["offer_id"] != offer["offer_id"]
        assert "requeued" in again["reason"]
