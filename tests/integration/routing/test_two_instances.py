"""Two real server processes, one Redis, one PostgreSQL: no contact is ever assigned twice or lost."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections import Counter

import aiohttp
import pytest
import redis.asyncio as aioredis
import websockets
from sqlalchemy import select

from contact_center.auth.passwords import hash_password
from contact_center.auth.users import create_user
from contact_center.bus.redis import FIELD, STREAM
from contact_center.store.migrate import upgrade
from contact_center.store.session import Database
from contact_center.store.tables import Conversation
from routing.redis_reservations import PREFIX
from tests.conftest import DEPARTMENTS, PASSWORD, seed_org
from tests.integration.routing.cluster import SimAgent, cluster, publish_email, start_instance, until

pytestmark = [pytest.mark.redis, pytest.mark.postgres]
SUBJECTS = ["Question about my invoice", "Router broken", "I want to buy", "Complaint", "Hello there"]


async def _prepared(postgres_url: str, extra_agents: int) -> tuple[Database, list[tuple[str, int]]]:
    db = Database(postgres_url)
    await upgrade(db)
    users = await seed_org(db)
    hashed = hash_password(PASSWORD)
    agents = [(name, 5) for name in users if name.startswith("agent_")]
    for i in range(extra_agents):
        name = f"extra_{i}"
        await create_user(db, username=name, password=PASSWORD, role="agent", departments=[DEPARTMENTS[i % 5]],
                          capacity={"email": 2, "call": 1, "chat": 2}, password_hash=hashed)
        agents.append((name, 2))
    return db, agents


async def _statuses(db: Database, ids: list[int]) -> dict[int, tuple[str, int | None]]:
    async with db.session() as s:
        rows = (await s.execute(select(Conversation.id, Conversation.status, Conversation.assigned_user_id)
                                .where(Conversation.id.in_(ids)))).all()
    return {r.id: (r.status, r.assigned_user_id) for r in rows}


async def _accepted_events(redis_url: str, sink: list[dict], ready: asyncio.Event) -> None:
    client = aioredis.Redis.from_url(redis_url)
    try:
        newest = await client.xrevrange(STREAM, count=1)
        last: bytes | str = newest[0][0] if newest else "0-0"
        ready.set()
        while True:
            for _, entries in await client.xread({STREAM: last}, block=1000) or ():
                for entry_id, fields in entries:
                    last = entry_id
                    if fields[FIELD].startswith(b"{"):
                        doc = json.loads(fields[FIELD])
                        if doc["type"] in ("OfferAccepted", "OfferMade"):
                            sink.append(doc)
    finally:
        await client.aclose()


async def test_flood_of_contacts_over_two_instances_is_assigned_exactly_once(tmp_path, postgres_url, redis_url):
    """80 emails published to both instances, 16 agents spread over them: each email assigned once, none lost."""
    db, accounts = await _prepared(postgres_url, extra_agents=6)
    seen: list[dict] = []
    listening = asyncio.Event()
    listener = asyncio.create_task(_accepted_events(redis_url, seen, listening))
    await listening.wait()
    try:
        async with cluster(tmp_path, database_url=postgres_url, redis_url=redis_url) as instances:
            stop = asyncio.Event()
            agents = [SimAgent(name, cap, instances, rng=random.Random(n)) for n, (name, cap) in enumerate(accounts)]
            runs = [asyncio.create_task(a.run(instances[n % 2], stop)) for n, a in enumerate(agents)]
            ids = [await publish_email(redis_url, db, SUBJECTS[n % 5] + f" #{n}") for n in range(80)]

            async def all_closed() -> bool:
                statuses = await _statuses(db, ids)
                return all(status == "closed" for status, _ in statuses.values())

            await until(all_closed, 50, 0.2)
            stop.set()
            await asyncio.gather(*runs)
            state = aioredis.Redis.from_url(redis_url)
            try:
                async def released() -> bool:  # both instances have handled every close
                    return await state.hlen(PREFIX + "contacts") == 0

                await until(released, 20)
                loads = [json.loads(v)["load"] for v in await state.hvals(PREFIX + "agents")]
            finally:
                await state.aclose()
    finally:
        listener.cancel()
        await db.close()
    accepted = Counter(cid for a in agents for cid in a.accepted)
    assert sorted(accepted) == sorted(ids)  # none lost: every email was taken ...
    assert set(accepted.values()) == {1}  # ... by exactly one agent, once
    bus_accepts = Counter(e["data"]["conversation_id"] for e in seen if e["type"] == "OfferAccepted")
    assert bus_accepts == accepted
    statuses = await _statuses_after(postgres_url, ids)
    owners = {cid: next(a.username for a in agents if cid in a.accepted) for cid in ids}
    assert all(status == "closed" and user is not None for status, user in statuses.values())
    assert len(owners) == 80
    assert all(a.max_load <= a.capacity for a in agents)  # capacity was never exceeded
    assert [a.errors for a in agents if a.errors] == []
    assert all(not any(load.values()) for load in loads if isinstance(load, dict))
    assert sum(1 for a in agents if a.accepted) > 10  # the work was spread over both instances' agents


async def _statuses_after(postgres_url: str, ids: list[int]) -> dict[int, tuple[str, int | None]]:
    db = Database(postgres_url)
    try:
        return await _statuses(db, ids)
    finally:
        await db.close()


async def test_offer_from_a_killed_instance_still_times_out_to_the_next_agent(tmp_path, postgres_url, redis_url):
    """Instance A makes an offer and dies (SIGKILL); B's sweeper expires it and offers the contact to another agent."""
    db, _ = await _prepared(postgres_url, extra_agents=0)
    try:
        async with cluster(tmp_path, database_url=postgres_url, redis_url=redis_url, count=1,
                           offer_timeout=1.0) as instances:
            a = instances[0]
            silent = SimAgent("agent_sales_1", 5, instances, reject_share=0.0)
            stop_silent = asyncio.Event()
            silent_run = asyncio.create_task(_connect_silently(silent, a, stop_silent))
            await asyncio.sleep(0.5)
            cid = await publish_email(redis_url, db, "I want to buy")
            await _wait_offered(db, cid)
            b = await start_instance(tmp_path / "cc.toml", tmp_path, postgres_url, redis_url)
            instances.append(b)
            a.kill()
            stop_silent.set()
            await silent_run
            taker = SimAgent("agent_sales_2", 5, [b], reject_share=0.0)
            stop = asyncio.Event()
            run = asyncio.create_task(taker.run(b, stop))
            async def taken() -> bool:
                return cid in taker.accepted

            await until(taken, 20)
            stop.set()
            await run
    finally:
        await db.close()
    assert taker.accepted == [cid]


async def _connect_silently(agent: SimAgent, home, stop: asyncio.Event) -> None:
    """An agent who is available but never answers offers (the socket dies with instance A)."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        await http.post(home.url + "/api/v1/auth/login", json={"username": agent.username, "password": PASSWORD},
                        headers={"Origin": home.url})
        cookie = "; ".join(f"{c.key}={c.value}" for c in http.cookie_jar)
        try:
            async with websockets.connect(home.url.replace("http", "ws") + "/ws/agent",
                                          additional_headers={"Cookie": cookie}) as ws:
                reader = asyncio.create_task(_drain(ws))
                await stop.wait()
                reader.cancel()
        except (websockets.ConnectionClosed, OSError):
            pass


async def _drain(ws) -> None:
    with contextlib.suppress(websockets.ConnectionClosed):
        async for _ in ws:
            pass


async def _wait_offered(db: Database, cid: int) -> None:
    async def offered() -> bool:
        return (await _statuses(db, [cid])).get(cid, ("", None))[0] == "offered"

    await until(offered, 15, 0.05)
