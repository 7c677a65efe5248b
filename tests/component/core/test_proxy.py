"""Client addresses behind a reverse proxy: X-Forwarded-For is believed only from trusted proxies."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from contact_center.settings import Settings
from contact_center.store.tables import AuthSession
from tests.conftest import PASSWORD, AppStarter, RunningApp, seed_org

FORWARDED = "203.0.113.66, 198.51.100.7"  # a forged first hop, then the one the proxy added


async def _session_remote(ra: RunningApp, source: str) -> str | None:
    """Log in from local address *source* with an X-Forwarded-For header; the address the session recorded."""
    connector = aiohttp.TCPConnector(local_addr=(source, 0))
    async with aiohttp.ClientSession(base_url=ra.url, connector=connector, headers={"Origin": ra.url}) as client:
        resp = await client.post("/api/v1/auth/login", json={"username": "admin", "password": PASSWORD},
                                 headers={"X-Forwarded-For": FORWARDED})
        assert resp.status == 200
    async with ra.db.session() as s:
        return (await s.execute(select(AuthSession.remote))).scalar_one()


async def _app(start_app: AppStarter, tmp_path: Path, environ: dict[str, str], toml: str = "") -> RunningApp:
    config = tmp_path / "cc.toml"
    config.write_text(toml)
    settings = Settings.load(config, environ={"CC_DATA_DIR": str(tmp_path), **environ})
    ra = await start_app(settings, plugins=[])
    await seed_org(ra.db)
    return ra


async def test_loopback_proxy_is_trusted_and_its_hop_is_used(start_app: AppStarter, tmp_path: Path) -> None:
    """From 127.0.0.1 (a local proxy) the last X-Forwarded-For hop is the client, not a forged first one."""
    ra = await _app(start_app, tmp_path, {})
    assert await _session_remote(ra, "127.0.0.1") == "198.51.100.7"


async def test_other_sources_cannot_claim_an_address(start_app: AppStarter, tmp_path: Path) -> None:
    """A client that is not a trusted proxy gets its own address, whatever header it sends."""
    ra = await _app(start_app, tmp_path, {})
    assert await _session_remote(ra, "127.0.0.5") == "127.0.0.5"


@pytest.mark.parametrize(
    ("environ", "toml"),
    [
        ({"CC_SERVER__TRUSTED_PROXIES": "10.0.0.1, 127.0.0.5"}, ""),
        ({}, '[server]\ntrusted_proxies = ["10.0.0.1", "127.0.0.5"]\n'),
    ],
    ids=["environment", "toml"],
)
async def test_configured_proxies_are_trusted(start_app: AppStarter, tmp_path: Path, environ: dict[str, str],
                                              toml: str) -> None:
    """server.trusted_proxies, as a comma-separated variable or a TOML list, makes a proxy trusted."""
    ra = await _app(start_app, tmp_path, environ, toml)
    assert await _session_remote(ra, "127.0.0.5") == "198.51.100.7"
