"""What the messaging benchmarks share (``bench/chat.py``, ``bench/api_channel.py``): the app and the
bare server in child processes, the stores they run on, agents signed in on ``/ws/agent``,
conversations assigned by a supervisor, and the clock from a contact's send to the agent's frame.

Not a benchmark itself; run the two scripts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from contact_center.store.migrate import upgrade  # noqa: E402
from contact_center.store.session import Database  # noqa: E402
from tests.conftest import PASSWORD, seed_org  # noqa: E402
from tests.dbservers import PostgresServer  # noqa: E402

STORES = ("sqlite", "postgres")

# The app in a child process: {plugins} are (name, module) pairs, {sections} the settings' sections.
APP = """
import importlib, sys
sys.path.insert(0, {root!r})
from aiohttp import web
from contact_center.app import create_app
from contact_center.settings import Settings
settings = Settings.load(environ={{}}, database_url={url!r}, port={port}, sections={sections!r})
plugins = [(name, importlib.import_module(module).register) for name, module in {plugins!r}]
app = create_app(settings, plugins=plugins)
web.run_app(app, host="127.0.0.1", port={port}, print=None)
"""


def spawn(code: str, log: Path) -> subprocess.Popen[bytes]:
    """Run *code* in a child Python, output to *log*."""
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-c", code], stdout=out, stderr=subprocess.STDOUT)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_port(port: int) -> None:
    async with asyncio.timeout(60):
        while True:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                return
            except OSError:
                await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def serving(code: str, port: int, log: Path) -> Any:
    """A server running *code* (listening on *port*) for the body of the ``async with``."""
    server = spawn(code, log)
    try:
        await wait_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(10)


def app_code(url: str, port: int, plugins: list[tuple[str, str]], sections: dict[str, Any] | None = None) -> str:
    """The child program serving the app on *url*'s store with *plugins* ((name, module) pairs)."""
    return APP.format(root=str(ROOT), url=url, port=port, plugins=plugins, sections=sections or {})


@contextlib.contextmanager
def stores(names: list[str], workdir: Path, database: str) -> Iterator[dict[str, str]]:
    """Store URLs by name: a SQLite file in *workdir*, and a PostgreSQL started here (the tests' server
    code: ``fsync=off``) with an empty *database*; PostgreSQL is stopped afterwards."""
    workdir.chmod(0o755)  # the PostgreSQL cluster runs as the postgres user below it when we are root
    urls = {"sqlite": f"sqlite+aiosqlite:///{workdir / (database + '.db')}"} if "sqlite" in names else {}
    postgres = PostgresServer(workdir) if "postgres" in names else None
    try:
        if postgres is not None:
            postgres.launch()
            postgres.wait_ready()
            postgres.execute(f'CREATE DATABASE "{database}"')
            urls["postgres"] = postgres.url(database)
        yield urls
    finally:
        if postgres is not None:
            postgres.stop()


async def prepare_store(url: str, then: Callable[[Database], Awaitable[Any]] | None = None) -> Any:
    """Migrate and seed the organisation (tests.conftest.seed_org); *then*'s answer, if given."""
    db = Database(url)
    try:
        await upgrade(db)
        await seed_org(db)
        return await then(db) if then is not None else None
    finally:
        await db.close()


async def login(base: str, username: str) -> tuple[int, str]:
    """Sign *username* in; their user id and the session's Cookie header."""
    async with aiohttp.ClientSession(base, cookie_jar=aiohttp.CookieJar(unsafe=True),
                                     headers={"Origin": base}) as session:
        resp = await session.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
        user_id = (await resp.json())["user"]["id"]
        return user_id, "; ".join(f"{c.key}={c.value}" for c in session.cookie_jar)


async def desk(base: str, agents: tuple[str, ...], conversations: list[int]) -> list[Any]:
    """Sign *agents* in on ``/ws/agent`` and have the supervisor assign *conversations* to them in turn;
    the agents' sockets."""
    sockets, ids = [], []
    for username in agents:
        user_id, cookie = await login(base, username)
        ids.append(user_id)
        sockets.append(await websockets.connect(f"ws{base.removeprefix('http')}/ws/agent", max_queue=None,
                                                additional_headers={"Cookie": cookie}))
    _, boss = await login(base, "supervisor")
    async with aiohttp.ClientSession(headers={"Cookie": boss, "Origin": base}) as client:
        for n, conversation_id in enumerate(conversations):
            async with client.patch(f"{base}/api/v1/conversations/{conversation_id}",
                                    json={"action": "assign", "user_id": ids[n % len(ids)]}) as resp:
                resp.raise_for_status()
    return sockets


class Clock:
    """Send times by marker (a message text's last word), and latencies as agents receive the markers."""

    def __init__(self, expected: int) -> None:
        self.sent: dict[str, float] = {}
        self.latencies: list[float] = []
        self.expected = expected
        self.done = asyncio.Event()

    def start(self, marker: str) -> None:
        self.sent[marker] = time.perf_counter()

    def received(self, text: str) -> None:
        started = self.sent.pop(text.rsplit(" ", 1)[-1], None)
        if started is not None:
            self.latencies.append(time.perf_counter() - started)
            if len(self.latencies) >= self.expected:
                self.done.set()


async def _agent_reader(ws: Any, clock: Clock) -> None:
    async for raw in ws:
        frame = json.loads(raw)
        if frame.get("type") == "message":
            clock.received(frame["message"]["body_text"])


async def timed(agents: list[Any], expected: int, talk: Callable[[Clock], Awaitable[Any]]) -> list[float]:
    """Run *talk* (which sends, starting the clock per marker) while the agents' readers time each
    message; the latencies once all *expected* messages arrived. The agents' sockets are closed."""
    clock = Clock(expected)
    readers = [asyncio.create_task(_agent_reader(ws, clock)) for ws in agents]
    try:
        await talk(clock)
        await asyncio.wait_for(clock.done.wait(), 120)
    finally:
        for task in readers:
            task.cancel()
        for ws in agents:
            await ws.close()
    return clock.latencies


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def report(name: str, lat: list[float]) -> None:
    print(f"{name}: {len(lat)} messages, p50 {pct(lat, 50) * 1000:.1f} ms, p99 {pct(lat, 99) * 1000:.1f} ms, "
          f"max {max(lat) * 1000:.1f} ms, mean {statistics.mean(lat) * 1000:.1f} ms", flush=True)


async def compare(what: str, bare: tuple[str, Callable[[], Awaitable[list[float]]]],
                  product: tuple[str, Callable[[str, str], Awaitable[list[float]]]], urls: dict[str, str]) -> None:
    """Print *what* with the load, then the bare baseline's latencies, then the product's on every store
    beside it. *bare*: (label, run); *product*: (label, run(store url, store name))."""
    print(f"{what}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)
    baseline = await bare[1]()
    report(f"baseline          {bare[0]}", baseline)
    for store, url in urls.items():
        latencies = await product[1](url, store)
        report(f"product ({store:8}) {product[0]}", latencies)
        print(f"ratio   ({store:8}) p99 {pct(latencies, 99) / pct(baseline, 99):.1f}x, "
              f"p50 {pct(latencies, 50) / pct(baseline, 50):.1f}x the baseline", flush=True)
