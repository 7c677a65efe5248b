"""Admin component fixtures: the real app on an empty store, driven only through its REST API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from contact_center.settings import Settings
from tests.component.routing.conftest import FAST, agent_socket
from tests.conftest import AppStarter, RunningApp

ADMIN_PASSWORD = "first-admin-Secret"
AGENT_PASSWORD = "agent-Secret-pw"


def empty_settings(settings_factory: Callable[..., Settings], **sections: Any) -> Settings:
    """Settings with fast routing timers and no departments, users or PBX in the file."""
    # A loaded test machine can take longer than the PBX's usual 300 ms for the dial decision.
    return settings_factory(sections={"routing": {**FAST}, "config": {"poll_seconds": 0.2},
                                      "telephony": {"director_timeout_ms": 5000}, **sections})


@pytest.fixture
async def empty_app(start_app: AppStarter, settings_factory: Callable[..., Settings]) -> RunningApp:
    """The real app (every plugin) on an empty store: no admin, no department."""
    return await start_app(empty_settings(settings_factory))


async def expect(resp: aiohttp.ClientResponse, status: int) -> dict[str, Any]:
    """The JSON body of *resp*, after checking its status (the body is in the failure message)."""
    body = await resp.json(content_type=None)
    assert resp.status == status, body
    return body  # type: ignore[no-any-return]


async def first_admin(ra: RunningApp) -> aiohttp.ClientSession:
    """Create the first admin through the first-run call; the returned session is logged in."""
    client = ra.session()
    await expect(await client.post("/api/v1/setup", json={"username": "root", "password": ADMIN_PASSWORD,
                                                          "display_name": "First Admin"}), 201)
    return client


def socket_of(ra: RunningApp, username: str, password: str = AGENT_PASSWORD) -> Any:
    """*username*'s agent websocket (an async context manager), logged in with *password*."""
    return agent_socket(ra, username, password=password)
