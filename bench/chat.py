"""Chat benchmark: visitor → agent message latency with 500 concurrent visitors.

Run by hand (not part of the test suite)::

    .venv/bin/python bench/chat.py                         # 500 visitors, 5 messages each
    .venv/bin/python bench/chat.py --visitors 100 --messages 3

In one run, each server in its own process on 127.0.0.1, this process playing every client with
the ``websockets`` library:

1. product: the app (chat + agent websocket plugins, SQLite store, in-process bus). Visitors open
   ``/chat/ws`` and say hello; their conversations are assigned (REST, as a supervisor) to two
   agents connected to ``/ws/agent``; then every visitor sends messages at random moments. The
   clock runs from the visitor's send to the agent's ``message`` frame (stored, acked, published,
   pushed through the agent hub);
2. baseline: a bare aiohttp websocket relay in the same run: visitors send the same frames, the
   server passes each one straight to the agent's socket (no store, no bus), timed the same way.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from contact_center.store.migrate import upgrade  # noqa: E402
from contact_center.store.session import Database  # noqa: E402
from tests.conftest import PASSWORD, seed_org  # noqa: E402

AGENTS = ("agent_service_1", "agent_service_2")

APP = """
import sys
sys.path.insert(0, {root!r})
from aiohttp import web
import agent_ui, connectors.chat
from contact_center.app import create_app
from contact_center.settings import Settings
settings = Settings.load(environ={{}}, database_url={url!r}, port={port},
                         sections={{"chat": {{"department": "service", "rate_per_minute": 600, "burst": 50}}}})
app = create_app(settings, plugins=[("chat", connectors.chat.register), ("agent_ui", agent_ui.register)])
web.run_app(app, host="127.0.0.1", port={port}, print=None)
"""

BARE = """
import asyncio
from aiohttp import web, WSMsgType
agents = []
async def agent(request):
    ws = web.WebSocketResponse(); await ws.prepare(request); agents.append(ws)
    async for _ in ws: pass
    return ws
async def visitor(request):
    ws = web.WebSocketResponse(); await ws.prepare(request)
    async for msg in ws:
        if msg.type == WSMsgType.TEXT:
            frame = {{"type": "message", "message": {{"body_text": msg.json()["text"]}}}}
            await agents[hash(request.query.get("v", "")) % len(agents)].send_json(frame)
    return ws
app = web.Application(); app.router.add_get("/agent", agent); app.router.add_get("/visitor", visitor)
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


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


class Clock:
    """Send times by marker, and latencies as agents receive the markers."""

    def __init__(self, expected: int) -> None:
        self.sent: dict[str, float] = {}
        self.latencies: list[float] = []
        self.expected = expected
        self.done = asyncio.Event()

    def received(self, text: str) -> None:
        marker = text.rsplit(" ", 1)[-1]
        started = self.sent.pop(marker, None)
        if started is not None:
            self.latencies.append(time.perf_counter() - started)
            if len(self.latencies) >= self.expected:
                self.done.set()


async def agent_reader(ws: Any, clock: Clock) -> None:
    async for raw in ws:
        frame = json.loads(raw)
        if frame.get("type") == "message":
            clock.received(frame["message"]["body_text"])


async def visitors_talk(sockets: list[Any], messages: int, spread: float, clock: Clock, *, product: bool) -> None:
    """Every visitor sends *messages* frames at random moments within *spread* seconds."""

    async def talk(n: int, ws: Any) -> None:
        for k in range(messages):
            await asyncio.sleep(random.uniform(0, spread / messages))
            marker = f"v{n}m{k}"
            frame = {"type": "message", "client_id": marker, "text": f"Hello from visitor {n} {marker}"} \
                if product else {"text": f"Hello from visitor {n} {marker}"}
            clock.sent[marker] = time.perf_counter()
            await ws.send(json.dumps(frame))

    async def drain(ws: Any) -> None:
        async for _ in ws:  # acks and echoes; read so the server never blocks on us
            pass

    drains = [asyncio.create_task(drain(ws)) for ws in sockets] if product else []
    await asyncio.gather(*(talk(n, ws) for n, ws in enumerate(sockets)))
    await asyncio.wait_for(clock.done.wait(), 120)
    for task in drains:
        task.cancel()


