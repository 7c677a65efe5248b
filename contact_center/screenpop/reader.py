"""Who is behind an identity value, read in one thread hop (SQLite stores).

A call answered before this instance saw it ring needs its caller's customer, candidates and
timeline at once (:meth:`ContextCache.anticipate`). Through ``aiosqlite`` those four or five
statements cost three or four thread hand-offs each, competing with the CTI writer and the
source queries for the loop; here they run as synchronous SQLAlchemy Core on the store's file in
one hand-off to a reader thread of their own (same pragmas as the store's engines).
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import Engine

from contact_center.customers.identity import Match
from contact_center.customers.repository import CustomerRecord, CustomerRepository, identify_sync
from contact_center.customers.timeline import recent_conversations_sync
from contact_center.store.session import Database, make_sync_sqlite_engine
from contact_center.store.wal import sqlite_file

Ahead = tuple[Match, CustomerRecord | None, list[dict[str, Any]]]


class AheadReader:
    """Reads identify + customer + timeline for one identity value in one thread hop."""

    def __init__(self, engine: Engine, customers: CustomerRepository) -> None:
        self._engine = engine
        self._customers = customers
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pop-reader")

    @classmethod
    def for_store(cls, db: Database, customers: CustomerRepository) -> AheadReader | None:
        """A reader on *db*'s file when it is SQLite (``None`` otherwise: other drivers need no hop)."""
        if sqlite_file(db.url) is None:
            return None
        return cls(make_sync_sqlite_engine(db.url), customers)

    async def look_ahead(self, kind: str, value: str, timeline_limit: int) -> Ahead:
        """Who has identity *value* (normalised), their record and their latest *timeline_limit* contacts."""
        return await asyncio.get_running_loop().run_in_executor(self._thread, self._read, kind, value, timeline_limit)

    def _read(self, kind: str, value: str, timeline_limit: int) -> Ahead:
        with self._engine.connect() as conn:
            found = identify_sync(conn, kind, value)
            customer = self._customers.get_sync(conn, found.customer_id) if found.customer_id else None
            timeline = recent_conversations_sync(conn, customer.id, limit=timeline_limit) if customer else []
        return found, customer, timeline

    async def close(self) -> None:
        """Let a running read finish, then release the thread and the connections."""
        await asyncio.get_running_loop().run_in_executor(None, self._thread.shutdown)
        self._engine.dispose()
