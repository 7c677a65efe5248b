"""The real app with the API channel on SQLite and on PostgreSQL, a bridge made through the admin
API, and a real webhook receiver."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import aiohttp
import pytest

from contact_center.settings import Settings
from tests.component.routing.conftest import FAST
from tests.conftest import AppStarter, RunningApp, seed_org
from tests.webhook_receiver import WebhookReceiver

#: Retries within a test's patience: backoff from 50 ms, due retries looked for every 50 ms.
FAST_API = {"retry_min_seconds": 0.05, "retry_max_seconds": 0.2, "poll_seconds": 0.05, "max_body_bytes": 64 * 1024,
            "max_attachment_bytes": 1024}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """The store: a SQLite file, or a fresh migrated PostgreSQL database."""
    if request.param == "postgres":
        return str(request.getfixturevalue("postgres_migrated_url"))
    return f"sqlite+aiosqlite:///{tmp_path / 'api.db'}"


@pytest.fixture
def api_settings(settings_factory: Callable[..., Settings], store_url: str) -> Callable[..., Settings]:
    """Settings on *store_url* with fast routing and fast webhook retries."""

    def make(api: dict[str, Any] | None = None, **overrides: Any) -> Settings:
        sections = {"routing": MappingProxyType(FAST), "api_channel": MappingProxyType({**FAST_API, **(api or {})})}
        return settings_factory(database_url=store_url, sections=MappingProxyType(sections), **overrides)

    return make


@dataclass
class Bridge:
    """A bridge as the admin API made it: its id, token and secret (shown once)."""

    id: int
    token: str
    secret: str

    @property
    def path(self) -> str:
        return f"/api/v1/channels/{self.id}/messages"

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def make_bridge(ra: RunningApp, name: str, webhook_url: str | None, department: str = "sales") -> Bridge:
    """Create a bridge as the admin does."""
    admin = await ra.login("admin")
    async with admin:
        resp = await admin.post("/api/v1/admin/api-channels",
                                json={"name": name, "department": department, "webhook_url": webhook_url})
        assert resp.status == 201, await resp.text()
        made = await resp.json()
    return Bridge(made["channel"]["id"], made["token"], made["secret"])


async def post(ra: RunningApp, bridge: Bridge, body: Any, **kwargs: Any) -> aiohttp.ClientResponse:
    """Post one inbound message as the bridge does (the response is read already)."""
    async with ra.session() as client:
        resp = await client.post(bridge.path, json=body, headers=bridge.auth(), **kwargs)
        await resp.read()
        return resp


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    """The bridge's webhook endpoint: fails the first delivery with 503, then accepts signed ones."""
    r = await WebhookReceiver(fail_first=1).start()
    yield r
    await r.stop()


@pytest.fixture
async def api_app(start_app: AppStarter, api_settings: Callable[..., Settings]) -> RunningApp:
    """The app (every plugin) with the organisation seeded."""
    ra = await start_app(api_settings())
    ra.users.update(await seed_org(ra.db))
    return ra
