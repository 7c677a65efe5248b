"""Offers over the real agent websocket: accept, reject, timeout, autopause, wrap-up."""

from __future__ import annotations

from contact_center.events import AgentPresenceChanged, OfferDeclined, OfferMade
from tests.component.routing.conftest import (
    BOTH,
    agent_socket,
    conversation_row,
    eventually,
    recorder,
    send_email,
    users,
)


async def _status(ra, cid, status):
    row = await conversation_row(ra.db, cid)
    return row if row.status == status else None




@BOTH
async def test_offer_frame_accepted_over_websocket(start_routed):
    """An available agent gets the offer frame on /ws/agent, accepts it there, and owns the conversation."""
    ra = await start_routed()
    async with agent_socket(ra, "agent_sales_1") as agent:
        await agent.next("presence", presence="available")
        cid = await send_email(ra, "I want to buy two routers", "What is the price?")
        offer = await agent.next("offer", conversation_id=cid)
        assert offer["department"] == "sales"
        assert offer["channel"] == "email"
        assert "buy" in offer["reason"]
        reply = await agent.request({"type": "offer.accept", "offer_id": offer["offer_id"]})
        assert reply == {"type": "offer.accepted", "offer_id": offer["offer_id"], "conversation_id": cid,
                         "id": reply["id"]}
        await agent.next("assigned", conversation_id=cid)
        row = await eventually(lambda: _status(ra, cid, "assigned"))
        assert row.assigned_user_id == users(ra)["agent_sales_1"]


async def test_rejected_offer_goes_to_the_next_agent(start_routed):
    """A reject sends the contact to the other available agent of the department."""
    ra = await start_routed()
    async with agent_socket(ra, "agent_sales_1") as first, agent_socket(ra, "agent_sales_2") as second:
        await first.next("presence", presence="available")
        await second.next("presence", presence="available")
        cid = await send_email(ra, "Angebot gewünscht", "Wir möchten kaufen")
        offer = await first.next("offer", conversation_id=cid)  # longest idle: connected first
        reply = await first.request({"type": "offer.reject", "offer_id": offer["offer_id"]})
        assert reply["type"] == "offer.rejected"
        second_offer = await second.next("offer", conversation_id=cid)
        assert second_offer["offer_id"] != offer["offer_id"]
        late = await first.request({"type": "offer.accept", "offer_id": offer["offer_id"]})
        assert late["type"] == "error"
        assert late["code"] == "conflict"


@BOTH
async def test_unanswered_offer_times_out_to_the_next_agent(start_routed):
    """No answer within the offer timeout: the offer is withdrawn and the next agent gets it."""
    ra = await start_routed(offer_timeout_seconds=0.3)
    rec = recorder(ra)
    async with agent_socket(ra, "agent_technical_support_1") as first, \
            agent_socket(ra, "agent_technical_support_2") as second:
        await first.next("presence", presence="available")
        await second.next("presence", presence="available")
        cid = await send_email(ra, "Router defekt", "Das Gerät ist kaputt")
        offer = await first.next("offer", conversation_id=cid)
        cancelled = await first.next("offer_cancelled", offer_id=offer["offer_id"])
        assert cancelled["reason"] == "timeout"
        await second.next("offer", conversation_id=cid)
        declined = await rec.wait(OfferDeclined, conversation_id=cid)
        assert declined[0].timed_out is True


@BOTH
async def test_agent_missing_offers_in_a_row_is_set_away(start_routed):
    """Autopause: after N timed-out offers in a row the agent is away with reason 'autopause'."""
    ra = await start_routed(offer_timeout_seconds=0.2, autopause_after=2, reoffer_after_seconds=0)
    rec = recorder(ra)
    uid = users(ra)["agent_complaints_1"]
    async with agent_socket(ra, "agent_complaints_1") as agent:
        await agent.next("presence", presence="available")
        cid = await send_email(ra, "Beschwerde", "Ich möchte mich beschweren")
        await agent.next("offer", conversation_id=cid, count=2)
        paused = await agent.next("presence", presence="away")
        assert paused["reason"] == "autopause"
        changed = await rec.wait(AgentPresenceChanged, user_id=uid, presence="away")
        assert changed[0].reason == "autopause"
        offers = len(agent.of("offer"))
        back = await agent.request({"type": "presence.set", "presence": "available"})
        assert back["presence"] == "available"
        await agent.next("offer", conversation_id=cid, count=offers + 1)


async def test_wrap_up_holds_the_next_offer_until_it_ends(start_routed):
    """After finishing a contact the agent is in wrap-up; the next contact is offered only after it."""
    ra = await start_routed(wrap_up_seconds=0.4)
    rec = recorder(ra)
    uid = users(ra)["agent_service_1"]
    async with agent_socket(ra, "agent_service_1") as agent:
        client = await ra.login("agent_service_1")
        try:
            await agent.next("presence", presence="available")
            first = await send_email(ra, "Question", "Hello there")
            offer = await agent.next("offer", conversation_id=first)
            await agent.request({"type": "offer.accept", "offer_id": offer["offer_id"]})
            resp = await client.patch(f"/api/v1/conversations/{first}", json={"action": "close"})
            assert resp.status == 200, await resp.text()
            wrap = await agent.next("presence", state="wrap_up")
            assert wrap["wrap_up_until"] is not None
            second = await send_email(ra, "Another question", "Hello again")
            await agent.next("offer", conversation_id=second)
            states = [f["state"] for f in agent.frames if f["type"] == "presence"]
            assert states.index("wrap_up") < len(states) - 1  # wrap-up ended (another presence frame) ...
            made = [e for e in rec.events if isinstance(e, OfferMade | AgentPresenceChanged) and e.user_id == uid]
            kinds = [(type(e).__name__, getattr(e, "presence", None)) for e in made]
            wrap_at = kinds.index(("AgentPresenceChanged", "wrap_up"))
            assert ("AgentPresenceChanged", "available") in kinds[wrap_at:]
            assert kinds[-1] == ("OfferMade", None)  # ... before the second offer
            row = await eventually(lambda: _status(ra, first, "closed"))
            assert row.assigned_user_id == uid
        finally:
            await client.close()
