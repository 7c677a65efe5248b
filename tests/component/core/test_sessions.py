"""Login sessions end everywhere at once: logout, expiry, idleness and deactivation close the user's
websockets (close code 4401) and refuse the cookie; cookies are Secure behind an https public URL."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from typing import Any

import websockets
from sqlalchemy import update

from agent_ui.hub import SESSION_ENDED
from contact_center import keys
from contact_center.http.auth import end_sessions
from contact_center.settings import Settings
from contact_center.store.tables import AuthSession, User, utcnow
from tests.component.telephony.env import PLUGINS
from tests.conftest import AppStarter, RunningApp, seed_org


async def _app(start_app: AppStarter, settings_factory: Callable[..., Settings], **overrides: Any) -> RunningApp:
    running = await start_app(settings_factory(**overrides), plugins=PLUGINS)
    running.users.update(await seed_org(running.db))
    return running


async def _socket(app: RunningApp, client: Any, path: str = "/ws/agent") -> Any:
    return await websockets.connect(app.ws_url + path, additional_headers={"Cookie": app.cookie_header(client)})


async def _closed_code(ws: Any) -> int | None:
    """Read until the server closes the socket; its close code."""
    async with asyncio.timeout(10):
        try:
            while True:
                await ws.recv()
        except websockets.ConnectionClosed:
            pass
    return ws.close_code  # type: ignore[no-any-return]


async def test_logout_closes_that_sessions_sockets_at_once(
        start_app: AppStarter, settings_factory: Callable[..., Settings]) -> None:
    """Logging out closes the agent and supervisor sockets of that session; another session's socket stays."""
    app = await _app(start_app, settings_factory)
    first, second = await app.login("supervisor"), await app.login("supervisor")
    agent_ws, boss_ws, other_ws = (await _socket(app, first), await _socket(app, first, "/ws/supervisor"),
                                   await _socket(app, second))
    assert (await first.post("/api/v1/auth/logout")).status == 200
    assert await _closed_code(agent_ws) == SESSION_ENDED
    assert await _closed_code(boss_ws) == SESSION_ENDED
    await other_ws.send('{"type": "ping", "id": 1}')
    async with asyncio.timeout(10):  # the other session's socket still works
        while '"pong"' not in await other_ws.recv():
            pass
    assert (await second.get("/api/v1/me")).status == 200
    await other_ws.close()
    await first.close()
    await second.close()


async def test_deactivation_closes_every_socket_of_the_user(
        start_app: AppStarter, settings_factory: Callable[..., Settings]) -> None:
    """Deactivating a user (sessions revoked, SessionsEnded announced) closes all their sockets at once."""
    app = await _app(start_app, settings_factory)
    one, two = await app.login("agent_sales_1"), await app.login("agent_sales_1")
    sockets = [await _socket(app, one), await _socket(app, two)]
    user_id = app.users["agent_sales_1"]
    async with app.db.session() as s:
        await s.execute(update(User).where(User.id == user_id).values(active=False))
    await app.app[keys.SESSIONS].revoke_user(user_id)
    await end_sessions(app.app, user_id, reason="deactivated")
    assert [await _closed_code(ws) for ws in sockets] == [SESSION_ENDED, SESSION_ENDED]
    assert (await one.get("/api/v1/me")).status == 401
    await one.close()
    await two.close()


async def test_an_expired_session_closes_its_socket_and_refuses_the_cookie(
        start_app: AppStarter, settings_factory: Callable[..., Settings]) -> None:
    """When the absolute lifetime ends the socket is closed by its session check and requests get 401."""
    app = await _app(start_app, settings_factory, session_check_seconds=1)
    client = await app.login("agent_sales_1")
    ws = await _socket(app, client)
    async with app.db.session() as s:
        await s.execute(update(AuthSession).values(expires_at=utcnow() - dt.timedelta(seconds=1)))
    assert await _closed_code(ws) == SESSION_ENDED
    assert (await client.get("/api/v1/me")).status == 401
    await client.close()


async def test_an_idle_session_ends_and_activity_keeps_it(
        start_app: AppStarter, settings_factory: Callable[..., Settings]) -> None:
    """A session unused for longer than the idle timeout is refused; one in use is not."""
    app = await _app(start_app, settings_factory, session_idle_seconds=600)
    idle, busy = await app.login("agent_sales_1"), await app.login("agent_sales_2")
    long_ago = utcnow() - dt.timedelta(seconds=601)
    async with app.db.session() as s:
        await s.execute(update(AuthSession).where(AuthSession.user_id == app.users["agent_sales_1"])
                        .values(last_seen_at=long_ago))
        await s.execute(update(AuthSession).where(AuthSession.user_id == app.users["agent_sales_2"])
                        .values(last_seen_at=utcnow() - dt.timedelta(seconds=500)))
    assert (await idle.get("/api/v1/me")).status == 401
    assert (await busy.get("/api/v1/me")).status == 200  # and this request counts as activity
    async with app.db.session() as s:
        seen = (await s.execute(AuthSession.__table__.select().where(
            AuthSession.user_id == app.users["agent_sales_2"]))).one().last_seen_at
    assert seen > utcnow() - dt.timedelta(seconds=60)
    await idle.close()
    await busy.close()


async def test_cookies_are_secure_behind_an_https_public_url(
        start_app: AppStarter, settings_factory: Callable[..., Settings]) -> None:
    """With an https public URL the session cookie carries Secure even though cookie_secure is off."""
    app = await _app(start_app, settings_factory, public_url="https://cc.example.com")
    async with app.session() as client:
        resp = await client.post("/api/v1/auth/login", json={"username": "admin", "password": "correct horse battery"})
        assert resp.status == 200
        cookie = resp.headers["Set-Cookie"]
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
