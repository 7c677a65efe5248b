"""The CTI hook on the real app: wire format, idempotency, ordering, transfers, missed calls."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import func, select

from contact_center import keys
from contact_center.events import CallRang
from contact_center.settings import Settings
from contact_center.store.tables import Call, Conversation, CtiEvent
from tests.component.telephony.env import (
    OTHER_TOKEN,
    PLUGINS,
    TOKEN,
    AgentSocket,
    Pbx,
    add_customers,
    start_world,
    world_settings,
)
from tests.conftest import RunningApp, seed_org


@pytest.fixture
async def world(start_app: Callable, settings_factory: Callable[..., Settings],
                tmp_path: Path) -> AsyncIterator[tuple[RunningApp, dict[str, int], Pbx]]:
    settings = world_settings(settings_factory, tmp_path, sections={
        "telephony": {"blocked_numbers": ["0171 6666666"], "director_timeout_ms": 200}})
    app, users = await start_world(start_app, settings)
    async with app.session() as http:
        yield app, users, Pbx(app, http)


async def _calls(app: RunningApp, call_id: str) -> list[Call]:
    async with app.db.session() as s:
        return list((await s.execute(select(Call).where(Call.call_id == call_id))).scalars())


async def _count(app: RunningApp, model: Any) -> int:
    async with app.db.session() as s:
        return int((await s.execute(select(func.count()).select_from(model))).scalar_one())


async def test_wrong_token_is_401(world: tuple[RunningApp, dict[str, int], Pbx]) -> None:
    """A token no PBX has is refused before the body is read."""
    _, _, pbx = world
    status, body = await pbx.post({"event": "newCall"}, token="wrong")
    assert status == 401
    assert body["code"] == "unauthenticated"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"event": "ringing", "callId": "x"}, 422, "event"),
        ({"event": "newCall", "callId": "x", "from": "1", "to": "2", "direction": "up"}, 422, "direction"),
        ({"event": "newCall", "callId": "x", "to": "2", "direction": "in"}, 422, "from"),
        ({"event": "hangup", "callId": "x" * 251, "cause": "cancel"}, 422, "callId"),
        ({"event": "answer"}, 422, "callId"),
    ],
)
async def test_invalid_events_name_the_field(world: tuple[RunningApp, dict[str, int], Pbx], body: dict[str, Any],
                                             status: int, field: str) -> None:
    """Unknown events, bad directions and missing fields are 422 naming the field; nothing is stored."""
    app, _, pbx = world
    code, reply = await pbx.post(body)
    assert (code, reply["field"]) == (status, field)
    assert await _count(app, CtiEvent) == 0


async def test_malformed_bodies_are_400(world: tuple[RunningApp, dict[str, int], Pbx]) -> None:
    """Broken JSON and non-object JSON are malformed bodies."""
    _, _, pbx = world
    for raw in (b"{not json", b"[1, 2]", b""):
        async with pbx.client.post(f"/api/v1/cti/{TOKEN}", data=raw,
                                   headers={"Content-Type": "application/json"}) as resp:
            assert resp.status == 400
            assert (await resp.json())["code"] == "malformed_body"


async def test_form_encoded_new_call_with_user_list(world: tuple[RunningApp, dict[str, int], Pbx]) -> None:
    """A form post with user[] twice (as Zammad documents) rings both named agents."""
    app, users, pbx = world
    ringing = await AgentSocket.open(app, "agent_sales_2")
    form = [("event", "newCall"), ("from", "493011111 11"), ("to", "492214710334"), ("direction", "in"),
            ("callId", "form-1"), ("user[]", "agent_sales_1"), ("user[]", "agent_sales_2")]
    assert await pbx.post(form, form=True) == (200, {})
    frame = await ringing.next("call_ringing")
    assert frame["customer"]["id"] == users["customer:ann"]
    assert frame["from"] == "+49301111111"
    (call,) = await _calls(app, "form-1")
    assert call.users["ringing"] == ["agent_sales_1", "agent_sales_2"]
    assert (call.from_number, call.from_raw, call.direction, call.pbx) == ("+49301111111", "493011111 11", "in", "main")
    await ringing.close()


async def test_repeated_events_are_stored_once_and_answered_the_same(
    world: tuple[RunningApp, dict[str, int], Pbx],
) -> None:
    """A PBX retrying newCall/answer/hangup changes nothing and gets the same replies; one pop only."""
    app, _, pbx = world
    agent = await AgentSocket.open(app, "agent_sales_1")
    for _ in range(2):
        assert await pbx.call("dup-1", "+49 30 1111111") == (200, {})
    for _ in range(2):
        assert await pbx.answer("dup-1", "201") == (200, {})
    await agent.next("screen_pop")
    for _ in range(2):
        assert await pbx.hangup("dup-1") == (200, {})
    await agent.next("call_ended")
    assert [f["type"] for f in await agent.drain()] == []
    assert await _count(app, CtiEvent) == 3
    assert await _count(app, Conversation) == 1
    (call,) = await _calls(app, "dup-1")
    assert call.state == "ended"
    await agent.close()


async def test_answer_and_hangup_before_new_call_are_reconciled(
    world: tuple[RunningApp, dict[str, int], Pbx],
) -> None:
    """An answer arriving first still pops the caller; the late newCall rings nobody and fills in."""
    app, users, pbx = world
    agent = await AgentSocket.open(app, "agent_sales_1")
    base = {"callId": "ooo-1", "from": "0301111111", "to": "+49301234500", "direction": "in"}
    assert await pbx.post({"event": "answer", **base, "answeringNumber": "201"}) == (200, {})
    pop = await agent.next("screen_pop")
    assert pop["customer"]["id"] == users["customer:ann"]
    assert await pbx.post({"event": "newCall", **base, "user": ["agent_sales_1"]}) == (200, {})
    assert [f["type"] for f in await agent.drain()] == []
    (call,) = await _calls(app, "ooo-1")
    assert (call.state, call.users["ringing"], call.user_id) == ("answered", ["agent_sales_1"],
                                                                 users["agent_sales_1"])
    assert call.waiting_seconds == 0.0
    # hangup then answer of another leg: the late answer turns a missed call into an answered one
    assert await pbx.hangup("ooo-2", "normalClearing", **{"from": "+49301111111", "direction": "in"}) == (200, {})
    assert (await _calls(app, "ooo-2"))[0].missed is True
    assert await pbx.answer("ooo-2", "202") == (200, {})
    (late,) = await _calls(app, "ooo-2")
    assert (late.missed, late.user_id, late.state) == (False, users["agent_sales_2"], "ended")
    await agent.close()


async def test_missed_call(world: tuple[RunningApp, dict[str, int], Pbx]) -> None:
    """newCall then hangup without answer: a missed call; the rung agent sees it end."""
    app, _, pbx = world
    agent = await AgentSocket.open(app, "agent_sales_1")
    await pbx.call("miss-1", "+49301111111", user="agent_sales_1")
    await agent.next("call_ringing")
    assert await pbx.hangup("miss-1", "cancel") == (200, {})
    ended = await agent.next("call_ended")
    assert (ended["call_id"], ended["missed"], ended["cause"]) == ("miss-1", True, "cancel")
    (call,) = await _calls(app, "miss-1")
    async with app.db.session() as s:
        conv = await s.get(Conversation, call.conversation_id)
    assert (call.missed, call.answered_at, call.talking_seconds) == (True, None, None)
    assert conv is not None
    assert (conv.status, conv.disposition, conv.channel, conv.external_ref) == ("closed", "missed", "call", "miss-1")
    await agent.close()


async def test_transfer_links_legs_and_pops_the_second_agent(world: tuple[RunningApp, dict[str, int], Pbx]) -> None:
    """A forwarded call's new leg (origCallId) joins the conversation and pops its answerer."""
    app, users, pbx = world
    first = await AgentSocket.open(app, "agent_sales_1")
    second = await AgentSocket.open(app, "agent_sales_2")
    await pbx.call("leg-1", "+49301111111")
    await pbx.answer("leg-1", "201")
    pop1 = await first.next("screen_pop")
    await pbx.call("leg-2", "+49301111111", origCallId="leg-1")
    await pbx.hangup("leg-1", "forwarded")
    await pbx.answer("leg-2", "agent_sales_2")
    pop2 = await second.next("screen_pop")
    assert pop2["conversation_id"] == pop1["conversation_id"]
    assert pop2["call_id"] == "leg-2"
    assert pop2["customer"]["id"] == users["customer:ann"]
    leg1, leg2 = (await _calls(app, "leg-1"))[0], (await _calls(app, "leg-2"))[0]
    assert leg2.orig_call_id == "leg-1"
    assert leg1.conversation_id == leg2.conversation_id
    assert (leg1.missed, leg1.cause) == (False, "forwarded")
    async with app.db.session() as s:
        conv = await s.get(Conversation, leg1.conversation_id)
    assert conv is not None
    assert (conv.status, conv.assigned_user_id) == ("assigned", users["agent_sales_2"])
    await pbx.hangup("leg-2")
    await second.next("call_ended")
    await first.close()
    await second.close()


