"""Routing benchmark: decisions per second (in process and with Redis), and supervisor fan-out.

Run by hand (not part of the test suite)::

    .venv/bin/python bench/routing.py                    # 500 agents, 20 queues, 20,000 decisions, 200 viewers
    .venv/bin/python bench/routing.py --decisions 5000 --viewers 50

In one run:

1. **In process**: a routing decision is the whole of it — rule table over the contact's facts
   (the shipped multilingual table plus language and value modifiers), enqueue, agent selection
   among 500 agents (10 departments x email/chat = 20 queues, skills with levels, strategies
   mixed), and the reservation (claim) in :class:`MemoryReservations`. The agent then accepts
   and finishes (untimed) so agents keep cycling.
2. **Redis**: the same decision with the reservation in a real redis-server (started here): the
   claim is one EVALSHA of the routing Lua script, selection runs on the instance's agent mirror;
   the enqueue (one EVALSHA) runs before each decision, untimed, as do the accept and finish after
   it. Baseline in the same run: a bare ``EVALSHA`` loop (``return 1``) on the same client, in
   blocks of 500 interleaved with the decisions (also printed: the same loop run before and
   after the decisions, the earlier way of measuring it). Also the full cycle (enqueue + claim + accept +
   finish = 4 scripts) for reference.
3. **Supervisor fan-out** to N viewers (``websockets`` clients in this process): the app (routing +
   agent_ui, real snapshot frames of 20 queues and 500 agents) is a subprocess; each frame is
   published as ``SupervisorsNotified`` and timed until every viewer has it. Baseline: a bare
   aiohttp server in a subprocess sending the same bytes to the same number of sockets.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from routing.agent_index import AgentIndex  # noqa: E402
from routing.config import load_config  # noqa: E402
from routing.defaults import DEFAULT_DEPARTMENTS, DEFAULT_RULES  # noqa: E402
from routing.model import AgentState, ContactState  # noqa: E402
from routing.reservations import MemoryReservations, Reservations  # noqa: E402
from routing.rules import Facts, decide  # noqa: E402
from routing.selection import STRATEGIES, need_of, queue_rank  # noqa: E402

EXTRA = ("returns", "installations", "partners", "retention", "business")
DEPARTMENTS = DEFAULT_DEPARTMENTS + EXTRA
CHANNELS = ("email", "chat")
TEXTS = [
    "Hello, I have a question about invoice {n}, the amount looks wrong.",
    "Guten Tag, mein Router ist defekt und funktioniert nicht mehr seit gestern.",
    "Bonjour, je voudrais acheter trois licences pour mon équipe.",
    "Dzień dobry, chciałbym złożyć reklamację dotyczącą zamówienia {n}.",
    "Hi, please change the delivery address on my account.",
    "Hei, laskussa {n} on virhe, voitteko tarkistaa?",
    "I would like to return the package, it arrived damaged.",
    "Can a technician come for the installation next week?",
    "We are a reseller and want to discuss the partner programme.",
    "I am thinking about cancelling my contract.",
]
EXTRA_RULES = [
    {"field": "text", "operator": "contains_any", "value": ["return*", "retour*"], "department": "returns"},
    {"field": "text", "operator": "contains_any", "value": ["installation*", "technician"],
     "department": "installations"},
    {"field": "text", "operator": "contains_any", "value": ["reseller", "partner*"], "department": "partners"},
    {"field": "text", "operator": "contains_any", "value": ["cancel*", "kündig*"], "department": "retention"},
    {"field": "chat_topic", "operator": "equals", "value": "business", "department": "business"},
    {"field": "language", "operator": "equals", "value": "de", "skills": {"lang:de": 3}},
    {"field": "language", "operator": "equals", "value": "fr", "skills": {"lang:fr": 3}},
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def make_agents(n: int, rng: random.Random) -> list[AgentState]:
    agents = []
    for uid in range(1, n + 1):
        departments = tuple(sorted(set(rng.sample(DEPARTMENTS, rng.choice((1, 1, 2))))))
        presence = rng.choices(("available", "away", "offline"), (8, 1, 1))[0]
        agents.append(AgentState(
            user_id=uid, username=f"agent{uid}", departments=departments,
            skills={"lang:en": 5, "lang:de": rng.randint(0, 5), "lang:fr": rng.randint(0, 5),
                    "product:router": rng.randint(0, 5)},
            capacity={"email": 5, "chat": 3, "call": 1}, presence=presence, idle_since=rng.uniform(0, 1000)))
    return agents


def make_facts(i: int, rng: random.Random) -> dict[str, Any]:
    channel = CHANNELS[i % 2]
    return {
        "channel": channel,
        "subject": f"Request {i}",
        "body": rng.choice(TEXTS).format(n=i),
        "chat_topic": rng.choice((None, None, "business", "sales")) if channel == "chat" else None,
        "language": rng.choice(("en", "en", "de", "fr")),
        "customer.known": True,
        "customer.lifetime_value": rng.choice((None, 500.0, 25_000.0)),
    }


class Decider:
    """Rules -> contact -> selection -> claim, the path the router takes for one new contact."""

    def __init__(self, store: Reservations, agents: list[AgentState]) -> None:
        self.config = load_config({"departments": list(DEPARTMENTS), "rules": DEFAULT_RULES + EXTRA_RULES})
        self.store = store
        self.index = AgentIndex(sorted(agents, key=lambda a: a.user_id))
        self.strategy = {f"{d}.{c}": STRATEGIES[i % len(STRATEGIES)]
                         for i, d in enumerate(DEPARTMENTS) for c in CHANNELS}

    def update(self, agent: AgentState | None) -> None:
        """Take the agent state a reservation step returned into the mirror's index, as the router does."""
        if agent is not None:
            self.index.update(agent)

    def contact(self, cid: int, values: dict[str, Any], now: float) -> ContactState:
        d = decide(self.config.rules, Facts(values), default=self.config.default_department)
        queue = f"{d.department}.{values['channel']}"
        return ContactState(cid, values["channel"], d.department, queue, d.priority, now,
                            queue_rank(d.priority, now, 60.0), dict(d.skills), d.reason)

    async def claim(self, contact: ContactState, now: float) -> AgentState | None:
        need = need_of(contact, now=now, reoffer_after=60.0)
        agent = self.index.choose(self.strategy[contact.queue], need, now)
        if agent is None:
            return None
        out = await self.store.claim(contact.conversation_id, agent.user_id, f"{contact.conversation_id}.o", now,
                                     now + 20, agent=agent)
        self.update(out.agent)
        return out.agent if out.ok else None

    async def settle(self, contact: ContactState, agent: AgentState | None, now: float) -> None:
        cid = contact.conversation_id
        if agent is None:
            await self.store.abandon(cid, now)
            return
        self.update((await self.store.accept(cid, agent.user_id, f"{cid}.o", now)).agent)
        self.update((await self.store.finish(cid, now, 0.0)).agent)


