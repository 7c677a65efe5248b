"""POST /api/v1/conversations/{id}/transfer: to an agent (an offer) or a department (requeued), with a note."""

from __future__ import annotations

from tests.component.routing.conftest import (
    BOTH,
    agent_socket,
    conversation_row,
    eventually,
    send_email,
    users,
)


async def _taken(ra, agent, cid):
    offer = await agent.next("offer", conversation_id=cid)
    await agent.request({"type": "offer.accept", "offer_id": offer["offer_id"]})
    await agent.next("assigned", conversation_id=cid)
    return await eventually(lambda: _owned(ra, cid))


async def _owned(ra, cid):
    row = await conversation_row(ra.db, cid)
    return row if row.status == "assigned" else None


@BOTH
async def test_transfer_to_an_agent_offers_it_to_them_and_keeps_the_note(start_routed):
    """The agent who has a conversation passes it to a colleague: the colleague (not the sender, not
    anyone else) gets an offer, the sender is free, and the note is on the conversation."""
    ra = await start_routed()
    async with agent_socket(ra, "agent_sales_1") as first, agent_socket(ra, "agent_sales_2") as second:
        await first.next("presence", presence="available")
        await second.next("presence", presence="available")
        cid = await send_email(ra, "I want to buy a router", "Which one?")
        await _taken(ra, first, cid)
        async with await ra.login("agent_sales_1") as http:
            resp = await http.post(f"/api/v1/conversations/{cid}/transfer",
                                   json={"user_id": users(ra)["agent_sales_2"], "note": "Asks about routers"})
            assert resp.status == 200, await resp.text()
            body = await resp.json()
            assert body["offered_to"] == users(ra)["agent_sales_2"]
            offer = await second.next("offer", conversation_id=cid)
            assert "transferred by" in offer["reason"]
            await second.request({"type": "offer.accept", "offer_id": offer["offer_id"]})
            row = await eventually(lambda: _owned(ra, cid))
            assert row.assigned_user_id == users(ra)["agent_sales_2"]
            messages = await (await http.get(f"/api/v1/conversations/{cid}/messages")).json()
        notes = [m["body_text"] for m in messages["messages"] if m["direction"] == "note"]
        assert notes == ["Transferred to agent_sales_2: Asks about routers"]


@BOTH
async def test_transfer_to_a_department_requeues_it_there(start_routed):
    """A transfer to another department puts the conversation in that queue; its agent gets the offer."""
    ra = await start_routed()
    async with agent_socket(ra, "agent_sales_1") as first, agent_socket(ra, "agent_complaints_1") as other:
        await first.next("presence", presence="available")
        await other.next("presence", presence="available")
        cid = await send_email(ra, "I want to buy a router", "Which one is best?")
        await _taken(ra, first, cid)
        async with await ra.login("agent_sales_1") as http:
            resp = await http.post(f"/api/v1/conversations/{cid}/transfer", json={"department": "complaints"})
            assert resp.status == 200, await resp.text()
        offer = await other.next("offer", conversation_id=cid)
        assert offer["department"] == "complaints"
        row = await conversation_row(ra.db, cid)
        assert row.assigned_user_id != users(ra)["agent_sales_1"]


async def test_bad_transfers_are_refused_naming_the_field(start_routed):
    """Neither or both targets, an unknown department, someone else's conversation: 4xx, nothing moves."""
    ra = await start_routed()
    async with agent_socket(ra, "agent_sales_1") as first:
        await first.next("presence", presence="available")
        cid = await send_email(ra, "I want to buy a router", "Which one?")
        await _taken(ra, first, cid)
        async with await ra.login("agent_sales_1") as http:
            for body, field in (({}, "user_id"), ({"user_id": 1, "department": "sales"}, "user_id"),
                                ({"department": "nowhere"}, "department")):
                resp = await http.post(f"/api/v1/conversations/{cid}/transfer", json=body)
                assert resp.status == 422
                assert (await resp.json())["field"] == field
            offline = await http.post(f"/api/v1/conversations/{cid}/transfer",
                                      json={"user_id": users(ra)["agent_sales_2"]})
            assert offline.status == 409  # not connected: cannot take it now
        async with await ra.login("agent_sales_2") as colleague:
            theirs = await colleague.post(f"/api/v1/conversations/{cid}/transfer", json={"department": "service"})
            assert theirs.status == 403
    row = await conversation_row(ra.db, cid)
    assert row.assigned_user_id == users(ra)["agent_sales_1"]
