"""The call store: CTI events applied to ``call``/``conversation`` rows, in group-committed batches.

Every post is stored before the PBX gets its reply, but posts do not each pay for their own
transaction: :class:`CallWriter` goes through the spine's :class:`GroupCommit`, whose writer task
takes whatever posts are waiting, applies them in arrival order in one transaction
(:func:`.call_batch.apply_batch`: Core statements, a
handful per batch, not per post) and commits once. On a SQLite file the batch runs in the
spine's one writer process (:mod:`.writer_process`, shared with the inbound messages of every
channel: a plain ``sqlite3`` connection with the store's pragmas, WAL and ``synchronous=NORMAL``);
on other stores (asyncpg) through
``AsyncConnection.run_sync``. If a batch fails (two instances creating the same leg at once, or
the writer process died), its posts are retried one by one so a bad post fails alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from contact_center.customers.repository import identify_sync, owners_sync
from contact_center.ingest.call_batch import Outcome, Post, apply_batch
from contact_center.ingest.call_io import CoreIO
from contact_center.ingest.group_commit import GroupCommit
from contact_center.ingest.writer_process import WriterProcess
from contact_center.store.session import Database
from contact_center.store.tables import CtiEvent as CtiEventRow
from contact_center.store.wal import WalCheckpointer, sqlite_file

__all__ = ["CallWriter", "Outcome", "Post"]


# Loop iterations the writer yields before the batch of a lone post (the group-commit window).
_YIELDS_BEFORE_COMMIT = 4


@dataclass(frozen=True)
class _AuditRow:
    """An audit row that rides with the next batch of posts."""

    row: dict[str, Any]


class CallWriter:
    """Stores CTI posts with group commit (:class:`GroupCommit`); see the module docstring.

    Args:
        process: the spine's SQLite writer process (the app owns it and closes it), or None.
    """

    def __init__(self, db: Database, *, process: WriterProcess | None = None, max_batch: int = 256,
                 audit_fallback: Callable[[dict[str, Any]], None] | None = None) -> None:
        self._db = db
        self._audit_fallback = audit_fallback
        self._commit: GroupCommit[Post | _AuditRow, Outcome | None] = GroupCommit(
            self._write, name="cti-call-writer", max_batch=max_batch, window=_YIELDS_BEFORE_COMMIT)
        self._process = process
        self._wal: WalCheckpointer | None = None

    @property
    def process(self) -> WriterProcess | None:
        """The writer process (a store in a SQLite file), or None."""
        return self._process

    async def start(self) -> None:
        """Start the writer (on a SQLite file: the writer process, ready before the first post)."""
        path = sqlite_file(self._db.url)
        if self._process is not None and path is not None:
            await self._process.start()
            # Checkpoints every half second while posts come in, never inside a group commit.
            self._wal = WalCheckpointer(path, interval=_CHECKPOINT_SECONDS)
            self._wal.start()
        self._commit.start()

    async def close(self) -> None:
        """Write what is queued, then stop (the writer process goes on until the app closes it)."""
        await self._commit.close()
        if self._wal is not None:
            await self._wal.close()
            self._wal = None

    async def store(self, post: Post) -> Outcome:
        """Store *post* (batched with whatever else is waiting) and return what it did."""
        outcome = await self._commit.submit(post)
        assert outcome is not None
        return outcome

    def audit(self, row: dict[str, Any]) -> None:
        """Write an ``audit`` row with the next batch (at once if nothing else is waiting); returns at once.

        One writer for the store's SQLite file instead of two: a separate audit transaction would
        wait on SQLite's write lock (its busy handler sleeps 1, 2, 5, 10 ms …) and stall the next batch.
        """
        written = self._commit.submit_nowait(_AuditRow(row))
        if self._audit_fallback is not None:
            fallback = self._audit_fallback
            # A row this store could not take (even alone) goes to the durable audit log instead.
            written.add_done_callback(lambda fut: fut.cancelled() or fut.exception() is None or fallback(row))

    async def set_reply(self, digest: str, reply: dict[str, Any]) -> None:
        """Remember the reply a post finally got (a repeat answers the same)."""
        async with self._db.session() as s:
            row = await s.get(CtiEventRow, digest)
            if row is not None:
                row.reply = reply

    async def _write(self, items: list[Post | _AuditRow]) -> list[Outcome | None]:
        """One group-commit batch: the posts and the audit rows in one transaction."""
        posts = [item for item in items if isinstance(item, Post)]
        audit = [item.row for item in items if isinstance(item, _AuditRow)]
        outcomes = iter(await self._run_batch(posts, audit))
        return [next(outcomes) if isinstance(item, Post) else None for item in items]

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
