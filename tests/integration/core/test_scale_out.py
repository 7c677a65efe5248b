"""The scale-out configuration: app instances on a real PostgreSQL and a real Redis."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import text

from contact_center import keys
from contact_center.events import SupervisorsNotified
from contact_center.settings import Settings
from tests.conftest import PASSWORD, AppStarter, RunningApp, seed_org
from tests.dbservers import RedisServer


def _scale_out_settings(tmp_path: Path, database_url: str, redis_url: str) -> Settings:
    """Settings exactly as an operator gives them: through CC_* variables."""
    return Settings.load(environ={"CC_DATABASE_URL": database_url, "CC_REDIS_URL": redis_url,
                                  "CC_DATA_DIR": str(tmp_path)})


async def test_app_on_postgres_and_redis_migrates_and_logs_in(start_app: AppStarter, tmp_path: Path,
                                                              postgres_url: str, redis_url: str) -> None:
    """With CC_DATABASE_URL and CC_REDIS_URL the app migrates an empty PostgreSQL, serves logins and is healthy."""
    ra = await start_app(_scale_out_settings(tmp_path, postgres_url, redis_url), plugins=[])
    assert ra.db.dialect == "postgresql"
    async with ra.db.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM alembic_version"))).scalar_one() == 1
    await seed_org(ra.db)
    async with await ra.login("agent_sales_1") as client:
        me = await (await client.get("/api/v1/me")).json()
        health = await client.get("/healthz")
        assert health.status == 200
        assert await health.json() == {"status": "ok", "checks": {"store": "ok", "bus": "ok"}}
    assert me["user"]["departments"] == ["sales"]


async def _two_instances(start_app: AppStarter, settings: Settings) -> tuple[RunningApp, RunningApp]:
    # Started together on an empty database: the advisory lock lets one migrate while the other waits.
    a, b = await asyncio.gather(start_app(settings, plugins=[]), start_app(settings, plugins=[]))
    return a, b


async def test_a_session_from_one_instance_is_valid_on_the_other(start_app: AppStarter, tmp_path: Path,
                                                                 postgres_url: str, redis_url: str) -> None:
    """Log in on instance A, use the cookie on B; log out on B and A refuses it too."""
    a, b = await _two_instances(start_app, _scale_out_settings(tmp_path, postgres_url, redis_url))
    await seed_org(a.db)
    async with await a.login("supervisor") as on_a, b.session() as on_b:
        cookie = {"Cookie": a.cookie_header(on_a)}
        resp = await on_b.get("/api/v1/me", headers=cookie)
        assert resp.status == 200
        assert (await resp.json())["user"]["username"] == "supervisor"
        assert (await on_b.post("/api/v1/auth/logout", headers=cookie)).status == 200
        assert (await on_a.get("/api/v1/me")).status == 401


async def test_failed_logins_are_throttled_across_instances(start_app: AppStarter, tmp_path: Path,
                                                            postgres_migrated_url: str, redis_url: str) -> None:
    """Failures on A and on B add up: an attacker cannot spread guesses over instances."""
    settings = Settings.load(environ={"CC_DATABASE_URL": postgres_migrated_url, "CC_REDIS_URL": redis_url,
                                      "CC_DATA_DIR": str(tmp_path), "CC_AUTH__LOGIN_MAX_FAILURES": "2"})
    a, b = await _two_instances(start_app, settings)
    await seed_org(a.db)
    body = {"username": "admin", "password": "guess"}
    async with a.session() as on_a, b.session() as on_b:
        assert (await on_a.post("/api/v1/auth/login", json=body)).status == 401
        assert (await on_b.post("/api/v1/auth/login", json=body)).status == 401
        resp = await on_a.post("/api/v1/auth/login", json={"username": "admin", "password": PASSWORD})
        assert resp.status == 429


async def test_an_event_published_on_one_instance_reaches_the_other(start_app: AppStarter, tmp_path: Path,
                                                                    postgres_migrated_url: str, redis_url: str) -> None:
    """Both instances' buses deliver an event published on either one (through Redis)."""
    a, b = await _two_instances(start_app, _scale_out_settings(tmp_path, postgres_migrated_url, redis_url))
    got: dict[str, list[object]] = {"a": [], "b": []}

    def recorder(name: str) -> Callable[[SupervisorsNotified], object]:
        async def handle(event: SupervisorsNotified) -> None:
            got[name].append(event.frame)
        return handle

    a.app[keys.BUS].subscribe(recorder("a"), SupervisorsNotified)
    b.app[keys.BUS].subscribe(recorder("b"), SupervisorsNotified)
    await a.app[keys.BUS].publish(SupervisorsNotified(frame={"type": "queues", "from": "a"}))
    async with asyncio.timeout(10):
        await a.app[keys.BUS].settle()
        await b.app[keys.BUS].settle()
    assert got == {"a": [{"type": "queues", "from": "a"}], "b": [{"type": "queues", "from": "a"}]}


async def test_healthz_says_degraded_naming_redis_when_it_stops(start_app: AppStarter, settings_factory,
                                                                redis_factory: Callable[[], RedisServer]) -> None:
    """With Redis configured but stopped, /healthz says degraded (200: the store still takes contacts),
    names Redis, and says ok again once Redis is back."""
    redis = redis_factory()
    ra = await start_app(settings_factory(redis_url=redis.url), plugins=[])
    async with ra.session() as client:
        assert (await (await client.get("/healthz")).json())["status"] == "ok"
        redis.stop()
        resp = await client.get("/healthz")
        body = await resp.json()
        assert resp.status == 200
        assert body["status"] == "degraded"
        assert body["checks"]["store"] == "ok"
        assert "redis unavailable" in body["checks"]["bus"]
        redis.start()

        async def healthy() -> bool:
            return (await (await client.get("/healthz")).json())["status"] == "ok"

        async with asyncio.timeout(30):
            while True:
                if await healthy():
                    break
                await asyncio.sleep(0.1)
