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
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

import aiohttp
import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import messaging  # noqa: E402
from bench.messaging import Clock  # noqa: E402
from contact_center.channel_instances import ChannelInstanceRepository  # noqa: E402
from contact_center.store.session import Database  # noqa: E402

AGENTS = ("agent_sales_1", "agent_sales_2")
PLUGINS = [("api", "connectors.api"), ("agent_ui", "agent_ui")]
TOKEN = "bench-bridge-token-000000000000"

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


def body(sender: int, marker: str) -> dict[str, Any]:
    return {"message_id": marker, "sender": {"user_id": f"u{sender}", "name": f"Sender {sender}"},
            "text": f"Hello from sender {sender} {marker}"}


async def senders_talk(args: argparse.Namespace, client: aiohttp.ClientSession, url: str, headers: dict[str, str],
                       clock: Clock) -> None:
    """Every sender posts its messages at random moments within the spread."""

    async def talk(n: int) -> None:
        for k in range(args.messages):
            await asyncio.sleep(random.uniform(0, args.spread / args.messages))
            marker = f"s{n}m{k}"
            clock.start(marker)
            async with client.post(url, json=body(n, marker), headers=headers) as resp:
                assert resp.status == 200, await resp.text()

    await asyncio.gather(*(talk(n) for n in range(args.senders)))


async def bare_run(args: argparse.Namespace, workdir: Path) -> list[float]:
    port = messaging.free_port()
    async with messaging.serving(BARE.format(port=port), port, workdir / "bare.log") as base, \
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as client:
        agents = [await websockets.connect(f"ws://127.0.0.1:{port}/agent", max_queue=None) for _ in AGENTS]
        await asyncio.sleep(0.2)
        return await messaging.timed(agents, args.senders * args.messages,
                           lambda clock: senders_talk(args, client, f"{base}/messages", {}, clock))


async def make_bridge(db: Database) -> int:
    made = await ChannelInstanceRepository(db).create("api", "bench", department="sales", token=TOKEN)
    return made.instance.id


async def product_run(args: argparse.Namespace, workdir: Path, url: str, name: str) -> list[float]:
    bridge = await messaging.prepare_store(url, make_bridge)
    port = messaging.free_port()
    async with messaging.serving(messaging.app_code(url, port, PLUGINS), port, workdir / f"app-{name}.log") as base, \
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as client:
        path, headers = f"{base}/api/v1/channels/{bridge}/messages", {"Authorization": f"Bearer {TOKEN}"}
        conversations = []
        for n in range(args.senders):
            async with client.post(path, json=body(n, f"hello{n}"), headers=headers) as resp:
                conversations.append((await resp.json())["conversation_id"])
        agents = await messaging.desk(base, AGENTS, conversations)
        return await messaging.timed(agents, args.senders * args.messages,
                           lambda clock: senders_talk(args, client, path, headers, clock))


async def run(args: argparse.Namespace, workdir: Path, urls: dict[str, str]) -> None:
    await messaging.compare(
        f"{args.senders} senders x {args.messages} messages over {args.spread:.0f} s, 2 agents",
        ("bare aiohttp handler -> agent websocket", lambda: bare_run(args, workdir)),
        ("POST /api/v1/channels/{id}/messages -> store -> bus -> /ws/agent",
         lambda url, store: product_run(args, workdir, url, store)),
        urls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--senders", type=int, default=200)
    parser.add_argument("--messages", type=int, default=5, help="messages per sender")
    parser.add_argument("--spread", type=float, default=10.0, help="seconds over which a sender posts them")
    parser.add_argument("--stores", nargs="+", default=list(messaging.STORES), choices=messaging.STORES)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="cc-bench-api-"))
    with messaging.stores(args.stores, workdir, "cc_api_bench") as urls:
        asyncio.run(run(args, workdir, urls))


if __name__ == "__main__":
    main()
