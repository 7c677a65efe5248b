"""The supervisor's actions from the wallboard: a queue's waiting contacts, assigning one, an agent's
state with a reason, a forced logout; each within the supervisor's departments and audited."""

from __future__ import annotations

from sqlalchemy import select

from contact_center.auth.users import create_user
from contact_center.store.tables import Audit
from tests.component.routing.conftest import BOTH, agent_socket, eventually, send_email, users
from tests.conftest import PASSWORD, RunningApp


async def _audit(ra: RunningApp, action: str) -> list[Audit]:
    async with ra.db.session() as s:
        return list((await s.execute(select(Audit).where(Audit.action == action))).scalars())


async def _sales_lead(ra: RunningApp) -> int:
    """A supervisor of the sales department only."""
    return await create_user(ra.db, username="sales_lead", password=PASSWORD, role="supervisor",
                             departments=["sales"])


@BOTH
async def test_a_waiting_contact_is_listed_and_assigned_to_an_agent_who_gets_the_offer(start_routed):
    """A complaint waits (no complaints agent is online); the supervisor opens the queue, sees it with
    its waiting time and reason, assigns it to a sales agent, who gets it as an offer; audited."""
    ra = await start_routed()
    agent_id = users(ra)["agent_sales_1"]
    async with agent_socket(ra, "agent_sales_1") as agent:
        await agent.next("presence", presence="available")
        cid = await send_email(ra, "Beschwerde", "Eine Beschwerde: das Gerät ist kaputt")
        async with await ra.login("supervisor") as http:
            async def listed():
                body = await (await http.get("/api/v1/routing/queues/complaints.email/contacts")).json()
                return body if body["contacts"] else None

            body = await eventually(listed)
            [row] = body["contacts"]
            assert (row["conversation_id"], row["channel"], row["status"]) == (cid, "email", "waiting")
            assert row["reason"]
            assert row["waited"] >= 0
            assert row["subject"] == "Beschwerde"
            assert body["department"] == "complaints"
            assert body["channel"] == "email"
            resp = await http.post(f"/api/v1/routing/contacts/{cid}/assign", json={"user_id": agent_id})
            assert resp.status == 200, await resp.text()
            assert (await resp.json())["offered_to"] == agent_id
            offer = await agent.next("offer", conversation_id=cid)
            assert "assigned by" in offer["reason"]
            again = await http.post(f"/api/v1/routing/contacts/{cid}/assign", json={"user_id": agent_id})
            assert again.status == 409  # on offer now, no longer waiting
    [entry] = await _audit(ra, "conversation_assign")
    assert entry.after["offered_to"] == agent_id
    assert entry.before["queue"] == "complaints.email"


async def test_a_supervisor_sees_and_steers_only_their_departments(start_routed):
    """A sales-only supervisor: the snapshot holds sales queues and agents only; another department's
    queue, contact and agents answer 404 (or 422 for the target agent); the admin reaches all."""
    ra = await start_routed()
    await _sales_lead(ra)
    ids = users(ra)
    cid = await send_email(ra, "Beschwerde", "kaputt")
    async with await ra.login("sales_lead") as lead, await ra.login("admin") as admin:
        frame = await (await lead.get("/api/v1/stats/queues")).json()
        assert {q["department"] for q in frame["queues"]} == {"sales"}
        assert {a["username"] for a in frame["agents"]} == {"agent_sales_1", "agent_sales_2"}
        assert (await lead.get("/api/v1/routing/queues/complaints.email/contacts")).status == 404
        assert (await lead.get("/api/v1/routing/queues/sales.email/contacts")).status == 200
        assert (await lead.post(f"/api/v1/routing/contacts/{cid}/assign",
                                json={"user_id": ids["agent_sales_1"]})).status == 404
        resp = await lead.put(f"/api/v1/routing/agents/{ids['agent_complaints_1']}/presence",
                              json={"presence": "away", "reason": "Coaching"})
        assert resp.status == 404
        resp = await lead.post(f"/api/v1/routing/agents/{ids['agent_complaints_1']}/logout",
                               json={"reason": "Shift ended"})
        assert resp.status == 404
        resp = await lead.post(f"/api/v1/routing/agents/{ids['supervisor']}/logout", json={"reason": "Shift ended"})
        assert resp.status == 404  # a fellow supervisor is not theirs to sign out
        everything = await (await admin.get("/api/v1/stats/queues")).json()
        assert len({q["department"] for q in everything["queues"]}) == 5
        assert (await admin.get("/api/v1/routing/queues/complaints.email/contacts")).status == 200


