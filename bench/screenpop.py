"""Screen-pop benchmark: answer POST -> pop frame on the agent's websocket, and CTI ingest rate.

Run by hand (not part of the test suite)::

    .venv/bin/python bench/screenpop.py                      # 10,000 customers, 200,000 orders, 1,000 calls
    .venv/bin/python bench/screenpop.py --data /tmp/sp-bench # keep (and reuse) the seeded data
    .venv/bin/python bench/screenpop.py --data /tmp/sp-pg --database-url postgresql+asyncpg://… \
        --redis-url redis://…                                # PostgreSQL and the Redis bus (bench/pg_redis.py)

In one run, against real servers on 127.0.0.1 (each its own process; this process is the client,
the agent's websocket is the independent ``websockets`` client):

1. pop latency, *prefetched*: ``newCall``, ring for a moment (the sources are fetched), then
   ``answer``; the clock runs from sending the answer POST to receiving the ``screen_pop`` frame;
2. pop latency, *cold*: an ``answer`` for a call never announced (no prefetch, nothing cached:
   store write, caller lookup, three source queries, then the pop);
3. baseline: a bare aiohttp handler that sends a canned frame (a real pop from step 1, same
   bytes) to the one connected websocket, timed the same way, in batches shaped like the
   prefetched ones: the frame is set (as the newCalls set up the pops), then the same 1.5 s
   pause as the ring, then as many answers. The same batches without the pause (the frame set
   just before the answers, which warms the bare server up) are reported too: that was the
   baseline until 2026-11-24, and it compared cold first answers with warm ones;
4. hook ingest: events/s posting newCall/answer/hangup triplets with concurrent PBX clients,
   against a bare aiohttp handler that parses the JSON and answers ``{}`` (rounds alternate
   bare and hook, medians reported, so both see the same machine load). Twice: with an aiohttp
   ``ClientSession`` as the PBXs (~140 µs of client CPU a request, on the same 2 vCPUs: it holds
   the bare handler to ~7,300 events/s), and with the lean client of ``bench/pbx_client.py``
   (~45 µs a request: the bare handler then runs its one core flat out, ~11,000 events/s).

Both servers run on asyncio's default event loop (no uvloop). The prefetched pops are measured
batch by batch interleaved with as many bare sends.

The demo data comes from the seed helper's generator (``contact_center.demo``): three SQLite
source databases (sales, accounting, credit) and the customers with their phone identities.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import websockets
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
BARE_SERVER = Path(__file__).resolve().with_name("screenpop_bare.py")  # the baseline, run as its own process
sys.path.insert(0, str(ROOT))

from pbx_client import ingest_rate  # noqa: E402  (this directory is on sys.path when run)

from contact_center.demo.config import render_demo_config  # noqa: E402
from contact_center.demo.org import DEMO_PASSWORD  # noqa: E402
from contact_center.demo.seed import is_seeded, seed_demo  # noqa: E402
from contact_center.store.migrate import upgrade  # noqa: E402
from contact_center.store.session import Database  # noqa: E402
from contact_center.store.tables import Customer, Identity  # noqa: E402

TOKEN = "bench-token-000000000000"
BATCH = 25  # answers per ring
RING = 1.5  # seconds a prefetched call rings before its answer (and the bare baseline's matching pause)
AGENT, EXTENSION = "anna", "201"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def summary(values_ms: list[float]) -> str:
    return (f"p50 {pct(values_ms, 50):6.2f} ms  p99 {pct(values_ms, 99):6.2f} ms  "
            f"mean {statistics.fmean(values_ms):6.2f} ms  (n={len(values_ms)})")


# --------------------------------------------------------------------------- setup


def store_url(args: argparse.Namespace, data_dir: Path) -> str:
    """The core store: ``--database-url`` (PostgreSQL, see bench/pg_redis.py), else a SQLite file in *data_dir*."""
    return args.database_url or f"sqlite+aiosqlite:///{data_dir / 'contact_center.db'}"


async def prepare_data(url: str, data_dir: Path, customers: int, orders: int) -> None:
    db = Database(url)
    try:
        await upgrade(db)
        if not await is_seeded(db, data_dir):
            started = time.perf_counter()
            await seed_demo(db, data_dir, customers=customers, orders=orders)
            print(f"seeded {customers:,} customers and {orders:,} orders in {time.perf_counter() - started:.1f} s")
    finally:
        await db.close()


async def caller_numbers(url: str, count: int) -> list[str]:
    """Numbers that belong to exactly one customer with a source key (unambiguous callers)."""
    db = Database(url)
    try:
        async with db.session() as s:
            rows = await s.execute(
                select(Identity.value).join(Customer, Customer.id == Identity.customer_id)
                .where(Identity.kind == "phone", Customer.external_key.is_not(None))
                .group_by(Identity.value).having(func.count() == 1).order_by(func.random()).limit(count))
            return [r[0] for r in rows]
    finally:
        await db.close()


def write_config(data_dir: Path, port: int) -> Path:
    text = render_demo_config(data_dir, token=TOKEN, host="127.0.0.1", port=port)
    text = text.replace("[server]\n", '[server]\nplugins = ["telephony", "agent_ui"]\nlog_level = "WARNING"\n', 1)
    path = data_dir / "bench.toml"
    path.write_text(text, encoding="utf-8")  # the demo config carries the suggestion queries
    return path


async def wait_http(url: str, proc: subprocess.Popen[bytes]) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(600):
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}")
            try:
                async with http.get(url) as resp:
                    if resp.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


# --------------------------------------------------------------------------- the agent's socket


class FrameWaiter:
    """Reads the agent's websocket in the background; resolves waiters by (type, call_id)."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.waiting: dict[tuple[str, str], asyncio.Future[tuple[float, str]]] = {}
        self.task = asyncio.create_task(self._read())

    def expect(self, kind: str, call_id: str) -> asyncio.Future[tuple[float, str]]:
        fut: asyncio.Future[tuple[float, str]] = asyncio.get_running_loop().create_future()
        self.waiting[(kind, call_id)] = fut
        return fut

    async def _read(self) -> None:
        async for raw in self.ws:
            now = time.perf_counter()
            frame = json.loads(raw)
            fut = self.waiting.pop((frame.get("type"), frame.get("call_id")), None)
            if fut is not None and not fut.done():
                fut.set_result((now, raw))


