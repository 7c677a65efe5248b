"""API channel benchmark: a bridge's inbound message -> the agent's websocket, on SQLite and PostgreSQL.

Run by hand (not part of the test suite)::

    .venv/bin/python bench/api_channel.py                       # 200 senders x 5 messages over 10 s
    .venv/bin/python bench/api_channel.py --senders 50 --messages 3 --stores sqlite

In one run, each server in its own process on 127.0.0.1, this process playing the bridge (one
aiohttp client, keep-alive connections) and two agents (``websockets``):

1. baseline: a bare aiohttp handler that parses the JSON body and sends one frame to the agent's
   websocket (no token check, no store, no bus), timed the same way;
2. product, once per store: the app (plugins ``api`` and ``agent_ui``; SQLite file, or a
   PostgreSQL the benchmark starts with the tests' server code; the in-process bus). Each sender's
   first message opens its conversation, a supervisor assigns the conversations to the two agents
   over REST, then every sender posts messages to ``POST /api/v1/channels/{id}/messages`` at
   random moments. The clock runs from the POST to the agent's ``message`` frame (token checked,
   body checked, group-committed to the store, published, pushed through the agent hub).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.chat import free_port, pct, spawn, wait_port  # noqa: E402
from contact_center.channel_instances import ChannelInstanceRepository  # noqa: E402
from contact_center.store.migrate import upgrade  # noqa: E402
from contact_center.store.session import Database  # noqa: E402
from tests.conftest import PASSWORD, seed_org  # noqa: E402
from tests.dbservers import PostgresServer  # noqa: E402

AGENTS = ("agent_sales_1", "agent_sales_2")
TOKEN = "bench-bridge-token-000000000000"

APP = """
import sys
sys.path.insert(0, {root!r})
from aiohttp import web
import agent_ui, connectors.api
from contact_center.app import create_app
from contact_center.settings import Settings
settings = Settings.load(environ={{}}, database_url={url!r}, port={port})
app = create_app(settings, plugins=[("api", connectors.api.register), ("agent_ui", agent_ui.register)])
web.run_app(app, host="127.0.0.1", port={port}, print=None)
"""

BARE = """
from aiohttp import web
agents = []
async def agent(request):
    ws = web.WebSocketResponse(); await ws.prepare(request); agents.append(ws)
    async for _ in ws: pass
    return ws
async def message(request):
    doc = await request.json()
    frame = {{"type": "message", "message": {{"body_text": doc["text"]}}}}
    await agents[hash(doc["sender"]["user_id"]) % len(agents)].send_json(frame)
    return web.json_response({{"message_id": doc["message_id"]}})
app = web.Application(); app.router.add_get("/agent", agent); app.router.add_post("/messages", message)
web.run_app(app, host="127.0.0.1", port={port}, print=None)
"""


class Clock:
    """Send times by marker, and latencies as agents receive the markers."""

    def __init__(self, expected: int) -> None:
        self.sent: dict[str, float] = {}
        self.latencies: list[float] = []
        self.expected = expected
        self.done = asyncio.Event()

    def received(self, text: str) -> None:
        started = self.sent.pop(text.rsplit(" ", 1)[-1], None)
        if started is not None:
            self.latencies.append(time.perf_counter() - started)
            if len(self.latencies) >= self.expected:
                self.done.set()


async def agent_reader(ws: Any, clock: Clock) -> None:
    async for raw in ws:
        frame = json.loads(raw)
        if frame.get("type") == "message":
            clock.received(frame["message"]["body_text"])


def body(sender: int, marker: str) -> dict[str, Any]:
    return {"message_id": marker, "sender": {"user_id": f"u{sender}", "name": f"Sender {sender}"},
            "text": f"Hello from sender {sender} {marker}"}


async def measure(args: argparse.Namespace, client: aiohttp.ClientSession, url: str, headers: dict[str, str],
                  agents: list[Any]) -> list[float]:
    """Every sender posts its messages at random moments; the agents' readers time each one."""
    clock = Clock(args.senders * args.messages)
    readers = [asyncio.create_task(agent_reader(ws, clock)) for ws in agents]

    async def talk(n: int) -> None:
        for k in range(args.messages):
            await asyncio.sleep(random.uniform(0, args.spread / args.messages))
            marker = f"s{n}m{k}"
            clock.sent[marker] = time.perf_counter()
            async with client.post(url, json=body(n, marker), headers=headers) as resp:
                assert resp.status == 200, await resp.text()

    await asyncio.gather(*(talk(n) for n in range(args.senders)))
    await asyncio.wait_for(clock.done.wait(), 120)
    for task in readers:
        task.cancel()
    for ws in agents:
        await ws.close()
    return clock.latencies