@BOTH
async def test_a_state_change_needs_a_configured_reason_and_is_audited(start_routed):
    """The supervisor sets an agent away with a configured reason: the agent's desk gets the presence
    frame with it, the wallboard row shows since when; an unknown reason is a 422 naming 'reason'."""
    ra = await start_routed(state_reasons=["Coaching", "Shift ended"])
    agent_id = users(ra)["agent_sales_2"]
    async with agent_socket(ra, "agent_sales_2") as agent, await ra.login("supervisor") as http:
        await agent.next("presence", presence="available")
        assert (await (await http.get("/api/v1/routing/state-reasons")).json())["reasons"] == ["Coaching",
                                                                                              "Shift ended"]
        bad = await http.put(f"/api/v1/routing/agents/{agent_id}/presence", json={"presence": "away", "reason": "x"})
        assert bad.status == 422
        assert (await bad.json())["field"] == "reason"
        missing = await http.put(f"/api/v1/routing/agents/{agent_id}/presence", json={"presence": "away"})
        assert missing.status == 422
        assert (await missing.json())["field"] == "reason"
        resp = await http.put(f"/api/v1/routing/agents/{agent_id}/presence",
                              json={"presence": "away", "reason": "Coaching"})
        assert resp.status == 200, await resp.text()
        await agent.next("presence", presence="away", reason="Coaching")

        async def row():
            frame = await (await http.get("/api/v1/stats/queues")).json()
            mine = next(a for a in frame["agents"] if a["user_id"] == agent_id)
            return mine if mine["state"] == "away" else None

        shown = await eventually(row)
        assert shown["reason"] == "Coaching"
        assert shown["state_since"] is not None
    [entry] = await _audit(ra, "agent_state_change")
    assert entry.before["presence"] == "available"
    assert entry.after["presence"] == "away"
    assert entry.detail["reason"] == "Coaching"
    assert entry.object_id == str(agent_id)


@BOTH
async def test_a_forced_logout_ends_every_session_and_socket_and_sets_the_agent_offline(start_routed):
    """The supervisor signs an agent out: their websocket closes with 4401, their session no longer
    works, routing has them offline with the reason; signing oneself out this way is a 422."""
    ra = await start_routed()
    agent_id = users(ra)["agent_sales_1"]
    async with agent_socket(ra, "agent_sales_1") as agent, await ra.login("supervisor") as http:
        await agent.next("presence", presence="available")
        desk = await ra.login("agent_sales_1")
        try:
            resp = await http.post(f"/api/v1/routing/agents/{agent_id}/logout", json={"reason": "Shift ended"})
            assert resp.status == 200, await resp.text()
            body = await resp.json()
            assert body["sessions_ended"] >= 2
            assert body["presence"] == "offline"
            await eventually(lambda: agent.ws.close_code is not None)
            assert agent.ws.close_code == 4401
            assert (await desk.get("/api/v1/me")).status == 401
        finally:
            await desk.close()
        frame = await (await http.get("/api/v1/stats/queues")).json()
        row = next(a for a in frame["agents"] if a["user_id"] == agent_id)
        assert (row["presence"], row["reason"]) == ("offline", "Shift ended")
        me = await (await http.get("/api/v1/me")).json()
        own = await http.post(f"/api/v1/routing/agents/{me['user']['id']}/logout", json={"reason": "Shift ended"})
        assert own.status == 422
        assert (await own.json())["field"] == "id"
    [entry] = await _audit(ra, "user_forced_logout")
    assert entry.detail["reason"] == "Shift ended"
    assert entry.detail["sessions_ended"] >= 2


async def test_users_without_a_routing_presence_get_routed_false_not_404(start_routed):
    """GET /api/v1/routing/presence answers a supervisor and an admin 200 with routed: false (their
    desk shows no presence and no 'Reconnecting…'); an agent gets routed: true."""
    ra = await start_routed()
    for username, routed in (("supervisor", False), ("admin", False), ("agent_sales_1", True)):
        async with await ra.login(username) as http:
            resp = await http.get("/api/v1/routing/presence")
            assert resp.status == 200
            assert (await resp.json())["routed"] is routed


async def test_the_supervisor_socket_is_cut_to_the_supervisors_departments(start_routed):
    """/ws/supervisor sends a sales-only supervisor the sales queues only, first frame and updates."""
    ra = await start_routed()
    await _sales_lead(ra)
    async with agent_socket(ra, "sales_lead", path="/ws/supervisor") as lead:
        first = await lead.next("queue_snapshot")
        assert {q["department"] for q in first["queues"]} == {"sales"}
        await send_email(ra, "Beschwerde", "kaputt")
        await send_email(ra, "I want to buy a router", "which one")
        later = await eventually(lambda: [f for f in lead.of("queue_snapshot") if f["totals"]["waiting"]])
        assert {q["department"] for q in later[-1]["queues"]} == {"sales"}
        assert later[-1]["totals"]["waiting"] == 1  # the sales email only, not the complaint