async def test_blocked_caller_is_rejected_and_rings_nobody(world: tuple[RunningApp, dict[str, int], Pbx]) -> None:
    """A configured blocked number gets the reject action; the call is kept but announced to no one."""
    app, _, pbx = world
    agent = await AgentSocket.open(app, "agent_sales_1")
    assert await pbx.call("blk-1", "+491716666666", user="agent_sales_1") == (200, {"action": "reject",
                                                                                      "reason": "busy"})
    assert await pbx.call("blk-1", "+491716666666", user="agent_sales_1") == (200, {"action": "reject",
                                                                                      "reason": "busy"})
    assert [f["type"] for f in await agent.drain()] == []
    assert len(await _calls(app, "blk-1")) == 1
    await agent.close()


class _Director:
    def __init__(self, decision: dict[str, str] | None, *, delay: float = 0.0) -> None:
        self.decision = decision
        self.delay = delay
        self.seen: list[CallRang] = []
        self.finished: list[str] = []
        self.done = asyncio.Event()

    async def direct_call(self, event: CallRang) -> dict[str, str] | None:
        self.seen.append(event)
        await asyncio.sleep(self.delay)
        self.finished.append(event.call_id)
        self.done.set()
        return self.decision


async def _with_director(start_app: Callable, settings: Settings, director: _Director) -> tuple[RunningApp, Any]:
    def install(app: web.Application) -> None:
        app[keys.CALL_DIRECTOR] = director

    app = await start_app(settings, plugins=[*PLUGINS, ("director", install)])
    users = await seed_org(app.db)
    await add_customers(app)
    customers = await app.app[keys.CUSTOMERS].identify("phone", "+49301111111")
    return app, {**users, "customer:ann": customers.customer_id}


