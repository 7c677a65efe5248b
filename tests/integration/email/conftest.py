"""Fixtures for the email channel's integration tests: the real app reading a real Dovecot
mailbox (and sending through a real aiosmtpd server), with the bus events it published."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

import connectors.email
from connectors.email import EMAIL_INGESTS
from contact_center import keys
from contact_center.bus.memory import MemoryBus
from contact_center.events import EmailReceived, Event
from contact_center.inbox.service import InboxService
from contact_center.ingest.writer_process import WriterProcess
from contact_center.store.migrate import upgrade
from contact_center.store.session import Database
from tests.conftest import AppStarter, RunningApp, seed_org
from tests.servers import DovecotForTest, SmtpServer

PLUGINS = [("email", connectors.email.register)]


@dataclass
class EmailApp:
    """A running app with the email plugin, and what it published on the bus."""

    running: RunningApp
    events: list[Event] = field(default_factory=list)
    users: dict[str, int] = field(default_factory=dict)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    def of(self, kind: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    async def record(self, event: Event) -> None:
        async with self.changed:
            self.events.append(event)
            self.changed.notify_all()

    async def wait_for(self, kind: type, count: int = 1, within: float = 15.0) -> list[Any]:
        """Wait until *count* events of *kind* were published."""
        async with asyncio.timeout(within), self.changed:
            await self.changed.wait_for(lambda: len(self.of(kind)) >= count)
        return self.of(kind)


def email_section(dovecot: DovecotForTest, smtp: SmtpServer | None = None, **extra: Any) -> dict[str, Any]:
    """An ``[email]`` section reading the test's Dovecot mailbox (and sending via *smtp*)."""
    section: dict[str, Any] = {
        "mailboxes": [{
            "name": "support", "host": dovecot.host, "port": dovecot.imap_port, "security": "none",
            "user": dovecot.user, "password": dovecot.password, "department": "technical_support",
            "timeout_seconds": 5,
        }],
        "reconnect_min_seconds": 0.05,
        "reconnect_max_seconds": 0.5,
        "parse_workers": 0,  # parse in the loop: a parser process per test app costs start-up time
        **extra,
    }
    if smtp is not None:
        section["smtp"] = {"host": smtp.host, "port": smtp.port, "security": "none", "from_address":
                           "help@example.test", "retry_min_seconds": 0.05, "retry_max_seconds": 0.2,
                           "poll_seconds": 0.2, "max_attempts": 4}
    return section


EmailAppStarter = Callable[..., Awaitable[EmailApp]]


@pytest.fixture
def email_app(start_app: AppStarter, settings_factory: Callable[..., Any]) -> EmailAppStarter:
    """``await email_app(section)``: the app with the email plugin, organisation seeded."""

    async def start(section: dict[str, Any], *, seed: bool = True, stop_on_first_mail: bool = False) -> EmailApp:
        """*stop_on_first_mail*: ask the ingest to stop as soon as its first batch is announced."""
        settings = settings_factory(sections={"email": section})
        recorded: list[EmailApp] = []

        def recorder(app: web.Application) -> None:
            async def on_event(event: Event) -> None:
                await recorded[0].record(event)
                if stop_on_first_mail and isinstance(event, EmailReceived):
                    for ingest in app[EMAIL_INGESTS]:
                        ingest.stop()

            # Subscribe in a cleanup context, before the bus starts: no early event is missed.
            async def ctx(app: web.Application) -> AsyncIterator[None]:
                app[keys.BUS].subscribe(on_event)
                yield

            app.cleanup_ctx.append(ctx)

        pending = EmailApp(running=None)  # type: ignore[arg-type]
        recorded.append(pending)
        pending.running = await start_app(settings, plugins=[("recorder", recorder), *PLUGINS])
        if seed:
            pending.users = await seed_org(pending.running.db)
        return pending

    return start



@pytest.fixture
def store(sqlite_store: Database) -> Database:
    """A migrated SQLite store in a file (the writer process opens it itself)."""
    return sqlite_store


@dataclass
class Spine:
    """A store and how the app writes it: through the spine's writer process on a SQLite file, in
    the loop (``run_sync``) on PostgreSQL."""

    db: Database
    process: WriterProcess | None
    bus: MemoryBus = field(default_factory=MemoryBus)

    def inbox(self) -> InboxService:
        """The inbox service the app would build on this store."""
        return InboxService(db=self.db, bus=self.bus, process=self.process)


@pytest.fixture(params=["sqlite", "postgresql"])
async def spine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Spine]:
    """Each store as the app writes it (see :class:`Spine`)."""
    if request.param == "sqlite":
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'spine.db'}")
        await upgrade(db)
        process: WriterProcess | None = WriterProcess(db.url)
    else:
        db, process = Database(str(request.getfixturevalue("postgres_migrated_url"))), None
    try:
        yield Spine(db, process)
    finally:
        if process is not None:
            await process.close()
        await db.close()
