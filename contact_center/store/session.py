"""Engine and session factory for the core store (SQLite by default, PostgreSQL in production)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from contact_center.errors import Unavailable


def apply_sqlite_pragmas(dbapi_conn: Any, _record: Any = None) -> None:
    """The store's SQLite settings: WAL, durable commits at NORMAL, foreign keys, a busy timeout.

    Installed as a ``connect`` listener on every engine that writes the store's SQLite file.
    """
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def private_file(path: Path) -> None:
    """Create the store's SQLite file (and its folder) readable by its owner only (0600); tighten an
    existing file, its WAL and shared-memory files the same way. SQLite gives the WAL and -shm files
    it creates the database file's permissions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    for item in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        with contextlib.suppress(FileNotFoundError, PermissionError):
            if item.stat().st_mode & 0o077:
                item.chmod(0o600)


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create an async engine; for SQLite also create the file's folder and turn on WAL.

    SQLite runs with WAL, ``foreign_keys`` and a busy timeout so the server, the CLI and the
    ingest workers can share one file.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            private_file(Path(parsed.database))
        kwargs.setdefault("connect_args", {"timeout": 30})
        engine = create_async_engine(url, **kwargs)

        event.listen(engine.sync_engine, "connect", apply_sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def make_sync_sqlite_engine(url: str, **kwargs: Any) -> Engine:
    """A synchronous engine on the store's SQLite file *url* (any SQLite driver name), with the
    store's pragmas: for work that runs outside the event loop (a reader thread, a writer process)."""
    kwargs.setdefault("connect_args", {"timeout": 30})
    engine = create_engine(make_url(url).set(drivername="sqlite"), **kwargs)
    event.listen(engine, "connect", apply_sqlite_pragmas)
    return engine


class Database:
    """The core store: one engine and its session factory, owned by the application."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session whose transaction commits on success and rolls back on error."""
        async with self.sessions() as session, session.begin():
            yield session

    async def ping(self) -> None:
        """Raise :class:`Unavailable` when the store does not answer."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:  # any driver error means the store is down for us
            raise Unavailable(f"store unavailable: {type(exc).__name__}") from exc

    async def ping_write(self) -> None:
        """Raise :class:`Unavailable` unless the store takes a write now (within about a second).

        Rewrites the migration marker in place and commits: a read-only, full or locked store fails.
        """
        sqlite = self.dialect == "sqlite"
        try:
            async with self.engine.begin() as conn:
                await conn.exec_driver_sql("PRAGMA busy_timeout=1000" if sqlite else "SET LOCAL lock_timeout = '1s'")
                try:
                    await conn.exec_driver_sql("UPDATE alembic_version SET version_num = version_num")
                finally:
                    if sqlite:
                        await conn.exec_driver_sql("PRAGMA busy_timeout=30000")
        except Exception as exc:  # any driver error means the store cannot write for us
            raise Unavailable(f"store cannot write: {type(exc).__name__}") from exc

    async def close(self) -> None:
        await self.engine.dispose()
