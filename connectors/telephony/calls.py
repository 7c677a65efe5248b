"""The call store: CTI events applied to ``call``/``conversation`` rows, in group-committed batches.

Every post is stored before the PBX gets its reply, but posts do not each pay for their own
transaction: :class:`CallWriter` has one writer task that takes whatever posts are waiting,
applies them in arrival order in one transaction (:func:`.batch.apply_batch`: Core statements, a
handful per batch, not per post) and commits once. On a SQLite file the batch runs in the
writer's own process (:mod:`.writer_process`: a plain ``sqlite3`` connection with the store's
pragmas, WAL and ``synchronous=NORMAL``); on other stores (asyncpg) through
``AsyncConnection.run_sync``. If a batch fails (two instances creating the same leg at once, or
the writer process died), its posts are retried one by one so a bad post fails alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection

from connectors.telephony.batch import Outcome, Post, apply_batch
from connectors.telephony.batch_io import CoreIO
from connectors.telephony.writer_process import WriterProcess
from contact_center.customers.repository import identify_sync, owners_sync
from contact_center.store.session import Database
from contact_center.store.tables import CtiEvent as CtiEventRow
from contact_center.store.wal import WalCheckpointer, sqlite_file

__all__ = ["CallWriter", "Outcome", "Post"]

log = logging.getLogger(__name__)

# Loop iterations the writer yields before the batch of a lone post (the group-commit window).
_YIELDS_BEFORE_COMMIT = 4


class CallWriter:
    """Stores CTI posts with group commit; see the module docstring."""

    def __init__(self, db: Database, *, max_batch: int = 256,
                 audit_fallback: Callable[[dict[str, Any]], None] | None = None) -> None:
        self._db = db
        self._max_batch = max_batch
        # None in the queue wakes the writer for audit rows alone.
        self._queue: asyncio.Queue[tuple[Post, asyncio.Future[Outcome]] | None] = asyncio.Queue()
        self._audit_rows: list[dict[str, Any]] = []
        self._audit_fallback = audit_fallback
        self._task: asyncio.Task[None] | None = None
        self._process: WriterProcess | None = None
        self._wal: WalCheckpointer | None = None

    @property
    def process(self) -> WriterProcess | None:
        """The writer process (a store in a SQLite file), or None."""
        return self._process

    async def start(self) -> None:
        """Start the writer (on a SQLite file: its process, ready before the first post)."""
        path = sqlite_file(self._db.url)
        if path is not None:
            self._process = WriterProcess(self._db.url)
            await self._process.start()
            # Checkpoints every half second while posts come in, never inside a group commit.
            self._wal = WalCheckpointer(path, interval=_CHECKPOINT_SECONDS)
            self._wal.start()
        self._task = asyncio.create_task(self._run(), name="cti-call-writer")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._process is not None:
            process, self._process = self._process, None
            await process.close()  # a batch it is writing commits first
        if self._wal is not None:
            await self._wal.close()
            self._wal = None
        while not self._queue.empty():
            item = self._queue.get_nowait()
            if item is not None and not item[1].done():
                item[1].cancel()
        self._hand_over_audit()

    async def store(self, post: Post) -> Outcome:
        """Store *post* (batched with whatever else is waiting) and return what it did."""
        fut: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        await self._queue.put((post, fut))
        return await fut

    def audit(self, row: dict[str, Any]) -> None:
        """Write an ``audit`` row with the next batch (at once if nothing else is waiting); returns at once.

        One writer for the store's SQLite file instead of two: a separate audit transaction would
        wait on SQLite's write lock (its busy handler sleeps 1, 2, 5, 10 ms …) and stall the next batch.
        """
        self._audit_rows.append(row)
        self._queue.put_nowait(None)

    def _hand_over_audit(self) -> None:
        rows, self._audit_rows = self._audit_rows, []
        for row in rows:
            if self._audit_fallback is not None:
                self._audit_fallback(row)
            else:
                log.error("audit row lost: %s", row)

    async def set_reply(self, digest: str, reply: dict[str, Any]) -> None:
        """Remember the reply a post finally got (a repeat answers the same)."""
        async with self._db.session() as s:
            row = await s.get(CtiEventRow, digest)
            if row is not None:
                row.reply = reply

    async def _run(self) -> None:
        while True:
            items = [await self._queue.get()]
            if self._queue.empty():
                # A lone post: a short group-commit window lets the tasks it woke run and concurrent
                # posts join. Posts already waiting (they came in during the previous commit) go at
                # once, so the next batch is in the writer process while the loop answers the last one.
                for _ in range(_YIELDS_BEFORE_COMMIT):
                    await asyncio.sleep(0)
            while len(items) < self._max_batch and not self._queue.empty():
                items.append(self._queue.get_nowait())
            live = [item for item in items if item is not None and not item[1].done()]
            audit, self._audit_rows = self._audit_rows, []
            if live or audit:
                # One batch at a time: measured against two on their way at once (the process
                # taking the next as soon as it commits one), that made smaller batches, more
                # CPU per post and no higher rate.
                await self._commit(live, audit)

    async def _commit(self, items: list[tuple[Post, asyncio.Future[Outcome]]],
                      audit: list[dict[str, Any]] | None = None) -> None:
        try:
            outcomes = await self._run_batch([p for p, _ in items], audit or [])
        except Exception as exc:
            if audit:
                self._audit_rows[:0] = audit
                self._hand_over_audit()  # the posts are retried alone; their rows go the other way
            if not items:
                log.warning("audit rows could not be written with the CTI store (%s)", type(exc).__name__)
                return
            if len(items) == 1:
                if not items[0][1].done():
                    items[0][1].set_exception(exc)
                return
            log.warning("CTI batch of %d failed (%s); retrying one by one", len(items), type(exc).__name__)
            for item in items:
                await self._commit([item])
            return
        for (_, fut), outcome in zip(items, outcomes, strict=True):
            if not fut.done():
                fut.set_result(outcome)

    async def _run_batch(self, posts: list[Post], audit: list[dict[str, Any]]) -> list[Outcome]:
        """Apply and commit one batch: in the writer process on SQLite, ``run_sync`` elsewhere."""
        if self._process is not None:
            outcomes = await self._process.apply(posts, audit)
            if self._wal is not None:
                self._wal.request(_WAL_BYTES_PER_ROW * (len(posts) + len(audit)))
            return outcomes
        async with self._db.engine.begin() as conn:
            return await conn.run_sync(self._apply_all, posts, audit)

    @staticmethod
    def _apply_all(conn: Connection, posts: list[Post], audit: list[dict[str, Any]]) -> list[Outcome]:
        return apply_batch(CoreIO(conn, owners=owners_sync, identify=identify_sync), posts, audit)


# A rough size of what one post or audit row adds to the WAL (the row and its index pages): it only
# sets when the checkpointer's byte threshold is reached; the half-second tick does the usual work.
_WAL_BYTES_PER_ROW = 4096
_CHECKPOINT_SECONDS = 0.5
