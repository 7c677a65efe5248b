"""Two real server processes on one PostgreSQL and one Redis: what an admin sets up on one instance
is in force on the other at once, without a restart (the bus announces it; the store poll is off)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import websockets

from tests.integration.routing.cluster import Instance, start_instance, until

pytestmark = [pytest.mark.redis, pytest.mark.postgres]
ADMIN = {"username": "root", "password": "first-admin-Secret"}
AGENT_PASSWORD = "agent-Secret-pw"


CONFIG = """
[server]
log_level = "WARNING"

[config]
poll_seconds = 0          # only the bus may carry a change

[telephony]
director_timeout_ms = 5000

[routing]
sweep_interval_seconds = 0.05
offline_grace_seconds = 30
"""


@contextlib.asynccontextmanager
async def two_instances(tmp: Any, database_url: str, redis_url: str) -> AsyncIterator[tuple[Instance, Instance]]:
    """Two ``contact-center serve`` processes with every plugin on one store and one Redis."""
    config = tmp / "cc.toml"
    config.write_text(CONFIG)
    started: list[Instance] = []
    try:
        for _ in range(2):
            started.append(await start_instance(config, tmp, database_url, redis_url))
        yield started[0], started[1]
    finally:
        for instance in started:
            with contextlib.suppress(ProcessLookupError):
                instance.proc.terminate()
            try:
                await asyncio.wait_for(instance.proc.wait(), 5)
            except TimeoutError:
                instance.kill()
                await instance.proc.wait()


@contextlib.asynccontextmanager
async def browser(instance: Instance) -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP client that acts like a browser on *instance*'s pages (same Origin, own cookies)."""
    async with aiohttp.ClientSession(base_url=instance.url, headers={"Origin": instance.url},
                                     cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


async def ok(resp: aiohttp.ClientResponse, status: int = 200) -> Any:
    body = await resp.json(content_type=None)
    assert resp.status == status, body
    return body


async def test_a_change_on_one_instance_is_in_force_on_the_other(tmp_path, postgres_url, redis_url):
    """First admin, department, agent and PBX made on instance A: instance B takes the PBX's token, routes
    the call to the department's number to the agent on B; desk settings and rules changed on A read
    back changed on B."""
    async with two_instances(tmp_path, postgres_url, redis_url) as (a, b), \
            browser(a) as admin, browser(b) as on_b:
        await ok(await admin.post("/api/v1/setup", json=ADMIN), 201)
        await ok(await admin.post("/api/v1/departments", json={"slug": "sales", "name": "Sales",
                                                               "numbers": ["+49 30 1111 0000"]}), 201)
        await ok(await admin.post("/api/v1/users", json={"username": "anna", "password": AGENT_PASSWORD,
                                                         "extension": "201", "departments": ["sales"]}), 201)
        pbx = await ok(await admin.post("/api/v1/config/pbx", json={"name": "office", "route_inbound": True}))

        await ok(await on_b.post("/api/v1/auth/login", json={"username": "anna", "password": AGENT_PASSWORD}))
        cookie = "; ".join(f"{c.key}={c.value}" for c in on_b.cookie_jar)
        ws_url = b.url.replace("http://", "ws://") + "/ws/agent"
        async with websockets.connect(ws_url, additional_headers={"Cookie": cookie}) as desk:
            frames: list[dict[str, Any]] = []

            async def offered() -> bool:
                with contextlib.suppress(TimeoutError):
                    frames.append(json.loads(await asyncio.wait_for(desk.recv(), 0.2)))
                return any(f.get("type") == "offer" for f in frames)

            await until(lambda: _presence(desk, frames), within=10)
            reply = await ok(await on_b.post(f"/api/v1/cti/{pbx['token']}", json={
                "event": "newCall", "callId": "two-1", "from": "+4917012345", "to": "+493011110000",
                "direction": "in"}))
            assert reply == {"action": "dial", "number": "201"}
            await until(offered, within=10)

        await ok(await admin.put("/api/v1/config/desk", json={"value": {"away_reasons": ["Lunch", "Coaching"]}}))

        async def desk_changed() -> bool:
            desk_config = await ok(await on_b.get("/api/v1/desk/config"))
            return bool(desk_config["away_reasons"] == ["Lunch", "Coaching"])

        await until(desk_changed, within=10)
        rules = [{"name": "buyers", "field": "subject", "operator": "contains_any", "value": ["buy"],
                  "department": "sales", "priority": 3}]
        await ok(await admin.put("/api/v1/config/routing", json={"value": {"rules": rules}}))
        sample = {"channel": "email", "subject": "I want to buy"}

        async def rules_changed() -> bool:
            async with browser(b) as supervisor_view:
                await ok(await supervisor_view.post("/api/v1/auth/login", json=ADMIN))
                tried = await ok(await supervisor_view.post("/api/v1/routing/try", json=sample))
            return bool([r["name"] for r in tried["rules"]] == ["buyers"] and tried["priority"] == 3)

        await until(rules_changed, within=10)


async def _presence(desk: Any, frames: list[dict[str, Any]]) -> bool:
    with contextlib.suppress(TimeoutError):
        frames.append(json.loads(await asyncio.wait_for(desk.recv(), 0.2)))
    return any(f.get("type") == "presence" and f.get("presence") == "available" for f in frames)
