"""Every route against the authorisation matrix (tests/authz_matrix.py), as nobody and as every role."""

from __future__ import annotations

import re

import pytest

from contact_center.auth.roles import RANK
from tests.authz_matrix import MATRIX
from tests.conftest import AppStarter, RunningApp, seed_org

ROLES = ("agent", "supervisor", "admin")
LOGINS = {"agent": "agent_sales_1", "supervisor": "supervisor", "admin": "admin"}


def served_routes(app: RunningApp) -> set[tuple[str, str]]:
    """(method, path template) of every route the application serves (HEAD twins left out)."""
    return {(r.method, r.resource.canonical) for r in app.app.router.routes()
            if r.method != "HEAD" and r.resource is not None}


@pytest.fixture
async def full_app(start_app: AppStarter) -> RunningApp:
    """The app with every installed plugin and the organisation."""
    running = await start_app()
    running.users.update(await seed_org(running.db))
    return running


async def test_every_route_has_an_entry(full_app: RunningApp) -> None:
    """A route without an entry in tests/authz_matrix.py (or an entry without a route) fails here."""
    served = served_routes(full_app)
    assert sorted(served - MATRIX.keys()) == [], "add these routes to tests/authz_matrix.py"
    assert sorted(MATRIX.keys() - served) == [], "these entries of tests/authz_matrix.py have no route"


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


async def test_each_role_is_held_to_its_minimum(full_app: RunningApp) -> None:
    """Below a route's minimum role: 401 without a session, 403 with one; from the minimum up: past the check."""
    checked = {k: v for k, v in MATRIX.items() if v in RANK}
    clients = {role: await full_app.login(name) for role, name in LOGINS.items()}
    anonymous = full_app.session()
    wrong: list[str] = []
    try:
        for (method, path), minimum in sorted(checked.items()):
            url = _concrete(path)
            body = {"json": {}} if method in ("POST", "PUT", "PATCH", "DELETE") else {}
            async with anonymous.request(method, url, **body) as resp:
                if resp.status != 401:
                    wrong.append(f"{method} {path} unauthenticated: {resp.status}")
            for role in ROLES:
                async with clients[role].request(method, url, **body) as resp:
                    allowed = RANK[role] >= RANK[minimum]
                    if allowed and resp.status in (401, 403):
                        wrong.append(f"{method} {path} as {role}: {resp.status} {await resp.text()}")
                    if not allowed and resp.status != 403:
                        wrong.append(f"{method} {path} as {role}: {resp.status}, expected 403")
    finally:
        for client in (*clients.values(), anonymous):
            await client.close()
    assert wrong == []