async def bare_run(args: argparse.Namespace, workdir: Path) -> list[float]:
    port = free_port()
    server = spawn(BARE.format(port=port), workdir / "bare.log")
    try:
        await wait_port(port)
        agents = [await websockets.connect(f"ws://127.0.0.1:{port}/agent", max_queue=None) for _ in AGENTS]
        await asyncio.sleep(0.2)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as client:
            return await measure(args, client, f"http://127.0.0.1:{port}/messages", {}, agents)
    finally:
        server.terminate()
        server.wait(10)


async def prepare_store(url: str) -> int:
    """Migrate, seed the organisation, make the bridge; its id."""
    db = Database(url)
    try:
        await upgrade(db)
        await seed_org(db)
        made = await ChannelInstanceRepository(db).create("api", "bench", department="sales", token=TOKEN)
        return made.instance.id
    finally:
        await db.close()


async def login(base: str, username: str) -> tuple[int, str]:
    async with aiohttp.ClientSession(base, cookie_jar=aiohttp.CookieJar(unsafe=True),
                                     headers={"Origin": base}) as session:
        resp = await session.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
        user_id = (await resp.json())["user"]["id"]
        return user_id, "; ".join(f"{c.key}={c.value}" for c in session.cookie_jar)


async def product_run(args: argparse.Namespace, workdir: Path, url: str, name: str) -> list[float]:
    bridge = await prepare_store(url)
    port = free_port()
    server = spawn(APP.format(root=str(ROOT), url=url, port=port), workdir / f"app-{name}.log")
    try:
        await wait_port(port)
        base = f"http://127.0.0.1:{port}"
        path, headers = f"{base}/api/v1/channels/{bridge}/messages", {"Authorization": f"Bearer {TOKEN}"}
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as client:
            conversations = []
            for n in range(args.senders):
                async with client.post(path, json=body(n, f"hello{n}"), headers=headers) as resp:
                    conversations.append((await resp.json())["conversation_id"])
            agents, ids = [], []
            for username in AGENTS:
                user_id, cookie = await login(base, username)
                ids.append(user_id)
                agents.append(await websockets.connect(f"ws://127.0.0.1:{port}/ws/agent", max_queue=None,
                                                       additional_headers={"Cookie": cookie}))
            _, boss_cookie = await login(base, "supervisor")
            for n, conversation_id in enumerate(conversations):
                async with client.patch(f"{base}/api/v1/conversations/{conversation_id}",
                                        json={"action": "assign", "user_id": ids[n % len(ids)]},
                                        headers={"Cookie": boss_cookie, "Origin": base}) as resp:
                    resp.raise_for_status()
            return await measure(args, client, path, headers, agents)
    finally:
        server.terminate()
        server.wait(10)


def report(name: str, lat: list[float]) -> None:
    print(f"{name}: {len(lat)} messages, p50 {pct(lat, 50) * 1000:.1f} ms, p99 {pct(lat, 99) * 1000:.1f} ms, "
          f"max {max(lat) * 1000:.1f} ms, mean {statistics.mean(lat) * 1000:.1f} ms", flush=True)


async def run(args: argparse.Namespace, workdir: Path, urls: dict[str, str]) -> None:
    print(f"{args.senders} senders x {args.messages} messages over {args.spread:.0f} s, 2 agents; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)
    bare = await bare_run(args, workdir)
    report("baseline          bare aiohttp handler -> agent websocket", bare)
    for store, url in urls.items():
        product = await product_run(args, workdir, url, store)
        report(f"product ({store:8}) POST /api/v1/channels/{{id}}/messages -> store -> bus -> /ws/agent", product)
        print(f"ratio   ({store:8}) p99 {pct(product, 99) / pct(bare, 99):.1f}x, "
              f"p50 {pct(product, 50) / pct(bare, 50):.1f}x the bare handler", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--senders", type=int, default=200)
    parser.add_argument("--messages", type=int, default=5, help="messages per sender")
    parser.add_argument("--spread", type=float, default=10.0, help="seconds over which a sender posts them")
    parser.add_argument("--stores", nargs="+", default=["sqlite", "postgres"], choices=["sqlite", "postgres"])
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="cc-bench-api-"))
    workdir.chmod(0o755)  # the PostgreSQL cluster runs as the postgres user below it when we are root
    urls = {"sqlite": f"sqlite+aiosqlite:///{workdir / 'api.db'}"} if "sqlite" in args.stores else {}
    postgres = PostgresServer(workdir) if "postgres" in args.stores else None
    try:
        if postgres is not None:
            postgres.launch()
            postgres.wait_ready()
            postgres.execute('CREATE DATABASE "cc_api_bench"')
            urls["postgres"] = postgres.url("cc_api_bench")
        asyncio.run(run(args, workdir, urls))
    finally:
        if postgres is not None:
            postgres.stop()


if __name__ == "__main__":
    main()
