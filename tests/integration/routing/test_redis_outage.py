"""Two real server processes on PostgreSQL and a real redis-server that restarts while calls (CTI hook)
and chats (visitor websockets) keep coming: routing and the pops survive it, with and without persistence."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis
import websockets
from sqlalchemy import select

from contact_center.store.migrate import upgrade
from contact_center.store.session import Database
from contact_center.store.tables import Conversation
from routing.redis_reservations import PREFIX
from tests.conftest import seed_org
from tests.dbservers import RedisServer
from tests.integration.routing.cluster import Instance, SimAgent, cluster, until

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.timeout(300)]
TOKEN = "outage-test-token-0123456789"
EXTRA = f"""
[[pbx]]
name = "main"
token = "{TOKEN}"
"""
DOWN_ERRORS = ("unavailable", "internal_error")  # an agent's command while Redis is down fails; never silently


@dataclass
class Traffic:
    """The PBX and the chat visitors: what they sent and what the instances answered."""

    instances: list[Instance]
    agents: dict[str, str]  # extension -> username
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    hook_statuses: list[int] = field(default_factory=list)
    answered: list[tuple[str, str]] = field(default_factory=list)  # (call id, username)
    chats: list[str] = field(default_factory=list)  # visitor ids
    chat_acks: Counter[str] = field(default_factory=Counter)
    sockets: list[Any] = field(default_factory=list)
    _serial: itertools.count[int] = field(default_factory=itertools.count)

    async def call(self, http: aiohttp.ClientSession) -> None:
        """newCall, answer by an agent, hangup; each posted to a random instance (the PBX's load balancer)."""
        n = next(self._serial)
        call_id = f"outage-call-{n}"
        extension = self.rng.choice(sorted(self.agents))
        for body in ({"event": "newCall", "callId": call_id, "from": f"+4917{n:08d}", "to": "+49301234500",
                      "direction": "in"},
                     {"event": "answer", "callId": call_id, "answeringNumber": extension},
                     {"event": "hangup", "callId": call_id, "cause": "normalClearing"}):
            target = self.rng.choice(self.instances)
            async with http.post(f"{target.url}/api/v1/cti/{TOKEN}", json=body) as resp:
                self.hook_statuses.append(resp.status)
            if body["event"] == "answer":
                self.answered.append((call_id, self.agents[extension]))

    async def chat(self) -> None:
        """A visitor opens the widget on a random instance and writes one message; it waits for the ack."""
        n = next(self._serial)
        target = self.rng.choice(self.instances)
        ws = await websockets.connect(target.url.replace("http", "ws") + "/chat/ws",
                                      additional_headers={"Origin": target.url})
        self.sockets.append(ws)
        await ws.send(json.dumps({"type": "hello", "visitor_id": None, "last_seen": 0, "name": f"Visitor {n}"}))
        async with asyncio.timeout(60):
            welcome = await _frame(ws, "welcome")
            visitor = welcome["visitor_id"]
            self.chats.append(visitor)
            await ws.send(json.dumps({"type": "message", "client_id": f"m{n}", "text": f"Hello, chat {n}"}))
            ack = await _frame(ws, "ack")
        assert ack["client_id"] == f"m{n}"
        self.chat_acks[visitor] += 1

    async def close(self) -> None:
        for ws in self.sockets:
            with contextlib.suppress(Exception):
                await ws.close()


async def _frame(ws: Any, kind: str) -> dict[str, Any]:
    while True:
        frame: dict[str, Any] = json.loads(await ws.recv())
        if frame["type"] == kind:
            return frame


async def _chat_conversations(db: Database) -> dict[int, tuple[str, int | None]]:
    async with db.session() as s:
        rows = (await s.execute(select(Conversation.id, Conversation.status, Conversation.assigned_user_id)
                                .where(Conversation.channel == "chat"))).all()
    return {r.id: (r.status, r.assigned_user_id) for r in rows}


async def _load(traffic: Traffic, stop: asyncio.Event) -> None:
    """Calls and chats, one of each about every 0.15 s, until *stop*."""
    async with aiohttp.ClientSession() as http:
        while not stop.is_set():
            await asyncio.gather(traffic.call(http), traffic.chat())
            await asyncio.sleep(0.15)


@pytest.mark.parametrize("persistent", [False, True], ids=["state-lost", "persistent"])
async def test_routing_and_pops_survive_a_redis_restart_under_load(
    tmp_path, postgres_url: str, redis_factory: Callable[..., RedisServer], persistent: bool,
) -> None:
    """Redis stops for a few seconds and starts again on its port while calls and chats flow through two
    instances: every chat is offered and taken by exactly one agent, every answered call's pop reaches its
    agent, the hook and the chat ingest answered every post (nothing accepted was lost), and the agents who
    stayed connected take the contacts that came after the restart without reconnecting."""
    redis = redis_factory(persistent=persistent)
    db = Database(postgres_url)
    await upgrade(db)
    users = await seed_org(db)
    names = [n for n in users if n.startswith("agent_")]
    extensions = {f"2{i // 2}{i % 2 + 1}": name for i, name in enumerate(names)}
    traffic_stop, agents_stop = asyncio.Event(), asyncio.Event()
    try:
        async with cluster(tmp_path, database_url=postgres_url, redis_url=redis.url,
                           plugins=("routing", "agent_ui", "telephony", "chat"), extra=EXTRA) as instances:
            agents = [SimAgent(name, 3, instances, reject_share=0.0, rng=random.Random(n))
                      for n, name in enumerate(names)]
            runs = [asyncio.create_task(a.run(instances[n % 2], agents_stop)) for n, a in enumerate(agents)]
            await until(lambda: _all_present(agents), 30)
            traffic = Traffic(instances, extensions)
            load = asyncio.create_task(_load(traffic, traffic_stop))
            await until(lambda: _some(traffic, 8), 60)
            redis.stop()  # mid-stream: calls and chats keep coming while it is down
            before = len(traffic.chats)
            await until(lambda: _some(traffic, before + 10), 60)
            redis.start()  # the same port
            restarted_at = len(traffic.chats)
            marks = {a.username: len(a.frames) for a in agents}
            busy_before = [a for a in agents if _offered(a)]
            await until(lambda: _some(traffic, restarted_at + 10), 60)
            traffic_stop.set()
            await load

            async def all_chats_closed() -> bool:
                convs = await _chat_conversations(db)
                return len(convs) == len(traffic.chats) and all(s == "closed" for s, _ in convs.values())

            await until(all_chats_closed, 120, 0.5)

            async def all_pops_arrived() -> bool:
                return not _missing_pops(agents, traffic)

            await until(all_pops_arrived, 60, 0.5)
            assert not any(run.done() for run in runs)  # every agent stayed connected throughout
            agents_stop.set()
            await asyncio.gather(*runs)
            await traffic.close()
            state = aioredis.Redis.from_url(redis.url)
            try:
                offers_left = await state.hlen(PREFIX + "offers")
            finally:
                await state.aclose()
    finally:
        traffic_stop.set()
        agents_stop.set()
        await db.close()
    assert set(traffic.hook_statuses) == {200}
    assert set(traffic.chat_acks.values()) == {1}
    assert len(traffic.chat_acks) == len(traffic.chats)
    convs = await _chat_conversations_after(postgres_url)
    accepted = Counter(cid for a in agents for cid in a.accepted)
    assert sorted(accepted) == sorted(convs)  # every chat was offered and taken ...
    assert set(accepted.values()) == {1}  # ... by exactly one agent
    assert offers_left == 0
    assert busy_before  # the agents who took chats before the outage ...
    assert all(_offered(a, marks[a.username]) for a in busy_before)  # ... got offers after it on the same socket
    assert [e for a in agents for e in a.errors if e.get("code") not in DOWN_ERRORS] == []


async def _all_present(agents: list[SimAgent]) -> bool:
    return all(any(f.get("type") == "presence" and f.get("presence") == "available" for f in a.frames)
               for a in agents)


def _offered(agent: SimAgent, start: int = 0) -> bool:
    return any(f.get("type") == "offer" for f in agent.frames[start:])


async def _some(traffic: Traffic, count: int) -> bool:
    return len(traffic.chat_acks) >= count


def _missing_pops(agents: list[SimAgent], traffic: Traffic) -> list[tuple[str, str]]:
    popped = {(f["call_id"], a.username) for a in agents for f in a.frames
              if f.get("type") == "screen_pop" and f.get("call_id")}
    return [pair for pair in traffic.answered if pair not in popped]


async def _chat_conversations_after(postgres_url: str) -> dict[int, tuple[str, int | None]]:
    db = Database(postgres_url)
    try:
        return await _chat_conversations(db)
    finally:
        await db.close()
