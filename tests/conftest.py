"""Fixtures every tier shares: settings on a temporary SQLite store, the real app on a real
localhost port, logged-in HTTP sessions, and a small organisation of departments and users.

Real external servers (Redis, PostgreSQL, Dovecot, aiosmtpd) come from :mod:`tests.servers`.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from contact_center import keys
from contact_center.app import create_app
from contact_center.auth.passwords import hash_password
from contact_center.auth.users import create_user
from contact_center.settings import Settings
from contact_center.store.migrate import upgrade
from contact_center.store.session import Database
from contact_center.store.tables import Department, Queue

pytest_plugins = ["tests.servers"]

PASSWORD = "correct horse battery"
DEPARTMENTS = ("sales", "technical_support", "service", "complaints", "account_changes")


@pytest.fixture
def settings_factory(tmp_path: Path) -> Callable[..., Settings]:
    """Settings on a fresh SQLite file under tmp_path; keyword arguments override fields."""

    def make(**overrides: Any) -> Settings:
        overrides.setdefault("data_dir", tmp_path)
        overrides.setdefault("database_url", f"sqlite+aiosqlite:///{tmp_path / 'cc.db'}")
        overrides.setdefault("login_max_failures", 5)
        # Tests check that every event published on the in-process bus could travel over Redis.
        return Settings.load(environ={"CC_BUS__CHECK_EVENTS": "true"}, **overrides)

    return make


@dataclass
class RunningApp:
    """The real application served on a real localhost port."""

    app: web.Application
    server: TestServer
    users: dict[str, int] = field(default_factory=dict)  # username -> id, filled by org_app

    @property
    def url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://", 1)

    @property
    def db(self) -> Database:
        return self.app[keys.DB]

    def session(self) -> aiohttp.ClientSession:
        """A fresh HTTP client with its own cookie jar (one per simulated user).

        It sends ``Origin: <this server>`` like a browser on the desk would: the server refuses
        state-changing requests naming no allowed origin (contact_center.http.origin).
        """
        return aiohttp.ClientSession(base_url=self.url, cookie_jar=aiohttp.CookieJar(unsafe=True),
                                     headers={"Origin": self.url})

    async def login(self, username: str, password: str = PASSWORD) -> aiohttp.ClientSession:
        """A client session logged in as *username*; raises if the login fails."""
        client = self.session()
        resp = await client.post("/api/v1/auth/login", json={"username": username, "password": password})
        if resp.status != 200:
            await client.close()
            raise AssertionError(f"login as {username} failed: {resp.status} {await resp.text()}")
        return client

    def cookie_header(self, client: aiohttp.ClientSession) -> str:
        """The ``Cookie`` header a websocket client needs to act as *client*'s user."""
        return "; ".join(f"{c.key}={c.value}" for c in client.cookie_jar)


AppStarter = Callable[..., Awaitable[RunningApp]]


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated SQLite store in a file under tmp_path (for code that opens the file itself)."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'store.db'}")
    await upgrade(db)
    yield db
    await db.close()


@pytest.fixture
async def start_app(settings_factory: Callable[..., Settings]) -> AsyncIterator[AppStarter]:
    """Start the real app (all installed plugins unless *plugins* is given) on a free port."""
    running: list[RunningApp] = []
    clients: list[aiohttp.ClientSession] = []

    async def start(settings: Settings | None = None, **kwargs: Any) -> RunningApp:
        app = create_app(settings or settings_factory(), **kwargs)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        ra = RunningApp(app=app, server=server)
        running.append(ra)
        return ra

    yield start
    for c in clients:
        await c.close()
    for ra in reversed(running):
        await ra.server.close()


@functools.cache
def password_hash() -> str:
    """One argon2 hash of PASSWORD, made once per session: hashing costs 50-200 ms."""
    return hash_password(PASSWORD)


async def seed_org(db: Database) -> dict[str, int]:
    """Five departments with a queue per channel, two agents each, a supervisor and an admin.

    Returns user ids by username: ``agent_<dept>_1``, ``agent_<dept>_2`` (extensions 2x1/2x2),
    ``supervisor``, ``admin``.
    """
    async with db.session() as s:
        for i, slug in enumerate(DEPARTMENTS):
            dep = Department(slug=slug, name=slug.replace("_", " ").title(),
                             phone_number=f"+4930123450{i}", email_address=f"{slug}@example.test")
            s.add(dep)
            await s.flush()
            for channel in ("call", "email", "chat"):
                s.add(Queue(slug=f"{slug}.{channel}", department_id=dep.id, channel=channel))
    ids: dict[str, int] = {}
    hashed = password_hash()
    for i, slug in enumerate(DEPARTMENTS):
        for n in (1, 2):
            name = f"agent_{slug}_{n}"
            ids[name] = await create_user(db, username=name, password=PASSWORD, role="agent",
                                          extension=f"2{i}{n}", departments=[slug],
                                          skills={"lang:en": 5, "lang:de": 3 if n == 1 else 0},
                                          password_hash=hashed)
    ids["supervisor"] = await create_user(db, username="supervisor", password=PASSWORD, role="supervisor",
                                          departments=list(DEPARTMENTS), password_hash=hashed)
    ids["admin"] = await create_user(db, username="admin", password=PASSWORD, role="admin", password_hash=hashed)
    return ids


@pytest.fixture
async def org_app(start_app: AppStarter) -> RunningApp:
    """The running app with :func:`seed_org` applied; user ids by name in ``org_app.users``."""
    ra = await start_app()
    ra.users.update(await seed_org(ra.db))
    return ra

