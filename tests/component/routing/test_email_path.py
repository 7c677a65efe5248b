"""The first path end to end: an email is routed by its words, offered to an agent, accepted."""

from __future__ import annotations

from contact_center import keys
from contact_center.events import ContactRouted, EmailReceived, OfferAccepted, OfferMade, UserNotified
from tests.component.routing.conftest import add_conversation, conversation_row, eventually, recorder, users


async def test_invoice_email_reaches_account_changes_agent_who_accepts(start_routed):
    """EmailReceived with 'Rechnung' -> account_changes queue -> offer to its available agent -> accept -> assigned."""
    ra = await start_routed()
    rec = recorder(ra)
    agent_id = users(ra)["agent_account_changes_1"]
    client = await ra.login("agent_account_changes_1")
    try:
        resp = await client.put("/api/v1/routing/presence", json={"presence": "available"})
        assert resp.status == 200, await resp.text()
        cid = await add_conversation(ra.db, subject="Frage zur Rechnung 4711", body="Die Rechnung ist zu hoch.")
        await ra.app[keys.BUS].publish(EmailReceived(conversation_id=cid, message_id=1, mailbox="support",
                                                     subject="Frage zur Rechnung 4711"))
        routed = (await rec.wait(ContactRouted, conversation_id=cid))[0]
        assert routed.department == "account_changes"
        assert routed.queue == "account_changes.email"
        assert "rechnung" in routed.reason
        offer = (await rec.wait(OfferMade, conversation_id=cid))[0]
        assert offer.user_id == agent_id
        frames = [e.frame for e in rec.of(UserNotified, user_id=agent_id) if e.frame["type"] == "offer"]
        assert frames[0]["offer_id"] == offer.offer_id
        assert frames[0]["department"] == "account_changes"
        resp = await client.post(f"/api/v1/routing/offers/{offer.offer_id}/accept")
        assert resp.status == 200, await resp.text()
        assert (await resp.json())["conversation_id"] == cid
        await rec.wait(OfferAccepted, conversation_id=cid, user_id=agent_id)
        row = await eventually(lambda: _assigned(ra, cid))
        assert row.assigned_user_id == agent_id
        assert "rechnung" in row.route_reason
    finally:
        await client.close()


async def _assigned(ra, cid):
    row = await conversation_row(ra.db, cid)
    return row if row.status == "assigned" and row.route_reason else None
