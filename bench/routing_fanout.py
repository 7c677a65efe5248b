"""Supervisor fan-out for bench/routing.py: the app (or a bare aiohttp server) as a subprocess.

``serve("app")`` runs the real application (routing + agent_ui) on SQLite with 10 departments,
20 queues, the given number of agents and a supervisor, plus one bench-only route,
``POST /bench/publish {"seq"}``, that publishes a real ``queue_snapshot`` (with ``seq`` as its
first key) as ``SupervisorsNotified`` — the path the coalescing feed takes once a second.
``serve("bare")`` is the baseline: a bare aiohttp websocket endpoint and the same route sending
the same bytes with a plain ``send_str`` loop.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import time
from pathlib import Path
from types import MappingProxyType
from typing import Any

import aiohttp
import websockets
from aiohttp import web

from bench.routing import CHANNELS, DEFAULT_RULES, DEPARTMENTS, EXTRA_RULES, ROOT, free_port, percentile

PASSWORD = "bench password 123"
_SEQ = re.compile(rb'^\{"seq":(\d+)')


async def _seed(app: web.Application, agents: int) -> None:
    from contact_center import keys
    from contact_center.auth.passwords import hash_password
    from contact_center.store.tables import Department, Queue, User
    from routing.services import ROUTING

    db = app[keys.DB]
    hashed = hash_password(PASSWORD)
    async with db.session() as s:
        deps = []
        for i, slug in enumerate(DEPARTMENTS):
            dep = Department(slug=slug, name=slug.title(), phone_number=f"+4930555{i:03d}")
            s.add(dep)
            deps.append(dep)
        await s.flush()
        for dep in deps:
            for channel in CHANNELS:
                s.add(Queue(slug=f"{dep.slug}.{channel}", department_id=dep.id, channel=channel))
        s.add(User(username="supervisor", display_name="Supervisor", password_hash=hashed, role="supervisor",
                   departments=list(deps)))
        for n in range(agents):
            s.add(User(username=f"agent{n}", display_name=f"Agent {n}", password_hash=hashed, role="agent",
                       extension=str(1000 + n),
                       departments=list({id(d): d for d in (deps[n % 10], deps[(n * 7 + 3) % 10])}.values()),
                       skills={"lang:en": 5, "lang:de": n % 6}))
    services = app[ROUTING]
    await services.router.load_org()
    for agent in list(services.router.agents.values())[: agents * 8 // 10]:
        await services.router.reservations.set_presence(agent.user_id, "available", None, time.time())


async def serve(kind: str, port: int, data: Path, agents: int) -> None:
    """Serve the app or the bare baseline on *port* until killed; print READY when up."""
    app = await (_app(data, agents) if kind == "app" else _bare())
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    if kind == "app":
        await _seed(app, agents)
    print("READY", flush=True)
    await asyncio.Event().wait()


async def _app(data: Path, agents: int) -> web.Application:
    import agent_ui
    import routing
    from contact_center import keys
    from contact_center.app import create_app
    from contact_center.events import SupervisorsNotified
    from contact_center.settings import Settings
    from routing.services import ROUTING

    section = {"departments": list(DEPARTMENTS), "rules": DEFAULT_RULES + EXTRA_RULES}
    settings = Settings.load(environ={}, data_dir=data, database_url=f"sqlite+aiosqlite:///{data / 'bench.db'}",
                             sections=MappingProxyType({"routing": MappingProxyType(section)}))
    app = create_app(settings, plugins=[("agent_ui", agent_ui.register), ("routing", routing.register)])

    async def publish(request: web.Request) -> web.Response:
        seq = int((await request.json())["seq"])
        frame = {"seq": seq, **await request.app[ROUTING].feed.snapshot()}
        await request.app[keys.BUS].publish(SupervisorsNotified(frame))
        return web.json_response({"bytes": len(json.dumps(frame, separators=(",", ":")))})

    app.router.add_post("/bench/publish", publish)
    return app


async def _bare() -> web.Application:
    sockets: set[web.WebSocketResponse] = set()
    template: dict[str, str] = {}

    async def ws(request: web.Request) -> web.WebSocketResponse:
        sock = web.WebSocketResponse()
        await sock.prepare(request)
        sockets.add(sock)
        async for _ in sock:
            pass
        sockets.discard(sock)
        return sock

    async def frame(request: web.Request) -> web.Response:
        template["text"] = (await request.read()).decode()
        return web.json_response({})

    async def publish(request: web.Request) -> web.Response:
        seq = int((await request.json())["seq"])
        text = template["text"].replace('{"seq":-1', f'{{"seq":{seq}', 1)
        for sock in list(sockets):
            await sock.send_str(text)
        return web.json_response({"bytes": len(text)})

    app = web.Application()
    app.router.add_get("/ws", ws)
    app.router.add_post("/bench/frame", frame)
    app.router.add_post("/bench/publish", publish)
    return app


def _spawn(kind: str, port: int, data: Path, agents: int) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "routing.py"), "--serve", kind, "--port", str(port),
                             "--data", str(data), "--agents", str(agents)], stdout=subprocess.PIPE, text=True,
                            cwd=ROOT)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if "READY" not in line:
        proc.kill()
        raise RuntimeError(f"{kind} server did not start: {line!r}")
    return proc


class Viewers:
    """N websocket clients; counts, per seq, how many have received that frame."""

    def __init__(self) -> None:
        self.seen: dict[int, int] = {}
        self.wanted = 0
        self.done = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []
        self.socks: list[Any] = []
        self.last_text = b""

    async def open(self, url: str, count: int, headers: dict[str, str]) -> None:
        for _ in range(count):
            sock = await websockets.connect(url, additional_headers=headers, max_size=None)
            self.socks.append(sock)
            self.tasks.append(asyncio.create_task(self._read(sock)))

    async def _read(self, sock: Any) -> None:
        async for raw in sock:
            data = raw.encode() if isinstance(raw, str) else raw
            match = _SEQ.match(data)
            if match is None:
                continue
            self.last_text = data
            seq = int(match.group(1))
            self.seen[seq] = self.seen.get(seq, 0) + 1
            if seq == self.wanted and self.seen[seq] == len(self.socks):
                self.done.set()

    async def close(self) -> None:
        for sock in self.socks:
            await sock.close()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


async def _measure(base: str, viewers: Viewers, frames: int, http: aiohttp.ClientSession) -> list[float]:
    latencies = []
    for seq in range(frames):
        viewers.wanted = seq
        viewers.done.clear()
        t0 = time.perf_counter()
        async with http.post(base + "/bench/publish", json={"seq": seq}) as resp:
            await resp.read()
        await asyncio.wait_for(viewers.done.wait(), 30)
        latencies.append((time.perf_counter() - t0) * 1000)
    return latencies


async def fanout_section(args: Any, folder: Path) -> dict[str, float]:
    """Time N viewers receiving each frame: the app's path vs a bare send loop."""
    app_port, bare_port = free_port(), free_port()
    (folder / "app").mkdir()
    app = _spawn("app", app_port, folder / "app", args.agents)
    bare = _spawn("bare", bare_port, folder, args.agents)
    try:
        async with aiohttp.ClientSession() as http:
            base = f"http://127.0.0.1:{app_port}"
            async with http.post(base + "/api/v1/auth/login", headers={"Origin": base},
                                 json={"username": "supervisor", "password": PASSWORD}) as resp:
                cookie = "; ".join(f"{k}={v.value}" for k, v in resp.cookies.items())
            viewers = Viewers()
            await viewers.open(f"ws://127.0.0.1:{app_port}/ws/supervisor", args.viewers, {"Cookie": cookie})
            app_lat = await _measure(base, viewers, args.frames, http)
            frame_text = viewers.last_text
            await viewers.close()
            bare_base = f"http://127.0.0.1:{bare_port}"
            template = _SEQ.sub(b'{"seq":-1', frame_text, count=1)
            async with http.post(bare_base + "/bench/frame", data=template) as resp:
                await resp.read()
            viewers = Viewers()
            await viewers.open(f"ws://127.0.0.1:{bare_port}/ws", args.viewers, {})
            bare_lat = await _measure(bare_base, viewers, args.frames, http)
            await viewers.close()
    finally:
        for proc in (app, bare):
            proc.terminate()
            proc.wait()
    return {"frame_bytes": len(frame_text), "app_p50": percentile(app_lat, 0.5), "app_p99": percentile(app_lat, 0.99),
            "bare_p50": percentile(bare_lat, 0.5), "bare_p99": percentile(bare_lat, 0.99)}
