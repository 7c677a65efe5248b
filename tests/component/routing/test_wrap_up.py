"""Wrap-up after calls on the real app: after-call work, a required outcome, more time; and offers that
time out while the agent is unreachable, told apart from ignored ones."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from contact_center.events import OfferDeclined
from contact_center.settings import PbxSettings, Secret
from contact_center.store.tables import Conversation, Department
from routing.model import WAITING
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
from tests.conftest import PASSWORD

TOKEN = "wrap-up-test-pbx-token"
PBX = {"pbx": (PbxSettings(name="pbx", token=Secret(TOKEN), route_inbound=True),)}


async def _cti(ra: Any, body: dict[str, Any]) -> dict[str, Any]:
    client = ra.session()
    try:
        async with client.post(f"/api/v1/cti/{TOKEN}", json=body) as resp:
            assert resp.status == 200, await resp.text()
            return await resp.json()  # type: ignore[no-any-return]
    finally:
        await client.close()


async def _service_rules(ra: Any, **values: Any) -> None:
    """Set the service department's wrap-up settings through the admin API, then reload routing."""
    admin = await ra.login("admin", PASSWORD)
    try:
        async with admin.patch("/api/v1/departments/service", json=values) as resp:
            body = await resp.json()
            assert resp.status == 200, body
            for key, value in values.items():
                assert body["department"][key] == value
    finally:
        await admin.close()
    router = services(ra).router
    await router.load_org()
    wrap = await eventually(lambda: _reloaded(router, values))
    assert wrap.outcome_required is values.get("outcome_required", False)


def _reloaded(router: Any, values: dict[str, Any]) -> Any:
    wrap = router.org.departments["service"].wrap_up
    seconds = values.get("after_call_work_seconds")
    return wrap if wrap.seconds == (None if seconds is None else float(seconds)) else None


async def _answered_call(ra: Any, agent: Any, call_id: str) -> int:
    """A call to the service number rings agent_service_1 (extension 221), who answers and hangs up."""
    # (waits below are generous for a loaded machine; nothing here measures time)
    reply = await _cti(ra, {"event": "newCall", "callId": call_id, "from": "+4917099999", "to": "+49301234502",
                            "direction": "in"})
    assert reply == {"action": "dial", "number": "221"}
    offer = await agent.next("offer", channel="call")
    await _cti(ra, {"event": "answer", "callId": call_id, "answeringNumber": "221"})
    await agent.next("presence", state="busy")
    await _cti(ra, {"event": "hangup", "callId": call_id, "cause": "normalClearing"})
    return int(offer["conversation_id"])


async def _status(ra: Any, cid: int, status: str) -> Any:
    row = await conversation_row(ra.db, cid)
    return row if row.status == status else None


@BOTH
async def test_a_required_outcome_keeps_offers_away_until_it_is_chosen(start_routed):
    """After hang-up the call waits in wrap-up (no outcome "answered"); with an outcome required the agent
    gets no offer until choosing one, then the waiting email comes at once."""
    ra = await start_routed(settings=PBX)
    await _service_rules(ra, outcome_required=True, outcomes=["resolved", "callback_needed"])
    uid = users(ra)["agent_service_1"]
    async with agent_socket(ra, "agent_service_1") as agent:
        await agent.next("presence", presence="available")
        cid = await _answered_call(ra, agent, "wrap-1")
        row = await eventually(lambda: _status(ra, cid, "wrap_up"))
        assert (row.assigned_user_id, row.disposition, row.closed_at) == (uid, None, None)
        frame = await agent.next("presence", state="wrap_up")
        assert frame["wrap_up"]["conversation_id"] == cid
        assert frame["wrap_up"]["outcome_required"] is True

        email = await send_email(ra, "Hello", "Just a question")
        router = services(ra).router
        tracked = await eventually(lambda: router.reservations.contact(email))
        assert tracked.department == "service"
        await router.dispatch_once()
        assert agent.of("offer", conversation_id=email) == []
        tracked = await router.reservations.contact(email)
        assert tracked is not None
        assert tracked.status == WAITING
        held = await router.reservations.agent(uid)
        assert held is not None
        assert held.state(router.clock()) == "wrap_up"

        client = await ra.login("agent_service_1", PASSWORD)
        try:
            async with client.post(f"/api/v1/conversations/{cid}/wrap-up", json={"note": "no outcome"}) as resp:
                assert resp.status == 422
                assert (await resp.json())["field"] == "disposition"
            async with client.post(f"/api/v1/conversations/{cid}/wrap-up", json={"disposition": "no_action"}) as resp:
                assert resp.status == 422  # a desk disposition, but not one of the department's outcomes
            async with client.post(f"/api/v1/conversations/{cid}/wrap-up",
                                   json={"disposition": "callback_needed", "note": "Call back on Monday"}) as resp:
                body = await resp.json()
                assert resp.status == 200, body
        finally:
            await client.close()
        row = await conversation_row(ra.db, cid)
        assert (row.status, row.disposition) == ("closed", "callback_needed")
        await agent.next("offer", conversation_id=email)