async def run_decisions(store: Reservations, n: int, agents: list[AgentState], *, enqueue_timed: bool,
                        seed: int = 7, between: Callable[[], Awaitable[None]] | None = None,
                        every: int = 500) -> dict[str, float]:
    """Time *n* decisions; *between* (untimed) runs after every *every* decisions (the interleaved baseline)."""
    rng = random.Random(seed)
    await store.upsert_agents(agents)
    for a in agents:
        await store.set_presence(a.user_id, a.presence, None, a.idle_since)
    decider = Decider(store, await store.agents())
    facts = [make_facts(i, rng) for i in range(n)]
    latencies, offered = [], 0
    started = time.perf_counter()
    for i, values in enumerate(facts):
        now = 10_000.0 + i * 0.001
        t0 = time.perf_counter()
        contact = decider.contact(i + 1, values, now)
        t_enqueue = time.perf_counter()
        await store.enqueue(contact)
        skipped = 0.0 if enqueue_timed else time.perf_counter() - t_enqueue  # not part of the decision
        agent = await decider.claim(contact, now)
        latencies.append(time.perf_counter() - t0 - skipped)
        offered += agent is not None
        await decider.settle(contact, agent, now)
        if between is not None and (i + 1) % every == 0:
            paused = time.perf_counter()
            await between()
            started += time.perf_counter() - paused  # the baseline's time is not the cycle's
    total = time.perf_counter() - started
    return {"rate": n / sum(latencies), "p50_ms": percentile(latencies, 0.5) * 1000,
            "p99_ms": percentile(latencies, 0.99) * 1000, "offered": offered / n, "cycle_rate": n / total}


# --------------------------------------------------------------------------- redis


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_redis(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(folder)], stdout=subprocess.DEVNULL)
    for _ in range(200):
        if subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True).stdout.strip() == b"PONG":
            return proc, f"redis://127.0.0.1:{port}/0"
        time.sleep(0.02)
    raise RuntimeError("redis-server did not start")


