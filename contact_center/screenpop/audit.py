"""Audit entries (who saw which customer's data, when), written in batches off the hot path.

Recording never waits for the store: entries queue in memory and one background task writes
whatever has accumulated in a single transaction. :meth:`AuditWriter.flush` waits until every
entry recorded so far is stored (tests, shutdown).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from typing import Any

from contact_center.store.session import Database
from contact_center.store.tables import Audit, utcnow

log = logging.getLogger(__name__)


class AuditWriter:
    """Queues audit rows and writes them in batches."""

    def __init__(self, db: Database, *, max_batch: int = 500) -> None:
        self._db = db
        self._max_batch = max_batch
        self._buffer: list[Audit] = []
        self._recorded = 0
        self._written = 0
        self._wake = asyncio.Event()
        self._progress = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="audit-writer")

    async def close(self) -> None:
        """Write what is queued, then stop."""
        if self._task is None:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5):
                await self.flush()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    def record(self, *, user_id: int | None, customer_id: int | None, action: str, detail: dict[str, Any],
               at: dt.datetime | None = None) -> None:
        """Queue one entry (made *at* that moment, now by default); returns at once."""
        self._buffer.append(Audit(user_id=user_id, customer_id=customer_id, action=action, detail=detail,
                                  at=at or utcnow()))
        self._recorded += 1
        self._wake.set()

    async def flush(self) -> None:
        """Wait until every entry recorded before this call is stored."""
        target = self._recorded
        async with self._progress:
            await self._progress.wait_for(lambda: self._written >= target)

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            # Audit is never urgent: let the frame that caused this entry reach its socket first.
            for _ in range(4):
                await asyncio.sleep(0)
            self._wake.clear()
            while self._buffer:
                batch, self._buffer = self._buffer[: self._max_batch], self._buffer[self._max_batch:]
                try:
                    async with self._db.session() as s:
                        s.add_all(batch)
                except Exception:
                    log.exception("could not write %d audit entries", len(batch))
                async with self._progress:
                    self._written += len(batch)
                    self._progress.notify_all()
