"""Smaller hardening findings on the real app: huge ids are 4xx, /healthz notices a store that
cannot write, the store file is private, legacy pages cannot be framed, secrets stay out of logs."""

from __future__ import annotations

import sqlite3
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from contact_center.logs import mask_secrets
from contact_center.settings import Settings
from tests.component.telephony.env import TOKEN, world_settings
from tests.conftest import AppStarter, RunningApp, seed_org

HUGE = "9" * 30
ROUTES = [
    ("GET", f"/api/v1/conversations/{HUGE}"), ("GET", f"/api/v1/conversations/{2**63}/messages"),
    ("GET", f"/api/v1/conversations?customer_id={2**64}"), ("GET", f"/api/v1/customers/{HUGE}"),
    ("GET", f"/api/v1/customers/{2**63}/sources/sales/history"), ("GET", f"/api/v1/audit?user_id={HUGE}"),
    ("GET", f"/api/v1/conversations/1/messages/{HUGE}/raw"),
    ("PATCH", f"/api/v1/conversations/{HUGE}"), ("POST", f"/api/v1/customers/{HUGE}/merge"),
    ("PUT", f"/api/v1/routing/agents/{HUGE}/presence"),
]


@pytest.fixture
async def app(start_app: AppStarter, settings_factory: Callable[..., Settings], tmp_path: Path) -> RunningApp:
    running = await start_app(world_settings(settings_factory, tmp_path))
    running.users.update(await seed_org(running.db))
    return running


async def test_over_large_ids_are_client_errors(app: RunningApp) -> None:
    """An id beyond 64 bits gets a 4xx naming the field on every route, never a 500 (OverflowError)."""
    async with await app.login("admin") as admin:
        for method, path in ROUTES:
            resp = await admin.request(method, path, json={"duplicate_id": 1})
            assert 400 <= resp.status < 500, (method, path, resp.status)


async def test_healthz_fails_when_the_store_cannot_write(app: RunningApp) -> None:
    """With the store's write lock held elsewhere /healthz answers 503 naming the store."""
    async with app.session() as client:
        assert (await client.get("/healthz")).status == 200
        blocker = sqlite3.connect(app.db.url.removeprefix("sqlite+aiosqlite:///"), timeout=30)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            resp = await client.get("/healthz")
            assert resp.status == 503
            assert "cannot write" in (await resp.json())["checks"]["store"]
        finally:
            blocker.rollback()
            blocker.close()
        assert (await client.get("/healthz")).status == 200


async def test_the_store_file_is_private(app: RunningApp) -> None:
    """The SQLite store (and its WAL) are readable by their owner only."""
    path = Path(app.db.url.removeprefix("sqlite+aiosqlite:///"))
    for item in (path, path.with_name(path.name + "-wal")):
        assert stat.S_IMODE(item.stat().st_mode) == 0o600, item


async def test_legacy_pages_cannot_be_framed_and_the_chat_demo_has_a_csp(
        start_app: AppStarter, settings_factory: Callable[..., Settings], tmp_path: Path) -> None:
    """/agent forbids framing; /chat/demo carries a Content-Security-Policy without inline scripts."""
    running = await start_app(world_settings(settings_factory, tmp_path))
    async with running.session() as client:
        agent = await client.get("/agent")
        assert "frame-ancestors 'none'" in agent.headers["Content-Security-Policy"]
        assert agent.headers["X-Frame-Options"] == "DENY"
        demo = await client.get("/chat/demo")
        csp = demo.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp


@pytest.mark.parametrize(("text", "masked"), [
    (f"POST /api/v1/cti/{TOKEN} failed", "POST /api/v1/cti/*** failed"),
    (f"http://cc:8080/api/v1/cti/{TOKEN}?x=1", "http://cc:8080/api/v1/cti/***?x=1"),
    ("redis://:hunter2@redis:6379/0 unreachable", "redis://:***@redis:6379/0 unreachable"),
    ("GET /x?access_token=abc123&y=2", "GET /x?access_token=***&y=2"),
])
def test_secrets_are_masked_in_log_lines(text: str, masked: str) -> None:
    """Hook tokens in URLs, configured secrets and token parameters never reach a log line."""
    assert mask_secrets(text, ["hunter2"]) == masked
