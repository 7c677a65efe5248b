"""Routing component fixtures: the real app with short timers, seeded organisation, bus recorder."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from types import MappingProxyType
from typing import Any

import pytest
import websockets

from contact_center import keys
from contact_center.bus.base import Bus
from contact_center.events import EmailReceived
from contact_center.settings import Settings
from contact_center.store.session import Database
from contact_center.store.tables import Conversation, Department, Message
from routing.services import ROUTING, RoutingServices
from tests.conftest import PASSWORD, AppStarter, RunningApp, seed_org

FAST = {
    "offer_timeout_seconds": 5,
    "sweep_interval_seconds": 0.02,
    "snapshot_interval_seconds": 0.2,
    "reoffer_after_seconds": 30,
    "offline_grace_seconds": 0.2,
    "wrap_up_seconds": 0,
}


class BusRecorder:
    """Records every event published on the bus, and waits for the ones a test expects."""

    def __init__(self, bus: Bus) -> None:
        self.events: list[Any] = []
        self._changed = asyncio.Event()
        self.stop = bus.subscribe(self._record)

    async def _record(self, event: Any) -> None:
        self.events.append(event)
        self._changed.set()

    def of(self, kind: type, **match: Any) -> list[Any]:
        """Recorded events of *kind* whose fields equal *match*."""
        return [e for e in self.events if isinstance(e, kind)
                and all(getattr(e, k) == v for k, v in match.items())]

    async def wait(self, kind: type, count: int = 1, within: float = 5.0, **match: Any) -> list[Any]:
        """Wait until *count* events of *kind* matching *match* were seen; return them."""
        async with asyncio.timeout(within):
            while len(self.of(kind, **match)) < count:
                self._changed.clear()
                await self._changed.wait()
        return self.of(kind, **match)


def routing_settings(settings_factory: Callable[..., Settings], redis_url: str = "",
                     overrides: dict[str, Any] | None = None, **routing: Any) -> Settings:
    """Settings whose ``[routing]`` section is FAST plus *routing* (and Redis when given)."""
    return settings_factory(redis_url=redis_url, **(overrides or {}),
                            sections=MappingProxyType({"routing": MappingProxyType({**FAST, **routing})}))


#: Run a test on both backends (``backend`` is parametrized indirectly).
BOTH = pytest.mark.parametrize("backend", ["memory", pytest.param("redis", marks=pytest.mark.redis)], indirect=True)


@pytest.fixture(params=["memory"])
def backend(request: pytest.FixtureRequest) -> str:
    """Where routing state lives: 'memory', or 'redis' (a real Redis and the Redis bus)."""
    return str(request.param)


@pytest.fixture
def start_routed(start_app: AppStarter, settings_factory: Callable[..., Settings], backend: str,
                 request: pytest.FixtureRequest) -> Callable[..., Any]:
    """Start the app with ``[routing]`` = FAST + overrides on *backend*, seed the organisation."""
    redis_url = request.getfixturevalue("redis_url") if backend == "redis" else ""

    async def start(settings: dict[str, Any] | None = None, **routing: Any) -> RunningApp:
        ra = await start_app(routing_settings(settings_factory, redis_url, settings, **routing))
        USERS_BY_APP[id(ra)] = await seed_org(ra.db)
        await services(ra).router.load_org()
        return ra

    return start


def services(ra: RunningApp) -> RoutingServices:
    return ra.app[ROUTING]


def recorder(ra: RunningApp) -> BusRecorder:
    return BusRecorder(ra.app[keys.BUS])


async def add_conversation(db: Database, *, channel: str = "email", subject: str = "", body: str = "",
                           contact_address: str = "customer@example.test", customer_id: int | None = None,
                           department: str | None = None, status: str = "queued",
                           external_ref: str | None = None, meta: dict[str, Any] | None = None) -> int:
    """Insert a conversation with one inbound message, as a channel would have stored it."""
    async with db.session() as s:
        dep_id = None
        if department:
            dep = (await s.execute(Department.__table__.select().where(Department.slug == department))).first()
            dep_id = dep.id if dep else None
        conv = Conversation(channel=channel, subject=subject or None, contact_address=contact_address,
                            customer_id=customer_id, status=status, department_id=dep_id, external_ref=external_ref)
        s.add(conv)
        await s.flush()
        if channel != "call":
            s.add(Message(conversation_id=conv.id, channel=channel, direction="in", subject=subject or None,
                          body_text=body, sender=contact_address, recipients="support@example.test",
                          meta=meta or {}))
        return conv.id


async def conversation_row(db: Database, conversation_id: int) -> Conversation:
    async with db.session() as s:
        return await s.get_one(Conversation, conversation_id)


async def eventually(check: Callable[[], Any], within: float = 5.0) -> Any:
    """Poll the async or sync *check* until it returns something truthy."""
    async with asyncio.timeout(within):
        while True:
            result = check()
            if asyncio.iscoroutine(result):
                result = await result
            if result:
                return result
            await asyncio.sleep(0.01)


USERS_BY_APP: dict[int, dict[str, int]] = {}


def users(ra: RunningApp) -> dict[str, int]:
    """User ids by username of the organisation seeded into *ra*."""
    return USERS_BY_APP[id(ra)]


class AgentSocket:
    """An agent's browser played with the ``websockets`` library: collects every frame it receives."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.frames: list[dict[str, Any]] = []
        self._changed = asyncio.Event()
        self._reader = asyncio.create_task(self._read())
        self._sent = 0

    async def _read(self) -> None:
        async for raw in self.ws:
            self.frames.append(json.loads(raw))
            self._changed.set()

    def of(self, kind: str, **match: Any) -> list[dict[str, Any]]:
        return [f for f in self.frames if f.get("type") == kind and all(f.get(k) == v for k, v in match.items())]

    async def next(self, kind: str, count: int = 1, within: float = 5.0, **match: Any) -> dict[str, Any]:
        """The *count*-th frame of *kind* matching *match* (waits for it)."""
        async with asyncio.timeout(within):
            while len(self.of(kind, **match)) < count:
                self._changed.clear()
                await self._changed.wait()
        return self.of(kind, **match)[count - 1]

    async def request(self, frame: dict[str, Any], within: float = 5.0) -> dict[str, Any]:
        """Send a command with a fresh ``id`` and return the reply (or error) carrying that id."""
        self._sent += 1
        request_id = f"r{self._sent}"
        await self.ws.send(json.dumps({**frame, "id": request_id}))
        async with asyncio.timeout(within):
            while True:
                replies = [f for f in self.frames if f.get("id") == request_id]
                if replies:
                    return replies[0]
                self._changed.clear()
                await self._changed.wait()

    async def close(self) -> None:
        await self.ws.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, websockets.ConnectionClosed):
            await self._reader


@contextlib.asynccontextmanager
async def agent_socket(ra: RunningApp, username: str, path: str = "/ws/agent",
                       password: str = PASSWORD) -> AsyncIterator[AgentSocket]:
    """Log in as *username* and open their websocket (agent or supervisor *path*)."""
    client = await ra.login(username, password)
    try:
        ws = await websockets.connect(ra.ws_url + path, additional_headers={"Cookie": ra.cookie_header(client)})
        sock = AgentSocket(ws)
        try:
            yield sock
        finally:
            await sock.close()
    finally:
        await client.close()


async def send_email(ra: RunningApp, subject: str, body: str = "", **conversation: Any) -> int:
    """Store an inbound email conversation and publish EmailReceived, as the email connector does."""
    cid = await add_conversation(ra.db, channel="email", subject=subject, body=body, **conversation)
    await ra.app[keys.BUS].publish(EmailReceived(conversation_id=cid, message_id=cid, mailbox="support",
                                                 subject=subject))
    return cid