async def timed(http: aiohttp.ClientSession, url: str, body: dict[str, Any], waiter: FrameWaiter,
                kind: str = "screen_pop") -> tuple[float, str]:
    fut = waiter.expect(kind, body["callId"])
    started = time.perf_counter()
    async with http.post(url, json=body) as resp:
        await resp.read()
        if resp.status != 200:
            raise RuntimeError(f"{body['event']} -> {resp.status}")
    received, raw = await asyncio.wait_for(fut, 10)
    return (received - started) * 1000, raw


async def pop_latency(base: str, numbers: list[str], *, prefetch: bool, waiter: FrameWaiter,
                      http: aiohttp.ClientSession, batch: int = BATCH, ring: float = RING,
                      between: Callable[[int], Awaitable[None]] | None = None) -> tuple[list[float], str]:
    """Answer-to-pop latencies; *between(n)* runs after each batch of *n* answers (the interleaved baseline)."""
    url = f"{base}/api/v1/cti/{TOKEN}"
    out: list[float] = []
    sample = ""
    for start in range(0, len(numbers), batch):
        calls = [(uuid.uuid4().hex, n) for n in numbers[start:start + batch]]
        base_fields = {cid: {"callId": cid, "from": n, "to": "+4930123450", "direction": "in"} for cid, n in calls}
        if prefetch:
            for cid, _ in calls:
                async with http.post(url, json={"event": "newCall", **base_fields[cid]}) as resp:
                    await resp.read()
            await asyncio.sleep(ring)
        for cid, _ in calls:
            ms, sample = await timed(http, url, {"event": "answer", **base_fields[cid], "answeringNumber": EXTENSION},
                                     waiter)
            out.append(ms)
        if between is not None:
            await between(len(calls))
        for cid, _ in calls:
            async with http.post(url, json={"event": "hangup", **base_fields[cid], "cause": "normalClearing"}) as resp:
                await resp.read()
    return out, sample


async def baseline_latency(bare: str, waiter: FrameWaiter, http: aiohttp.ClientSession, canned: str,
                           count: int, *, pause: float = 0.0) -> list[float]:
    """Bare answer -> frame latencies; *pause*: idle seconds between setting the frame and the first answer."""
    async with http.post(f"{bare}/canned", data=canned.encode()) as resp:
        await resp.read()
    await asyncio.sleep(pause)
    out = []
    for _ in range(count):
        ms, _ = await timed(http, f"{bare}/answer", {"callId": uuid.uuid4().hex}, waiter)
        out.append(ms)
    return out


async def agent_socket(base: str, ws_url: str) -> Any:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True), headers={"Origin": base}) as http:
        async with http.post(f"{base}/api/v1/auth/login", json={"username": AGENT, "password": DEMO_PASSWORD}) as r:
            if r.status != 200:
                raise RuntimeError(f"login failed: {r.status} {await r.text()}")
        cookie = "; ".join(f"{c.key}={c.value}" for c in http.cookie_jar)
    return await websockets.connect(ws_url, additional_headers={"Cookie": cookie}, max_size=None)


# --------------------------------------------------------------------------- main


