"""Chat benchmark: visitor → agent message latency with 500 concurrent visitors.

Run by hand (not part of the test suite)::

    .venv/bin/python bench/chat.py                         # 500 visitors, 5 messages each
    .venv/bin/python bench/chat.py --visitors 100 --messages 3 --stores sqlite postgres

In one run, each server in its own process on 127.0.0.1, this process playing every client with
the ``websockets`` library:

1. product, once per store (``--stores``: a SQLite file, and a PostgreSQL the benchmark starts with
   the tests' server code): the app (chat + agent websocket plugins, in-process bus). Visitors open
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
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import messaging  # noqa: E402
from bench.messaging import Clock  # noqa: E402

AGENTS = ("agent_service_1", "agent_service_2")
PLUGINS = [("chat", "connectors.chat"), ("agent_ui", "agent_ui")]
SECTIONS = {"chat": {"department": "service", "rate_per_minute": 600, "burst": 50}}

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


async def visitors_talk(sockets: list[Any], args: argparse.Namespace, clock: Clock, *, product: bool) -> None:
    """Every visitor sends its messages at random moments within the spread; the sockets are closed after."""

    async def talk(n: int, ws: Any) -> None:
        for k in range(args.messages):
            await asyncio.sleep(random.uniform(0, args.spread / args.messages))
            marker = f"v{n}m{k}"
            frame = {"type": "message", "client_id": marker, "text": f"Hello from visitor {n} {marker}"} \
                if product else {"text": f"Hello from visitor {n} {marker}"}
            clock.start(marker)
            await ws.send(json.dumps(frame))

    async def drain(ws: Any) -> None:
        async for _ in ws:  # acks and echoes; read so the server never blocks on us
            pass

    drains = [asyncio.create_task(drain(ws)) for ws in sockets] if product else []
    try:
        await asyncio.gather(*(talk(n, ws) for n, ws in enumerate(sockets)))
        await clock.done.wait()
    finally:
        for task in drains:
            task.cancel()
        for ws in sockets:
            await ws.close()


async def product_run(args: argparse.Namespace, workdir: Path, url: str, name: str) -> list[float]:
    await messaging.prepare_store(url)
    port = messaging.free_port()
    code = messaging.app_code(url, port, PLUGINS, SECTIONS)
    async with messaging.serving(code, port, workdir / f"app-{name}.log") as base:
        visitors, conversation_ids = [], []
        for n in range(args.visitors):
            ws = await websockets.connect(f"ws://127.0.0.1:{port}/chat/ws", max_queue=None)
            await ws.send(json.dumps({"type": "hello", "name": f"Visitor {n}"}))
            await ws.recv()
            await ws.send(json.dumps({"type": "message", "client_id": "hi", "text": "hello"}))
            ack = json.loads(await ws.recv())
            conversation_ids.append(ack["conversation_id"])
            visitors.append(ws)
        agents = await messaging.desk(base, AGENTS, conversation_ids)
        return await messaging.timed(agents, args.visitors * args.messages,
                           lambda clock: visitors_talk(visitors, args, clock, product=True))


async def bare_run(args: argparse.Namespace, workdir: Path) -> list[float]:
    port = messaging.free_port()
    async with messaging.serving(BARE.format(port=port), port, workdir / "bare.log"):
        agents = [await websockets.connect(f"ws://127.0.0.1:{port}/agent", max_queue=None) for _ in AGENTS]
        await asyncio.sleep(0.2)
        visitors = [await websockets.connect(f"ws://127.0.0.1:{port}/visitor?v={n}") for n in range(args.visitors)]
        return await messaging.timed(agents, args.visitors * args.messages,
                           lambda clock: visitors_talk(visitors, args, clock, product=False))


async def run(args: argparse.Namespace, workdir: Path, urls: dict[str, str]) -> None:
    await messaging.compare(
        f"{args.visitors} visitors x {args.messages} messages over {args.spread:.0f} s, 2 agents",
        ("bare websocket relay (visitor -> server -> agent socket)", lambda: bare_run(args, workdir)),
        ("/chat/ws -> store -> bus -> /ws/agent", lambda url, store: product_run(args, workdir, url, store)),
        urls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--visitors", type=int, default=500)
    parser.add_argument("--messages", type=int, default=5, help="messages per visitor")
    parser.add_argument("--spread", type=float, default=10.0, help="seconds over which a visitor sends them")
    parser.add_argument("--stores", nargs="+", default=["sqlite"], choices=messaging.STORES)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="cc-bench-chat-"))
    with messaging.stores(args.stores, workdir, "cc_chat_bench") as urls:
        asyncio.run(run(args, workdir, urls))


if __name__ == "__main__":
    main()