async def test_after_call_work_runs_out_and_the_call_closes_without_an_outcome(start_routed):
    """With after-call work and no outcome required, the call closes by itself when the time is up."""
    ra = await start_routed(settings=PBX)
    await _service_rules(ra, after_call_work_seconds=1, outcome_required=False)
    async with agent_socket(ra, "agent_service_1") as agent:
        await agent.next("presence", presence="available")
        cid = await _answered_call(ra, agent, "wrap-2")
        frame = await agent.next("presence", state="wrap_up")
        assert frame["wrap_up"]["outcome_required"] is False
        assert frame["wrap_up"]["until"] == frame["wrap_up_until"]
        # Timers run on the sweeper: generous waits for a loaded machine (nothing here measures time).
        row = await eventually(lambda: _status(ra, cid, "closed"), within=30)
        assert row.disposition is None
        await agent.next("presence", state="available", count=2, within=30)


async def test_the_agent_extends_wrap_up_and_ends_it_with_ready(start_routed):
    """More time moves the end of after-call work; Ready (no outcome required) ends it at once."""
    ra = await start_routed(settings=PBX)
    await _service_rules(ra, after_call_work_seconds=120)
    uid = users(ra)["agent_service_1"]
    async with agent_socket(ra, "agent_service_1") as agent:
        await agent.next("presence", presence="available")
        cid = await _answered_call(ra, agent, "wrap-3")
        frame = await agent.next("presence", state="wrap_up")
        until = frame["wrap_up"]["until"]
        reply = await agent.request({"type": "wrap_up.extend", "seconds": 30})
        assert reply["wrap_up"]["until"] == pytest.approx(until + 30)
        refused = await agent.request({"type": "wrap_up.extend", "seconds": "lots"})
        assert refused["field"] == "seconds"
        client = await ra.login("agent_service_1", PASSWORD)
        try:
            async with client.post(f"/api/v1/conversations/{cid}/wrap-up", json={}) as resp:
                assert resp.status == 200, await resp.text()
            agent_state = await eventually(lambda: _available(ra, uid), within=30)  # routing heard the close
            assert agent_state.wrap_conversation is None
            async with client.post("/api/v1/routing/wrap-up/extend", json={"seconds": 30}) as resp:
                assert resp.status == 409  # not wrapping up any more
        finally:
            await client.close()


async def _available(ra: Any, uid: int) -> Any:
    router = services(ra).router
    agent = await router.reservations.agent(uid)
    return agent if agent is not None and agent.state(router.clock()) == "available" else None