async def product_run(args: argparse.Namespace, workdir: Path) -> list[float]:
    url = f"sqlite+aiosqlite:///{workdir / 'chat.db'}"
    db = Database(url)
    await upgrade(db)
    await seed_org(db)
    await db.close()
    port = free_port()
    server = spawn(APP.format(root=str(ROOT), url=url, port=port), workdir / "app.log")
    try:
        await wait_port(port)
        base = f"http://127.0.0.1:{port}"
        visitors, conversation_ids = [], []
        for n in range(args.visitors):
            ws = await websockets.connect(f"ws://127.0.0.1:{port}/chat/ws", max_queue=None)
            await ws.send(json.dumps({"type": "hello", "name": f"Visitor {n}"}))
            await ws.recv()
            await ws.send(json.dumps({"type": "message", "client_id": "hi", "text": "hello"}))
            ack = json.loads(await ws.recv())
            conversation_ids.append(ack["conversation_id"])
            visitors.append(ws)
        agents = []
        async with aiohttp.ClientSession(base, cookie_jar=aiohttp.CookieJar(unsafe=True),
                                         headers={"Origin": base}) as boss:
            await boss.post("/api/v1/auth/login", json={"username": "supervisor", "password": PASSWORD})
            ids = {}
            for name in AGENTS:
                async with aiohttp.ClientSession(base, cookie_jar=aiohttp.CookieJar(unsafe=True),
                                                 headers={"Origin": base}) as login:
                    resp = await login.post("/api/v1/auth/login", json={"username": name, "password": PASSWORD})
                    ids[name] = (await resp.json())["user"]["id"]
                    cookie = "; ".join(f"{c.key}={c.value}" for c in login.cookie_jar)
                agents.append(await websockets.connect(f"ws://127.0.0.1:{port}/ws/agent", max_queue=None,
                                                       additional_headers={"Cookie": cookie}))
            for n, conversation_id in enumerate(conversation_ids):
                user = ids[AGENTS[n % len(AGENTS)]]
                resp = await boss.patch(f"/api/v1/conversations/{conversation_id}",
                                        json={"action": "assign", "user_id": user})
                resp.raise_for_status()
        return await measure(args, visitors, agents, product=True)
    finally:
        server.terminate()
        server.wait(10)


async def measure(args: argparse.Namespace, visitors: list[Any], agents: list[Any], *, product: bool) -> list[float]:
    """Visitors talk, agents' readers time each message; every socket is closed afterwards."""
    clock = Clock(args.visitors * args.messages)
    readers = [asyncio.create_task(agent_reader(ws, clock)) for ws in agents]
    await visitors_talk(visitors, args.messages, args.spread, clock, product=product)
    for task in readers:
        task.cancel()
    for ws in visitors + agents:
        await ws.close()
    return clock.latencies


async def bare_run(args: argparse.Namespace, workdir: Path) -> list[float]:
    port = free_port()
    server = spawn(BARE.format(port=port), workdir / "bare.log")
    try:
        await wait_port(port)
        agents = [await websockets.connect(f"ws://127.0.0.1:{port}/agent", max_queue=None) for _ in AGENTS]
        await asyncio.sleep(0.2)
        visitors = [await websockets.connect(f"ws://127.0.0.1:{port}/visitor?v={n}") for n in range(args.visitors)]
        return await measure(args, visitors, agents, product=False)
    finally:
        server.terminate()
        server.wait(10)


def report(name: str, lat: list[float]) -> None:
    print(f"{name}: {len(lat)} messages, p50 {pct(lat, 50) * 1000:.1f} ms, p99 {pct(lat, 99) * 1000:.1f} ms, "
          f"max {max(lat) * 1000:.1f} ms, mean {statistics.mean(lat) * 1000:.1f} ms")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--visitors", type=int, default=500)
    parser.add_argument("--messages", type=int, default=5, help="messages per visitor")
    parser.add_argument("--spread", type=float, default=10.0, help="seconds over which a visitor sends them")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="cc-bench-chat-"))
    print(f"{args.visitors} visitors x {args.messages} messages over {args.spread:.0f} s, 2 agents; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    bare = await bare_run(args, workdir)
    report("baseline  bare websocket relay (visitor -> server -> agent socket)", bare)
    product = await product_run(args, workdir)
    report("product   /chat/ws -> store -> bus -> /ws/agent", product)
    print(f"ratio     p99 {pct(product, 99) / pct(bare, 99):.1f}x, p50 {pct(product, 50) / pct(bare, 50):.1f}x "
          "the bare relay")


if __name__ == "__main__":
    asyncio.run(main())
