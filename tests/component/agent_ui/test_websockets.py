"""Agent and supervisor websockets on the real app, played with the ``websockets`` client."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import websockets
from aiohttp import web

from agent_ui.agent_ws import HUB
from contact_center import keys
from contact_center.auth.roles import Principal
from contact_center.errors import ValidationError
from contact_center.events import SupervisorsNotified, UserNotified
from contact_center.settings import Settings
from tests.component.telephony.env import PLUGINS, AgentSocket
from tests.conftest import RunningApp, seed_org


class Commands:
    """A plugin's agent commands, recording what the socket layer called."""

    def __init__(self) -> None:
        self.presence: list[tuple[str, str, int]] = []
        self.gone = asyncio.Event()

    def register(self, app: web.Application) -> None:
        async def echo(principal: Principal, frame: dict[str, Any]) -> dict[str, Any]:
            return {"type": "echoed", "by": principal.username, "text": frame.get("text")}

        async def strict(principal: Principal, frame: dict[str, Any]) -> None:
            raise ValidationError("reason", "'reason' is required")

        async def connected(principal: Principal, frame: dict[str, Any]) -> dict[str, Any]:
            self.presence.append(("up", principal.username, frame["sockets"]))
            return {"type": "presence", "state": "available", "sockets": frame["sockets"]}

        async def disconnected(principal: Principal, frame: dict[str, Any]) -> None:
            self.presence.append(("down", principal.username, frame["sockets"]))
            self.gone.set()

        async def snapshot() -> dict[str, Any]:
            return {"type": "queue_snapshot", "queues": []}

        app[keys.AGENT_COMMANDS].update(echo=echo, strict=strict, _connected=connected, _disconnected=disconnected)
        app[keys.SUPERVISOR_SNAPSHOT] = snapshot


@pytest.fixture
async def ui(start_app: Callable, settings_factory: Callable[..., Settings]) -> tuple[RunningApp, Commands, dict]:
    commands = Commands()
    app = await start_app(settings_factory(), plugins=[*PLUGINS, ("commands", commands.register)])
    users = await seed_org(app.db)
    return app, commands, users


async def test_agent_socket_needs_a_session(ui: tuple[RunningApp, Commands, dict]) -> None:
    """Without a session cookie the upgrade is refused with 401."""
    app, _, _ = ui
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(app.ws_url + "/ws/agent")
    assert refused.value.response.status_code == 401


async def test_commands_are_dispatched_by_type(ui: tuple[RunningApp, Commands, dict]) -> None:
    """Frames go to the plugin handler of their type; replies echo the id; errors are frames; the
    reply to the reserved ``_connected`` call reaches the new socket."""
    app, commands, _ = ui
    agent = await AgentSocket.open(app, "agent_sales_1")
    assert await agent.next("presence") == {"type": "presence", "state": "available", "sockets": 1}
    await agent.ws.send(json.dumps({"type": "echo", "id": 7, "text": "hi"}))
    assert await agent.next("echoed") == {"type": "echoed", "by": "agent_sales_1", "text": "hi", "id": 7}
    await agent.ws.send(json.dumps({"type": "strict", "id": 8}))
    assert await agent.next("error") == {"type": "error", "code": "validation_error",
                                         "message": "'reason' is required", "field": "reason", "id": 8}
    for raw, code in (("nope", "malformed_frame"), ('{"type": "_connected"}', "unknown_type"),
                      ('{"type": "teleport"}', "unknown_type"), ("[]", "malformed_frame")):
        await agent.ws.send(raw)
        assert (await agent.next("error"))["code"] == code
    await agent.close()
    await asyncio.wait_for(commands.gone.wait(), 5)
    assert commands.presence == [("up", "agent_sales_1", 1), ("down", "agent_sales_1", 0)]