@BOTH
async def test_an_offer_that_times_out_while_unreachable_is_not_counted_as_ignored(start_routed):
    """An offer expiring while the agent has no websocket is 'unreachable' and does not autopause them;
    the same while connected is 'ignored' and does (autopause after one)."""
    ra = await start_routed(offer_timeout_seconds=1, offline_grace_seconds=60, autopause_after=1)
    uid = users(ra)["agent_service_1"]
    bus = recorder(ra)
    router = services(ra).router
    async with agent_socket(ra, "agent_service_1") as agent:
        await agent.next("presence", presence="available")
    first = await send_email(ra, "Hello", "Anybody there?")
    declined = await bus.wait(OfferDeclined, conversation_id=first, user_id=uid, within=30)
    assert declined[0].outcome == "unreachable"
    state = await router.reservations.agent(uid)
    assert state is not None
    assert (state.presence, state.missed, state.unreachable, state.last_offer) == ("available", 0, 1, "unreachable")
    supervisor = await ra.login("supervisor", PASSWORD)
    try:
        async with supervisor.get("/api/v1/stats/queues") as resp:
            row = next(a for a in (await resp.json())["agents"] if a["user_id"] == uid)
        assert (row["last_offer"], row["unreachable"], row["ignored"]) == ("unreachable", 1, 0)
    finally:
        await supervisor.close()

    async with agent_socket(ra, "agent_service_1") as agent:
        second = await send_email(ra, "Hello again", "Still there?")
        offer = await agent.next("offer", conversation_id=second, within=30)
        declined = await bus.wait(OfferDeclined, conversation_id=second, user_id=uid, within=30)
        assert declined[0].outcome == "ignored"
        cancelled = await agent.next("offer_cancelled", offer_id=offer["offer_id"])
        assert cancelled["reason"] == "timeout"
        await agent.next("presence", presence="away", within=30)
    state = await router.reservations.agent(uid)
    assert state is not None
    assert (state.presence, state.reason, state.missed, state.last_offer) == ("away", "autopause", 1, "ignored")


async def test_department_wrap_up_settings_are_validated(start_routed):
    """Bad after-call work, required-outcome or outcome values are refused naming the field."""
    ra = await start_routed()
    admin = await ra.login("admin", PASSWORD)
    try:
        for body, field in (({"after_call_work_seconds": -1}, "after_call_work_seconds"),
                            ({"after_call_work_seconds": "soon"}, "after_call_work_seconds"),
                            ({"outcome_required": "yes"}, "outcome_required"),
                            ({"outcomes": ["Has Spaces"]}, "outcomes[0]"),
                            ({"outcomes": 5}, "outcomes")):
            async with admin.patch("/api/v1/departments/service", json=body) as resp:
                assert resp.status == 422, body
                assert (await resp.json())["field"] == field
        async with admin.patch("/api/v1/departments/service", json={"after_call_work_seconds": None}) as resp:
            assert (await resp.json())["department"]["after_call_work_seconds"] is None
    finally:
        await admin.close()
    async with ra.db.session() as s:
        await s.execute(update(Department).where(Department.slug == "service").values(outcomes=["sale"]))
    agent = await ra.login("agent_service_1", PASSWORD)
    try:
        async with agent.get("/api/v1/desk/config") as resp:
            wrap = (await resp.json())["wrap_up"]
        assert set(wrap) == {"service"}  # the agent's own departments only
        assert wrap["service"] == {"outcomes": ["sale"], "outcome_required": False, "after_call_work_seconds": None}
    finally:
        await agent.close()


@BOTH
async def test_a_wrap_up_routing_lost_is_taken_up_again_once(start_routed):
    """A call left in wrap-up when routing lost its state (a restart) puts its agent back in wrap-up on
    rebuild, with the department's required outcome; a second rebuild changes nothing."""
    ra = await start_routed()
    await _service_rules(ra, outcome_required=True)
    uid = users(ra)["agent_service_1"]
    cid = await add_conversation(ra.db, channel="call", department="service", status="wrap_up")
    async with ra.db.session() as s:
        await s.execute(update(Conversation).where(Conversation.id == cid).values(assigned_user_id=uid))
    consumer = services(ra).consumer
    router = services(ra).router
    await consumer.rebuild()
    agent = await router.reservations.agent(uid)
    assert agent is not None
    assert (agent.wrap_conversation, agent.wrap_hold, agent.load.get("call", 0)) == (cid, True, 0)
    assert (await conversation_row(ra.db, cid)).status == "wrap_up"
    await consumer.rebuild()
    again = await router.reservations.agent(uid)
    assert again is not None
    assert (again.wrap_conversation, again.wrap_until, again.load.get("call", 0)) == (cid, agent.wrap_until, 0)
