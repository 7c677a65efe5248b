"""The supervisor's live view (websocket snapshot, coalesced updates, REST) and agent presence."""

from __future__ import annotations

from contact_center.events import AgentPresenceChanged, SupervisorsNotified
from routing.services import ROUTING
from tests.component.routing.conftest import agent_socket, eventually, recorder, send_email, users


async def test_supervisor_gets_a_snapshot_then_coalesced_updates(start_routed):
    """/ws/supervisor opens with a queue_snapshot; a burst of contacts yields far fewer frames than events."""
    ra = await start_routed(snapshot_interval_seconds=0.25)
    rec = recorder(ra)
    # Counted before the socket opens: a snapshot published just before the first frame was read
    # can still reach the socket after it, so counting from there could miss a frame's event.
    before = len(rec.of(SupervisorsNotified))
    async with agent_socket(ra, "supervisor", path="/ws/supervisor") as supervisor:
        first = await supervisor.next("queue_snapshot")
        assert {q["queue"] for q in first["queues"]} >= {"sales.email", "service.call", "complaints.chat"}
        assert first["totals"]["waiting"] == 0
        for n in range(12):
            await send_email(ra, f"Order number {n}", "I want to buy")
        await eventually(lambda: any(f["totals"]["waiting"] == 12 for f in supervisor.of("queue_snapshot")))
        frames = supervisor.of("queue_snapshot")
        sales = next(q for q in frames[-1]["queues"] if q["queue"] == "sales.email")
        assert sales["waiting"] == 12
        assert sales["longest_wait"] >= 0
        published = len(rec.of(SupervisorsNotified)) - before
        assert published < 12  # coalesced: never one frame per event
        assert 1 <= len(frames) - 1 <= published  # each frame after the first is one publication, none twice


async def test_rest_stats_is_the_same_snapshot_for_supervisors_only(start_routed):
    """GET /api/v1/stats/queues answers the snapshot to a supervisor and 403 to an agent."""
    ra = await start_routed()
    await send_email(ra, "Beschwerde", "schlecht")
    supervisor, agent = await ra.login("supervisor"), await ra.login("agent_sales_1")
    try:
        async def waiting():
            body = await (await supervisor.get("/api/v1/stats/queues")).json()
            row = next(q for q in body["queues"] if q["queue"] == "complaints.email")
            return body if row["waiting"] == 1 else None

        body = await eventually(waiting)
        assert body["type"] == "queue_snapshot"
        assert {"available", "busy", "wrap_up", "away", "offline"} == set(body["queues"][0]["agents"])
        resp = await agent.get("/api/v1/stats/queues")
        assert resp.status == 403
        assert (await resp.json())["code"] == "forbidden"
    finally:
        await supervisor.close()
        await agent.close()


async def test_presence_rest_and_away_agents_get_no_offers(start_routed):
    """An agent set away over REST gets no offer; back to available, the waiting contact is offered."""
    ra = await start_routed()
    async with agent_socket(ra, "agent_sales_2") as agent:
        await agent.next("presence", presence="available")
        client = await ra.login("agent_sales_2")
        try:
            resp = await client.put("/api/v1/routing/presence", json={"presence": "away", "reason": "lunch"})
            body = await resp.json()
            assert (body["presence"], body["reason"]) == ("away", "lunch")
            cid = await send_email(ra, "kaufen", "")
            await eventually(lambda: _waiting(ra, cid))
            assert agent.of("offer") == []
            resp = await client.put("/api/v1/routing/presence", json={"presence": "busy"})
            assert resp.status == 422
            assert (await resp.json())["field"] == "presence"
            await client.put("/api/v1/routing/presence", json={"presence": "available"})
            await agent.next("offer", conversation_id=cid)
            mine = await (await client.get("/api/v1/routing/presence")).json()
            assert mine["state"] == "busy"
        finally:
            await client.close()


async def _waiting(ra, cid):
    contact = await ra.app[ROUTING].router.reservations.contact(cid)
    return contact is not None and contact.status == "waiting"


async def test_agent_without_sockets_goes_offline_after_the_grace_period(start_routed):
    """Closing the last agent websocket sets the agent offline (reason 'disconnected') after the grace period."""
    ra = await start_routed(offline_grace_seconds=0.1)
    rec = recorder(ra)
    uid = users(ra)["agent_service_2"]
    async with agent_socket(ra, "agent_service_2") as agent:
        await agent.next("presence", presence="available")
    changed = await rec.wait(AgentPresenceChanged, user_id=uid, presence="offline")
    assert changed[0].reason == "disconnected"
    async with agent_socket(ra, "agent_service_2") as agent:
        await agent.next("presence", presence="available")
