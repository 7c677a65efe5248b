"""The real app with the chat plugin and the agent websocket, and visitors played by `websockets`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import websockets

import agent_ui
import connectors.chat
from contact_center import keys
from contact_center.events import Event
from tests.conftest import AppStarter, RunningApp, seed_org

PLUGINS = [("chat", connectors.chat.register), ("agent_ui", agent_ui.register)]


class Visitor:
    """A chat visitor speaking the widget's protocol over a real websocket."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws

    async def send(self, frame: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(frame))

    async def recv(self, kind: str | None = None) -> dict[str, Any]:
        """The next frame (of *kind*, skipping others), waiting at most 5 s."""
        async with asyncio.timeout(5):
            while True:
                frame: dict[str, Any] = json.loads(await self.ws.recv())
                if kind is None or frame["type"] == kind:
                    return frame

    async def say(self, client_id: str, text: str) -> dict[str, Any]:
        """Send a message and return its ack (or error) frame."""
        await self.send({"type": "message", "client_id": client_id, "text": text})
        async with asyncio.timeout(5):
            while True:
                frame = await self.recv()
                if frame["type"] in ("ack", "error") and frame.get("client_id") == client_id:
                    return frame


@dataclass
class ChatApp:
    running: RunningApp
    users: dict[str, int]
    events: list[Event] = field(default_factory=list)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    sockets: list[Any] = field(default_factory=list)

    async def record(self, event: Event) -> None:
        async with self.changed:
            self.events.append(event)
            self.changed.notify_all()

    def of(self, kind: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    async def wait_for(self, kind: type, count: int = 1) -> list[Any]:
        async with asyncio.timeout(5), self.changed:
            await self.changed.wait_for(lambda: len(self.of(kind)) >= count)
        return self.of(kind)

    async def visitor(self, *, visitor_id: str | None = None, last_seen: int = 0, **hello: Any) -> tuple[Visitor, dict]:
        """Connect a visitor, say hello, return it with the welcome frame."""
        ws = await websockets.connect(self.running.ws_url + "/chat/ws")
        self.sockets.append(ws)
        v = Visitor(ws)
        await v.send({"type": "hello", "visitor_id": visitor_id, "last_seen": last_seen, **hello})
        return v, await v.recv("welcome")

    async def agent_socket(self, username: str) -> Any:
        """A logged-in agent's ``/ws/agent`` connection."""
        client = await self.running.login(username)
        ws = await websockets.connect(self.running.ws_url + "/ws/agent",
                                      additional_headers={"Cookie": self.running.cookie_header(client)})
        await client.close()
        self.sockets.append(ws)
        return ws


ChatAppStarter = Callable[..., Awaitable[ChatApp]]


@pytest.fixture
async def chat_app(start_app: AppStarter, settings_factory: Callable[..., Any]) -> AsyncIterator[ChatAppStarter]:
    """``await chat_app(chat_section)``: the app with chat + agent websockets, organisation seeded."""
    started: list[ChatApp] = []

    async def start(section: dict[str, Any] | None = None, *, seed: bool = True, **settings_: Any) -> ChatApp:
        """*seed*: False for a second instance on the same store; *settings_*: e.g. ``redis_url``."""
        settings = settings_factory(sections={"chat": {"department": "service", **(section or {})}}, **settings_)
        running = await start_app(settings, plugins=PLUGINS)
        app = ChatApp(running, await seed_org(running.db) if seed else {})
        running.app[keys.BUS].subscribe(app.record)
        started.append(app)
        return app

    yield start
    for app in started:
        for ws in app.sockets:
            await ws.close()


async def recv_type(ws: Any, kind: str) -> dict[str, Any]:
    """The next frame of *kind* on a `websockets` connection (5 s at most)."""
    async with asyncio.timeout(5):
        while True:
            frame: dict[str, Any] = json.loads(await ws.recv())
            if frame.get("type") == kind:
                return frame
