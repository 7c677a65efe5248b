"""The desk's pages and REST routes on the real app: redirects, headers, config, wrap-up, history."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import MappingProxyType

import aiohttp
import pytest
from sqlalchemy import select

import agent_ui
from contact_center import keys
from contact_center.events import SupervisorsNotified
from contact_center.settings import Settings
from contact_center.store.tables import Conversation, Department
from tests.conftest import AppStarter, RunningApp, seed_org

DESK = {"dispositions": ["fixed", {"code": "callback", "label": "Call back"}], "away_reasons": ["Lunch"]}


@pytest.fixture
async def desk_app(start_app: AppStarter, settings_factory: Callable[..., Settings]) -> RunningApp:
    """The app with only the agent_ui plugin, a [desk] section and the seeded organisation."""
    settings = settings_factory(sections=MappingProxyType({"desk": MappingProxyType(DESK)}))
    app = await start_app(settings, plugins=[("agent_ui", agent_ui.register)])
    IDS[id(app)] = await seed_org(app.db)
    return app


IDS: dict[int, dict[str, int]] = {}


async def _conversation(app: RunningApp, department: str, owner: int | None, status: str = "assigned") -> int:
    async with app.db.session() as s:
        dep = (await s.execute(select(Department.id).where(Department.slug == department))).scalar_one()
        conv = Conversation(channel="email", department_id=dep, assigned_user_id=owner, status=status,
                            subject="Help", contact_address="someone@example.org")
        s.add(conv)
        await s.flush()
        return conv.id


async def _location(client: aiohttp.ClientSession, path: str) -> str:
    async with client.get(path, allow_redirects=False) as resp:
        assert resp.status == 302
        return resp.headers["Location"]


async def test_home_redirects_by_role(desk_app: RunningApp) -> None:
    """Anonymous visitors and agents land on the desk; supervisors on the wallboard; admins on the console."""
    async with desk_app.session() as anonymous:
        assert await _location(anonymous, "/") == "/desk"
    agent = await desk_app.login("agent_sales_1")
    supervisor = await desk_app.login("supervisor")
    admin = await desk_app.login("admin")
    try:
        assert await _location(agent, "/") == "/desk"
        assert await _location(supervisor, "/") == "/wallboard"
        assert await _location(admin, "/") == "/admin"
    finally:
        await agent.close()
        await supervisor.close()
        await admin.close()


@pytest.mark.parametrize("path", ["/desk", "/wallboard", "/admin"])
async def test_pages_are_served_with_a_strict_policy(desk_app: RunningApp, path: str) -> None:
    """The pages forbid inline script and foreign origins; their module scripts are served as JavaScript."""
    async with desk_app.session() as client:
        async with client.get(path) as resp:
            assert resp.status == 200
            csp = resp.headers["Content-Security-Policy"]
            html = await resp.text()
        assert "script-src 'self'" in csp
        assert "'unsafe-inline'" not in csp
        assert "frame-ancestors 'none'" in csp
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert 'type="module"' in html
        script = {"/desk": "/ui/desk/js/main.js", "/wallboard": "/ui/wallboard/wallboard.js",
                  "/admin": "/ui/admin/js/main.js"}[path]
        async with client.get(script) as js:
            assert js.status == 200
            assert "javascript" in js.headers["Content-Type"]


async def test_desk_config_needs_a_login_and_serves_the_section(desk_app: RunningApp) -> None:
    """GET /api/v1/desk/config: 401 without a session; the [desk] values (and defaults) with one."""
    async with desk_app.session() as anonymous, anonymous.get("/api/v1/desk/config") as resp:
        assert resp.status == 401
    agent = await desk_app.login("agent_sales_1")
    try:
        async with agent.get("/api/v1/desk/config") as resp:
            body = await resp.json()
        assert body["dispositions"] == [{"code": "fixed", "label": "fixed"}, {"code": "callback", "label": "Call back"}]
        assert body["away_reasons"] == ["Lunch"]
        assert body["canned_responses"][0]["id"] == "greeting"
        assert body["service_level_target"] == 0.8
    finally:
        await agent.close()


async def test_wrap_up_records_the_disposition_and_closes(desk_app: RunningApp) -> None:
    """The owner wraps up with a known code: the row keeps the code and is closed."""
    ids = IDS[id(desk_app)]
    conversation_id = await _conversation(desk_app, "sales", ids["agent_sales_1"])
    agent = await desk_app.login("agent_sales_1")
    try:
        async with agent.post(f"/api/v1/conversations/{conversation_id}/wrap-up", json={"disposition": "nope"}) as r:
            assert r.status == 422
            assert (await r.json())["field"] == "disposition"
        async with agent.post(f"/api/v1/conversations/{conversation_id}/wrap-up",
                              json={"disposition": "callback"}) as r:
            assert r.status == 200
            body = await r.json()
        assert (body["conversation"]["status"], body["conversation"]["disposition"], body["changed"]) == (
            "closed", "callback", True)
        async with desk_app.db.session() as s:
            row = await s.get(Conversation, conversation_id)
            assert (row.status, row.disposition) == ("closed", "callback")
    finally:
        await agent.close()


async def test_wrap_up_of_someone_elses_conversation_is_refused(desk_app: RunningApp) -> None:
    """Another department's conversation is 404; a colleague's is 403; a supervisor may wrap it up."""
    ids = IDS[id(desk_app)]
    colleagues = await _conversation(desk_app, "sales", ids["agent_sales_2"])
    elsewhere = await _conversation(desk_app, "complaints", ids["agent_complaints_1"])
    agent = await desk_app.login("agent_sales_1")
    supervisor = await desk_app.login("supervisor")
    try:
        async with agent.post(f"/api/v1/conversations/{elsewhere}/wrap-up", json={"disposition": "fixed"}) as r:
            assert r.status == 404
        async with agent.post(f"/api/v1/conversations/{colleagues}/wrap-up", json={"disposition": "fixed"}) as r:
            assert r.status == 403
        async with supervisor.post(f"/api/v1/conversations/{colleagues}/wrap-up", json={"disposition": "fixed"}) as r:
            assert r.status == 200
    finally:
        await agent.close()
        await supervisor.close()


async def test_wallboard_history_is_for_supervisors_and_follows_snapshots(desk_app: RunningApp) -> None:
    """Snapshot frames on the bus become chart samples; agents may not read them."""
    bus = desk_app.app[keys.BUS]
    for at, waiting in ((1000.0, 2), (1001.0, 5)):
        frame = {"type": "queue_snapshot", "at": at, "queues": [{"channel": "call", "waiting": waiting, "offered": 0}]}
        await bus.publish(SupervisorsNotified(frame))
    await bus.settle()
    agent = await desk_app.login("agent_sales_1")
    supervisor = await desk_app.login("supervisor")
    try:
        async with agent.get("/api/v1/desk/wallboard/history") as r:
            assert r.status == 403
        async with supervisor.get("/api/v1/desk/wallboard/history") as r:
            body = await r.json()
        assert body["window_seconds"] == 3600.0
        assert body["samples"] == []  # epoch 1000 is far older than the last hour
        now = time.time()
        await bus.publish(SupervisorsNotified({"type": "queue_snapshot", "at": now,
                                               "queues": [{"channel": "chat", "waiting": 3, "offered": 1}]}))
        await bus.settle()
        async with supervisor.get("/api/v1/desk/wallboard/history") as r:
            samples = (await r.json())["samples"]
        assert samples == [[round(now, 1), 4, {"chat": 4}]]
    finally:
        await agent.close()
        await supervisor.close()


async def test_openapi_documents_the_desk_routes(desk_app: RunningApp) -> None:
    """Every REST route the desk adds is in the OpenAPI document."""
    async with desk_app.session() as client, client.get("/api/openapi.json") as resp:
        paths = (await resp.json())["paths"]
    assert "get" in paths["/api/v1/desk/config"]
    assert "post" in paths["/api/v1/conversations/{id}/wrap-up"]
    assert "get" in paths["/api/v1/desk/wallboard/history"]