async def test_supervisor_socket_snapshot_and_updates(ui: tuple[RunningApp, Commands, dict]) -> None:
    """Supervisors get the snapshot on connect and SupervisorsNotified frames; agents are refused."""
    app, _, _ = ui
    agent = await app.login("agent_sales_1")
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(app.ws_url + "/ws/supervisor",
                                 additional_headers={"Cookie": app.cookie_header(agent)})
    await agent.close()
    assert refused.value.response.status_code == 403
    sup = await app.login("supervisor")
    ws = await websockets.connect(app.ws_url + "/ws/supervisor", additional_headers={"Cookie": app.cookie_header(sup)})
    await sup.close()
    assert json.loads(await ws.recv()) == {"type": "queue_snapshot", "queues": []}
    await app.app[keys.BUS].publish(SupervisorsNotified(frame={"type": "queue_update", "waiting": 3}))
    assert json.loads(await ws.recv()) == {"type": "queue_update", "waiting": 3}
    await ws.close()


async def test_frames_reach_a_socket_in_the_order_they_were_sent(ui: tuple[RunningApp, Commands, dict]) -> None:
    """Frames of any size go through the socket's sender and arrive in the order they were queued."""
    app, _, users = ui
    agent = await AgentSocket.open(app, "agent_sales_1")
    await agent.next("presence")
    hub = app.app[HUB]
    for n in range(5):
        assert hub.send_to_user(users["agent_sales_1"], {"type": "small", "n": n}) == 1
    assert hub.send_to_user(users["agent_sales_1"], {"type": "large", "blob": "x" * 40_000}) == 1
    assert hub.send_to_user(users["agent_sales_1"], {"type": "small", "n": 5}) == 1
    frames = [json.loads(await agent.ws.recv()) for _ in range(7)]
    assert [(f["type"], f.get("n")) for f in frames] == [*(("small", n) for n in range(5)), ("large", None),
                                                           ("small", 5)]
    await agent.close()


@pytest.mark.parametrize("size", [16_384, 65_536], ids=["small-frames", "large-frames"])
async def test_a_reader_that_stops_is_dropped_without_slowing_others(ui: tuple[RunningApp, Commands, dict],
                                                                     size: int) -> None:
    """A socket whose client stopped reading is closed once its queue is full; others keep getting
    frames (the transport's buffer fills first, then the socket's queue)."""
    app, _, users = ui
    client = await app.login("agent_sales_1")
    stalled = await websockets.connect(app.ws_url + "/ws/agent", max_queue=1,
                                       additional_headers={"Cookie": app.cookie_header(client)})
    await client.close()
    assert json.loads(await stalled.recv())["type"] == "hello"  # attached; from now on it reads nothing
    healthy = await AgentSocket.open(app, "agent_sales_2")
    hub = app.app[HUB]
    big = {"type": "bulk", "blob": "x" * size}
    for i in range(12_000):
        if hub.dropped_total:
            break
        hub.send_to_user(users["agent_sales_1"], big)
        if i % 16 == 0:
            await asyncio.sleep(0)
    assert hub.dropped_total == 1
    assert hub.sockets_of(users["agent_sales_1"]) == 0
    await app.app[keys.BUS].publish(UserNotified(user_id=users["agent_sales_2"], frame={"type": "still_here"}))
    assert (await healthy.next("still_here"))["type"] == "still_here"
    assert await _read_until_closed(stalled)
    await healthy.close()


async def _read_until_closed(ws: Any) -> bool:
    async with asyncio.timeout(10):
        try:
            while True:
                await ws.recv()
        except websockets.ConnectionClosed:
            return True


async def test_old_agent_page_sends_to_the_desk(ui: tuple[RunningApp, Commands, dict], tmp_path: Path) -> None:
    """GET /agent (the first, minimal page) now redirects permanently to the desk."""
    app, _, _ = ui
    async with app.session() as http:
        page = await http.get("/agent", allow_redirects=False)
        assert page.status == 301
        assert page.headers["Location"] == "/desk"