class BareEvalsha:
    """The baseline: a bare ``EVALSHA`` of ``return 1`` on the same client, timed in blocks."""

    def __init__(self, client: Any) -> None:
        self.script = client.register_script("return 1")
        self.calls, self.seconds = 0, 0.0

    async def run(self, n: int) -> None:
        await self.script(keys=[], args=[])  # loaded, and the connection warm
        started = time.perf_counter()
        for _ in range(n):
            await self.script(keys=[], args=[])
        self.seconds += time.perf_counter() - started
        self.calls += n

    @property
    def rate(self) -> float:
        return self.calls / self.seconds


async def redis_section(n: int, agents: list[AgentState], folder: Path) -> dict[str, float]:
    """Decisions with the claim in Redis, with blocks of the bare baseline interleaved (500 each).

    Interleaving puts the baseline and the product under the same load at the same moments, so the
    ratio holds on a busy machine where load changes from second to second.
    """
    import redis.asyncio as aioredis

    from routing.redis_reservations import RedisReservations

    proc, url = start_redis(folder)
    client = aioredis.Redis.from_url(url)
    try:
        before, bare, after = BareEvalsha(client), BareEvalsha(client), BareEvalsha(client)
        await before.run(n)
        decision = await run_decisions(RedisReservations(client), n, agents, enqueue_timed=False,
                                       between=lambda: bare.run(500))
        await after.run(n)
        await client.flushdb()
        full = await run_decisions(RedisReservations(client), n // 4, agents, enqueue_timed=True)
    finally:
        await client.aclose()
        proc.terminate()
        proc.wait()
    return {"bare": bare.rate, "bare_around": (before.rate + after.rate) / 2,
            **{f"decision_{k}": v for k, v in decision.items()}, "full_cycle_rate": full["cycle_rate"]}


# --------------------------------------------------------------------------- supervisor fan-out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--decisions", type=int, default=20_000)
    parser.add_argument("--viewers", type=int, default=200)
    parser.add_argument("--frames", type=int, default=50)
    parser.add_argument("--serve", choices=("app", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        from bench.routing_fanout import serve

        asyncio.run(serve(args.serve, args.port, Path(args.data), args.agents))
        return
    asyncio.run(run_all(args))


async def run_all(args: argparse.Namespace) -> None:
    from bench.routing_fanout import fanout_section

    agents = make_agents(args.agents, random.Random(1))
    print(f"routing bench: {args.agents} agents, {len(DEPARTMENTS) * len(CHANNELS)} queues, "
          f"{args.decisions} decisions, python {sys.version.split()[0]}, {os.cpu_count()} cpu")
    memory = await run_decisions(MemoryReservations(), args.decisions, agents, enqueue_timed=True)
    print(f"in process   : {memory['rate']:>9,.0f} decisions/s  p50 {memory['p50_ms']:.3f} ms  "
          f"p99 {memory['p99_ms']:.3f} ms  (offered {memory['offered']:.0%}; with accept+finish "
          f"{memory['cycle_rate']:,.0f} contacts/s)")
    folder = Path(tempfile.mkdtemp(prefix="routing-bench-"))
    try:
        red = await redis_section(args.decisions, agents, folder)
        print(f"redis        : {red['decision_rate']:>9,.0f} decisions/s  p50 {red['decision_p50_ms']:.3f} ms  "
              f"p99 {red['decision_p99_ms']:.3f} ms  (one EVALSHA claim each)")
        ratio = red["decision_rate"] / red["bare"]
        print(f"redis bare   : {red['bare']:>9,.0f} EVALSHA/s (return 1, interleaved)  ratio {ratio:.2f}")
        print(f"redis bare'  : {red['bare_around']:>9,.0f} EVALSHA/s (return 1, {args.decisions:,} before and after, "
              f"mean)  ratio {red['decision_rate'] / red['bare_around']:.2f}")
        print(f"redis cycle  : {red['full_cycle_rate']:>9,.0f} contacts/s (enqueue+claim+accept+finish, 4 scripts)")
        fan = await fanout_section(args, folder)
        print(f"fan-out app  : {args.viewers} viewers, frame {fan['frame_bytes']:,} B: p50 {fan['app_p50']:.1f} ms "
              f"p99 {fan['app_p99']:.1f} ms to the last viewer")
        print(f"fan-out bare : same bytes, bare aiohttp send_str loop: p50 {fan['bare_p50']:.1f} ms "
              f"p99 {fan['bare_p99']:.1f} ms  ratio p50 {fan['app_p50'] / fan['bare_p50']:.2f}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