async def main(args: argparse.Namespace) -> None:
    print(f"load average (1/5/15 min) at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    data_dir = Path(args.data or tempfile.mkdtemp(prefix="screenpop-bench-")).resolve()  # noqa: ASYNC240
    data_dir.mkdir(parents=True, exist_ok=True)
    url = store_url(args, data_dir)
    await prepare_data(url, data_dir, args.customers, args.orders)
    numbers = await caller_numbers(url, args.calls * 2 + 100)
    if len(numbers) < args.calls * 2:
        raise SystemExit(f"only {len(numbers)} unambiguous caller numbers; seed more customers")
    port, bare_port = free_port(), free_port()
    cfg = write_config(data_dir, port)
    env = {**os.environ, "CC_CONFIG": str(cfg), "CC_DATABASE_URL": url}
    if args.redis_url:
        env["CC_REDIS_URL"] = args.redis_url
    command = [str(ROOT / ".venv/bin/contact-center"), "serve"]
    if args.profile:
        command = [sys.executable, "-m", "cProfile", "-o", os.path.abspath(args.profile), *command]  # noqa: ASYNC240
    server = subprocess.Popen(command, env=env, cwd=data_dir)  # noqa: ASYNC220
    bare = subprocess.Popen([sys.executable, str(BARE_SERVER), str(bare_port)])  # noqa: ASYNC220
    base, bare_base = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{bare_port}"
    try:
        await wait_http(f"{base}/healthz", server)
        await wait_http(f"{bare_base}/canned", bare)
        await run_all(args, base, bare_base, port, bare_port, numbers)
    finally:
        for proc in (server, bare):
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


async def _measure(label: str, run: Callable[[], Awaitable[Any]]) -> Any:
    print(f"... {label}", flush=True)
    return await run()


async def run_all(args: argparse.Namespace, base: str, bare_base: str, port: int, bare_port: int,
                  numbers: list[str]) -> None:
    results: dict[str, Any] = {}
    if args.only in (None, "pop"):
        results.update(await pop_cases(args, base, bare_base, port, bare_port, numbers))
    if args.only in (None, "ingest"):
        results["ingest"] = {client: await ingest_cases(args, base, bare_base, numbers, client)
                             for client in (["aiohttp", "lean"] if args.client == "both" else [args.client])}
    report(args, results)


async def ingest_cases(args: argparse.Namespace, base: str, bare_base: str, numbers: list[str],
                       client: str) -> dict[str, Any]:
    """Hook ingest against the bare handler, rounds alternated (both see the same load), with *client*."""
    hook_url = f"{base}/api/v1/cti/{TOKEN}"
    strangers = [f"+4915{n:09d}" for n in range(100_000_000, 100_000_000 + len(numbers))]
    bare_rates, hook_rates = [], []
    for round_no in range(1, args.rounds + 1):
        bare_rates.append(await _measure(f"bare ingest, {client} client, round {round_no}", lambda: ingest_rate(
            f"{bare_base}/hook", numbers, events=args.events, workers=args.workers, agent=EXTENSION, client=client)))
        hook_rates.append(await _measure(f"hook ingest (hook only), {client} client, round {round_no}",
                                         lambda: ingest_rate(hook_url, strangers, events=args.events,
                                                             workers=args.workers, agent="999", client=client)))
    full_rate = await _measure(f"hook ingest (with prefetch and pops), {client} client", lambda: ingest_rate(
        hook_url, numbers, events=args.events, workers=args.workers, agent=EXTENSION, client=client))
    return {"bare_rates": bare_rates, "hook_rates": hook_rates, "bare_rate": statistics.median(bare_rates),
            "hook_rate": statistics.median(hook_rates), "full_rate": full_rate}


async def pop_cases(args: argparse.Namespace, base: str, bare_base: str, port: int, bare_port: int,
                    numbers: list[str]) -> dict[str, Any]:
    """Prefetched pops interleaved batch by batch with the bare baseline (both see the same load), then cold."""
    warm, prefetched_numbers = numbers[:50], numbers[50:50 + args.calls]
    cold_numbers = numbers[50 + args.calls:50 + 2 * args.calls]
    ws = await agent_socket(base, f"ws://127.0.0.1:{port}/ws/agent")
    waiter = FrameWaiter(ws)
    baselines: dict[str, list[float]] = {"baseline": [], "baseline_unpaused": []}
    async with aiohttp.ClientSession() as http:
        _, sample = await pop_latency(base, warm, prefetch=True, waiter=waiter, http=http)  # warm-up
        pop = json.loads(sample)
        canned = json.dumps({**pop, "call_id": "__CALL__"}, separators=(",", ":"), ensure_ascii=False)
        bare_ws = await websockets.connect(f"ws://127.0.0.1:{bare_port}/ws?deflate=0", max_size=None)
        bare_waiter = FrameWaiter(bare_ws)
        await baseline_latency(bare_base, bare_waiter, http, canned, 100)  # warm-up

        async def bare_batch(n: int) -> None:
            baselines["baseline"] += await baseline_latency(bare_base, bare_waiter, http, canned, n, pause=RING)
            baselines["baseline_unpaused"] += await baseline_latency(bare_base, bare_waiter, http, canned, n)

        prefetched, sample = await _measure(
            "prefetched pops, each batch followed by as many bare sends after the same pause, then without it",
            lambda: pop_latency(base, prefetched_numbers, prefetch=True, waiter=waiter, http=http, between=bare_batch))
        await bare_ws.close()
        cold, _ = await _measure("cold pops", lambda: pop_latency(base, cold_numbers, prefetch=False,
                                                                  waiter=waiter, http=http))
    await ws.close()
    return {"prefetched": prefetched, "cold": cold, **baselines, "frame_bytes": len(sample)}


def report(args: argparse.Namespace, r: dict[str, Any]) -> None:
    print()
    print(f"load average (1/5/15 min) at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} CPUs")
    if "baseline" in r:
        base99 = pct(r["baseline"], 99)
        print(f"screen pop: {args.customers:,} customers, {args.orders:,} orders, {args.calls:,} calls per case, "
              f"pop frame {r['frame_bytes']:,} bytes")
        print(f"  prefetched at ring : {summary(r['prefetched'])}")
        print(f"  cold (no prefetch) : {summary(r['cold'])}")
        print(f"  baseline (bare ws) : {summary(r['baseline'])}   [socket without deflate, as the product's; "
              f"interleaved batch by batch with the prefetched pops, each batch after the same {RING} s pause]")
        print(f"  bare, no pause     : {summary(r['baseline_unpaused'])}   [the same batches right after the frame "
              "is set: warm first answers]")
        firsts = ", ".join(f"{statistics.fmean(r[k][::BATCH]):.2f}" for k in ("prefetched", "baseline",
                                                                                "baseline_unpaused"))
        print(f"  first answer of each batch, mean ms (prefetched, baseline, no pause): {firsts}")
        print(f"  prefetched p99 / baseline p99 = {pct(r['prefetched'], 99) / base99:.2f}x  (goal <= 1.5x); "
              f"p50 {pct(r['prefetched'], 50) / pct(r['baseline'], 50):.2f}x; against the bare sends without the "
              f"pause: p99 {pct(r['prefetched'], 99) / pct(r['baseline_unpaused'], 99):.2f}x")
        print(f"  cold p99 = {pct(r['cold'], 99):.2f} ms  (goal < 25 ms)")
    for client, i in r.get("ingest", {}).items():
        print(f"hook ingest, {client} client ({args.workers} concurrent PBX lines, newCall/answer/hangup triplets):")
        rounds = ", ".join(f"{h:,.0f}/{b:,.0f}={h / b:.2f}" for h, b in zip(i["hook_rates"], i["bare_rates"],
                                                                             strict=True))
        print(f"  bare aiohttp handler            : {i['bare_rate']:7,.0f} events/s (median of {len(i['bare_rates'])})")
        print(f"  hook (unknown callers, no agent): {i['hook_rate']:7,.0f} events/s = "
              f"{i['hook_rate'] / i['bare_rate']:.2f}x of the median  (goal >= 0.5x)")
        print(f"    rounds, hook/bare back to back: {rounds}")
        print(f"  hook + ring prefetch + pops     : {i['full_rate']:7,.0f} events/s = "
              f"{i['full_rate'] / i['bare_rate']:.2f}x")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--calls", type=int, default=1_000)
    parser.add_argument("--events", type=int, default=6_000, help="events per ingest measurement")
    parser.add_argument("--workers", type=int, default=16, help="concurrent PBX clients for ingest")
    parser.add_argument("--client", choices=["both", "aiohttp", "lean"], default="both",
                        help="PBX load generator for ingest: an aiohttp ClientSession, bench/pbx_client.py, or both")
    parser.add_argument("--rounds", type=int, default=3, help="alternating bare/hook ingest rounds (medians)")
    parser.add_argument("--data", help="data directory to seed (reused when already seeded)")
    parser.add_argument("--profile", help="run the server under cProfile, writing stats to this file")
    parser.add_argument("--only", choices=["pop", "ingest"], help="measure only this part")
    parser.add_argument("--database-url", help="core store URL (PostgreSQL: postgresql+asyncpg://…; bench/pg_redis.py "
                        "starts one); default a SQLite file in the data directory")
    parser.add_argument("--redis-url", help="run the server with the Redis bus at this URL (CC_REDIS_URL)")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
