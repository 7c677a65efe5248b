"""Two (or more) real ``contact-center serve`` processes on one Redis and one PostgreSQL, and the
agents and contacts that load them. Imported by the two-instance tests (not a conftest)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import redis.asyncio as aioredis
import websockets

from contact_center.bus.redis import FIELD, STREAM
from contact_center.events import EmailReceived, encode
from contact_center.store.session import Database
from tests.component.routing.conftest import add_conversation
from tests.conftest import PASSWORD

CONFIG = """
[server]
plugins = {plugins}
log_level = "WARNING"

[routing]
offer_timeout_seconds = {offer_timeout}
sweep_interval_seconds = 0.05
snapshot_interval_seconds = 0.5
reoffer_after_seconds = 0.3
offline_grace_seconds = 30
wrap_up_seconds = 0
{extra}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Instance:
    """One server process."""

    port: int
    proc: asyncio.subprocess.Process

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        """SIGKILL: the instance dies without any cleanup."""
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGKILL)


@contextlib.asynccontextmanager
async def cluster(tmp: Path, *, database_url: str, redis_url: str, count: int = 2, offer_timeout: float = 3.0,
                  plugins: tuple[str, ...] = ("routing", "agent_ui"), extra: str = "") -> AsyncIterator[list[Instance]]:
    """Start *count* server processes (with *plugins*, and *extra* TOML after the routing section); stop them
    (by PID) afterwards."""
    config = tmp / "cc.toml"
    config.write_text(CONFIG.format(offer_timeout=offer_timeout, plugins=json.dumps(list(plugins)), extra=extra))
    instances: list[Instance] = []
    try:
        for _ in range(count):
            instances.append(await start_instance(config, tmp, database_url, redis_url))
        yield instances
    finally:
        for inst in instances:
            if inst.proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    inst.proc.terminate()
                try:
                    await asyncio.wait_for(inst.proc.wait(), 3)
                except TimeoutError:
                    inst.kill()
                    await inst.proc.wait()


async def start_instance(config: Path, tmp: Path, database_url: str, redis_url: str) -> Instance:
    port = free_port()
    env = {**os.environ, "CC_CONFIG": str(config), "CC_DATABASE_URL": database_url, "CC_REDIS_URL": redis_url,
           "CC_PORT": str(port), "CC_DATA_DIR": str(tmp)}
    proc = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "contact-center"), "serve", env=env, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL)
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 30)
    if b"listening" not in line:
        proc.kill()
        raise AssertionError(f"instance did not start: {line!r}")
    return Instance(port, proc)


async def publish_email(redis_url: str, db: Database, subject: str) -> int:
    """Store an email conversation and publish EmailReceived on the shared Redis bus."""
    cid = await add_conversation(db, subject=subject, body=subject)
    client = aioredis.Redis.from_url(redis_url)
    try:
        await client.xadd(STREAM, {FIELD: encode(EmailReceived(conversation_id=cid, message_id=cid, mailbox="support",
                                                                subject=subject))})
    finally:
        await client.aclose()
    return cid


@dataclass
class SimAgent:
    """An agent in a browser: websocket on one instance, REST on any; accepts (or sometimes rejects)
    offers and closes each contact shortly after taking it."""

    username: str
    capacity: int
    instances: list[Instance]
    reject_share: float = 0.1
    accepted: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    max_load: int = 0
    load: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    frames: list[dict[str, Any]] = field(default_factory=list)  # every frame received, in order
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    rng: random.Random = field(default_factory=random.Random)

    async def run(self, home: Instance, stop: asyncio.Event) -> None:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            resp = await http.post(home.url + "/api/v1/auth/login", headers={"Origin": home.url},
                                   json={"username": self.username, "password": PASSWORD})
            assert resp.status == 200, await resp.text()
            cookie = "; ".join(f"{c.key}={c.value}" for c in http.cookie_jar)
            ws_url = home.url.replace("http", "ws") + "/ws/agent"
            async with websockets.connect(ws_url, additional_headers={"Cookie": cookie}) as ws:
                reader = asyncio.create_task(self._read(ws, http))
                await stop.wait()
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reader
                for task in list(self._tasks):
                    await task

    async def _read(self, ws: Any, http: aiohttp.ClientSession) -> None:
        async for raw in ws:
            frame = json.loads(raw)
            self.frames.append(frame)
            kind = frame.get("type")
            if kind == "offer":
                verb = "offer.reject" if self.rng.random() < self.reject_share else "offer.accept"
                await ws.send(json.dumps({"type": verb, "offer_id": frame["offer_id"], "id": frame["offer_id"]}))
            elif kind == "offer.accepted":
                self.accepted.append(frame["conversation_id"])
                self.load += 1
                self.max_load = max(self.max_load, self.load)
                self._spawn(self._close(http, frame["conversation_id"]))
            elif kind == "error" and frame.get("code") != "conflict":
                self.errors.append(frame)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _close(self, http: aiohttp.ClientSession, cid: int) -> None:
        await asyncio.sleep(self.rng.uniform(0, 0.05))
        target = self.rng.choice(self.instances)  # the session works on every instance
        resp = await http.patch(f"{target.url}/api/v1/conversations/{cid}", json={"action": "close"},
                                headers={"Origin": target.url})
        assert resp.status == 200, await resp.text()
        self.load -= 1  # only after the server closed it: the client's count never undercounts
        self.closed.append(cid)


async def until(check: Any, within: float, interval: float = 0.1) -> None:
    """Poll the async *check* until it returns True (or fail after *within* seconds)."""
    async with asyncio.timeout(within):
        while True:
            if await check():
                return
            await asyncio.sleep(interval)