async def test_call_director_decides_the_reply(start_app: Callable, settings_factory: Callable[..., Settings],
                                               tmp_path: Path) -> None:
    """With routing by the PBX turned on, the inbound newCall reply is the router's dial; repeats answer the same."""
    director = _Director({"action": "dial", "number": "+493012345000", "callerId": "+49301234500"})
    settings = world_settings(settings_factory, tmp_path, main={"route_inbound": True})
    app, users = await _with_director(start_app, settings, director)
    async with app.session() as http:
        pbx = Pbx(app, http)
        first = await pbx.call("dir-1", "+49301111111")
        second = await pbx.call("dir-1", "+49301111111")
    expected = {"action": "dial", "number": "+493012345000", "caller_id": "+49301234500",
                "callerId": "+49301234500"}
    assert first == (200, expected)
    assert second == (200, expected)
    assert director.seen[0].customer_id == users["customer:ann"]
    assert len(director.seen) == 1
    async with app.db.session() as s:
        stored = (await s.execute(select(CtiEvent.reply).where(CtiEvent.call_id == "dir-1"))).scalar_one()
    assert stored == expected


async def test_slow_call_director_falls_back_to_empty_reply(
    start_app: Callable, settings_factory: Callable[..., Settings], tmp_path: Path,
) -> None:
    """A director that does not answer within its timeout leaves the PBX with {} (let it ring), and
    is not cancelled: routing the call goes on (cut half-way, the call could be left tracked with
    no offer made)."""
    settings = world_settings(settings_factory, tmp_path, sections={"telephony": {"director_timeout_ms": 50}},
                              main={"route_inbound": True})
    director = _Director({"action": "dial", "number": "201"}, delay=0.5)
    app, _ = await _with_director(start_app, settings, director)
    async with app.session() as http:
        assert await Pbx(app, http).call("dir-2", "+49301111111") == (200, {})
        assert director.finished == []
        async with asyncio.timeout(30):
            await director.done.wait()
    assert director.finished == ["dir-2"]


async def test_inbound_new_call_answers_empty_unless_routing_by_the_pbx_is_on(
    start_app: Callable, settings_factory: Callable[..., Settings], tmp_path: Path,
) -> None:
    """As in Zammad, an inbound newCall gets {} (the router still routes it, from the bus); no dial is sent.

    Zammad's generic CTI documentation, newCall, Inbound: "Response: {}".
    """
    director = _Director({"action": "dial", "number": "+493012345000"})
    app, _ = await _with_director(start_app, world_settings(settings_factory, tmp_path), director)
    async with app.session() as http:
        assert await Pbx(app, http).call("plain-1", "+49301111111") == (200, {})
    assert director.seen == []


async def test_routing_by_the_pbx_never_dials_the_number_that_was_called(
    start_app: Callable, settings_factory: Callable[..., Settings], tmp_path: Path,
) -> None:
    """A department's hunt-group number equal to the called number would loop the call: the reply is {}."""
    director = _Director({"action": "dial", "number": "+49 30 1234500"})  # Pbx.call dials +49301234500
    settings = world_settings(settings_factory, tmp_path, main={"route_inbound": True})
    app, _ = await _with_director(start_app, settings, director)
    async with app.session() as http:
        assert await Pbx(app, http).call("loop-1", "+49301111111") == (200, {})
    assert len(director.seen) == 1


async def test_second_pbx_and_dtmf(world: tuple[RunningApp, dict[str, int], Pbx]) -> None:
    """Each PBX has its own token; IVR digits are kept on the call."""
    app, _, pbx = world
    branch = Pbx(app, pbx.client, token=OTHER_TOKEN)
    await branch.call("br-1", "anonymous")
    for digit in ("1", "2"):
        assert await branch.post({"event": "dtmf", "callId": "br-1", "dtmf": digit}) == (200, {})
    (call,) = await _calls(app, "br-1")
    assert (call.pbx, call.dtmf, call.from_number, call.from_raw) == ("branch", "12", None, "anonymous")


def test_hook_is_documented() -> None:
    """The OpenAPI document lists the CTI hook (no session auth) and the customer routes."""
    from contact_center.app import create_app

    app = create_app(Settings.load(environ={}), plugins=PLUGINS)
    paths = app[keys.API].render()["paths"]
    assert paths["/api/v1/cti/{token}"]["post"]["security"] == []
    assert "/api/v1/customers" in paths
    assert "/api/v1/customers/{id}/identities" in paths
    assert isinstance(app, web.Application)
