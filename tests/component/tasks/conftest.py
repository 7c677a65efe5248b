"""Task component fixtures: the real app with routing, a PBX, a fast scheduler, on SQLite or PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from types import MappingProxyType
from typing import Any

import pytest

from contact_center.settings import PbxSettings, Secret, Settings
from routing.services import ROUTING
from tests.component.routing.conftest import FAST, USERS_BY_APP
from tests.conftest import AppStarter, RunningApp, seed_org

TOKEN = "tasks-test-pbx-token"
SALES_LINE = "+493012345000"  # seed_org: sales is +4930123450<0>
# The default install, PostgreSQL alone, and the production set-up: PostgreSQL with the Redis bus
# and routing state in Redis.
ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres),
           pytest.param("postgresql+redis", marks=[pytest.mark.postgres, pytest.mark.redis])]


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    """The store the test runs on."""
    return str(request.param)


@pytest.fixture
def start_tasks(start_app: AppStarter, settings_factory: Callable[..., Settings], engine: str,
                request: pytest.FixtureRequest) -> Callable[..., Any]:
    """Start the app with routing (FAST), a PBX and the task scheduler ticking every 50 ms; seed the org."""

    async def start(**tasks: Any) -> RunningApp:
        overrides: dict[str, Any] = {}
        if engine.startswith("postgresql"):
            overrides["database_url"] = request.getfixturevalue("postgres_migrated_url")
        if engine.endswith("+redis"):
            overrides["redis_url"] = request.getfixturevalue("redis_url")
        settings = settings_factory(
            **overrides, pbx=(PbxSettings(name="pbx", token=Secret(TOKEN)),),
            sections=MappingProxyType({
                "routing": MappingProxyType({**FAST, "rules": [
                    {"name": "sales line", "field": "to", "operator": "equals", "value": SALES_LINE,
                     "department": "sales"}]}),
                "tasks": MappingProxyType({"scheduler_interval_seconds": 0.05, **tasks})}))
        ra = await start_app(settings)
        ids = await seed_org(ra.db)
        USERS_BY_APP[id(ra)] = ids
        ra.users.update(ids)
        await ra.app[ROUTING].router.load_org()
        return ra

    return start


async def cti(ra: RunningApp, event: str, **fields: Any) -> Any:
    """Post one CTI event as the PBX does; fails the test on a non-200 answer."""
    client = ra.session()
    try:
        async with client.post(f"/api/v1/cti/{TOKEN}", json={"event": event, **fields}) as resp:
            assert resp.status == 200, await resp.text()
            return await resp.json()
    finally:
        await client.close()


async def missed_call(ra: RunningApp, call_id: str, number: str, *, users: list[str] | None = None) -> None:
    """An inbound call to the sales line that rings (the PBX names *users*) and is hung up unanswered."""
    await cti(ra, "newCall", callId=call_id, direction="in", to=SALES_LINE, user=users or [],
              **{"from": number})
    await cti(ra, "hangup", callId=call_id, cause="cancel")
