"""CSRF on the real app: state-changing requests and websocket handshakes must name an allowed
origin; machine endpoints with their own token are exempt; JSON endpoints take only JSON."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest
import websockets

import connectors.chat
from contact_center.settings import Settings
from tests.component.telephony.env import PLUGINS, TOKEN, world_settings
from tests.conftest import PASSWORD, AppStarter, RunningApp, seed_org

LOGIN = {"username": "agent_sales_1", "password": PASSWORD}


async def _app(start_app: AppStarter, settings_factory: Callable[..., Settings], tmp_path: Path) -> RunningApp:
    settings = world_settings(settings_factory, tmp_path, sections={
        "server": {"allowed_origins": ["https://desk.example.com"]}})
    running = await start_app(settings, plugins=[*PLUGINS, ("chat", connectors.chat.register)])
    running.users.update(await seed_org(running.db))
    return running


def _bare(app: RunningApp, **headers: str) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(base_url=app.url, cookie_jar=aiohttp.CookieJar(unsafe=True), headers=headers)


@pytest.mark.parametrize(("headers", "status"), [
    ({"Origin": "https://evil.example"}, 403),
    ({"Origin": "null"}, 403),
    ({"Origin": "http://127.0.0.1:1"}, 403),  # same host, another port: another origin
    ({}, 403),  # names no origin at all
    ({"Referer": "https://evil.example/page"}, 403),
    ({"Origin": "https://desk.example.com"}, 200),  # [server] allowed_origins
    ({"Referer": "SELF/desk"}, 200),  # a browser that sent only the Referer, from this origin
    ({"Origin": "SELF"}, 200),
])
async def test_login_needs_an_allowed_origin(start_app: AppStarter, settings_factory: Callable[..., Settings],
                                             tmp_path: Path, headers: dict[str, str], status: int) -> None:
    """A login posted from another origin (or from none) is refused with 403; allowed origins log in."""
    app = await _app(start_app, settings_factory, tmp_path)
    headers = {k: v.replace("SELF", app.url) for k, v in headers.items()}
    async with _bare(app, **headers) as client:
        resp = await client.post("/api/v1/auth/login", json=LOGIN)
        assert resp.status == status
        if status == 403:
            assert (await resp.json())["code"] == "forbidden"


async def test_a_cross_origin_request_cannot_use_the_session(
        start_app: AppStarter, settings_factory: Callable[..., Settings], tmp_path: Path) -> None:
    """With the agent's cookie, a request from another origin cannot log out or change a conversation."""
    app = await _app(start_app, settings_factory, tmp_path)
    async with await app.login("agent_sales_1") as agent:
        cookie = app.cookie_header(agent)
        async with _bare(app, Origin="https://chat.example.com", Cookie=cookie) as evil:
            assert (await evil.post("/api/v1/auth/logout")).status == 403
            assert (await evil.patch("/api/v1/conversations/1", json={"action": "close"})).status == 403
        assert (await agent.get("/api/v1/me")).status == 200  # still logged in


async def test_websocket_handshakes_from_other_origins_are_refused(
        start_app: AppStarter, settings_factory: Callable[..., Settings], tmp_path: Path) -> None:
    """/ws/agent and /ws/supervisor refuse a page of another origin; this origin and plain programs connect."""
    app = await _app(start_app, settings_factory, tmp_path)
    async with await app.login("supervisor") as boss:
        cookie = app.cookie_header(boss)
        for path in ("/ws/agent", "/ws/supervisor"):
            with pytest.raises(websockets.InvalidStatus) as refused:
                await websockets.connect(app.ws_url + path, additional_headers={"Cookie": cookie},
                                         origin="https://evil.example")  # type: ignore[arg-type]
            assert refused.value.response.status_code == 403
            ok = await websockets.connect(app.ws_url + path, additional_headers={"Cookie": cookie},
                                          origin=app.url)  # type: ignore[arg-type]
            await ok.close()
            program = await websockets.connect(app.ws_url + path, additional_headers={"Cookie": cookie})
            await program.close()


async def test_machine_endpoints_need_no_origin(
        start_app: AppStarter, settings_factory: Callable[..., Settings], tmp_path: Path) -> None:
    """The PBX hook (token in the URL) and the chat widget's socket (its own origin list) are not Origin-checked."""
    app = await _app(start_app, settings_factory, tmp_path)
    async with _bare(app) as pbx:
        resp = await pbx.post(f"/api/v1/cti/{TOKEN}", data={"event": "newCall", "callId": "o-1", "from": "+4930111",
                                                          "to": "+4930123450", "direction": "in"})
        assert resp.status == 200
    visitor = await websockets.connect(app.ws_url + "/chat/ws", origin="https://shop.example")  # type: ignore[arg-type]
    await visitor.close()
