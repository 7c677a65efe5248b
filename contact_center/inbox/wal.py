"""Copying SQLite's write-ahead log into the database file beside the ingest, not inside its commits.

A batch of mail writes megabytes to the WAL. SQLite's automatic checkpoint runs inside the
commit that pushes the log over 1,000 pages, so every batch's commit also copied the log into
the database file and waited for two ``fsync`` calls, holding up the next batch. The inbound
writer turns the automatic checkpoint off for its own transactions and asks a
:class:`WalCheckpointer` instead, which runs ``PRAGMA wal_checkpoint(PASSIVE)`` on its own
connection in a worker thread while the next batches are written (SQLite lets one checkpointer run
beside the writer and the readers). Durability is unchanged: commits are in the WAL either way
(``synchronous=NORMAL``), and a checkpoint syncs the log before it copies it.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3

from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

#: SQLite's own default, restored on the writer's connection after each batch.
AUTOCHECKPOINT_PAGES = 1000
#: Checkpoint after this much was written (SQLite's default is 1,000 pages, about 4 MB).
CHECKPOINT_BYTES = 32 * 1024 * 1024


def sqlite_file(url: str) -> str | None:
    """The database file of a SQLite *url*, or ``None`` (another database, or in memory)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return parsed.database


class WalCheckpointer:
    """Runs at most one passive checkpoint at a time, once enough was written since the last one.

    Each checkpoint ends in ``fsync`` calls, which on this kind of disk also stall the writer's
    own writes for a while; so instead of one per batch (what SQLite's 1,000-page automatic
    checkpoint amounted to), one per :data:`CHECKPOINT_BYTES` written, and one whenever the writer
    goes quiet (:meth:`flush`). A crash or power loss in between loses nothing the WAL does not
    already protect: commits are in the WAL, and a mailbox's checkpoint is in the same
    transaction as its messages.
    """

    def __init__(self, path: str, *, every_bytes: int = CHECKPOINT_BYTES) -> None:
        self._path = path
        self._every = every_bytes
        self._pending = 0
        self._task: asyncio.Task[None] | None = None
        self._again = False
        self.runs = 0  # checkpoints completed (visible to tests)

    def request(self, written: int) -> None:
        """Note *written* bytes committed; start a checkpoint once enough are pending (returns at once)."""
        self._pending += written
        if self._pending >= self._every:
            self.flush()

    def flush(self) -> None:
        """Start a checkpoint of whatever is pending (returns at once; see :meth:`wait`)."""
        if self._pending == 0:
            return
        self._pending = 0
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.get_running_loop().create_task(self._run(), name="sqlite-wal-checkpoint")

    async def wait(self) -> None:
        """Wait for the requested checkpoints to finish."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    async def _run(self) -> None:
        self._again = True
        while self._again:
            self._again = False
            try:
                await asyncio.to_thread(self._checkpoint)
            except sqlite3.Error as exc:  # the next request tries again; commits never depend on it
                log.warning("WAL checkpoint of %s failed: %s", self._path, exc)
                return
            self.runs += 1

    def _checkpoint(self) -> None:
        conn = sqlite3.connect(self._path, timeout=30, check_same_thread=False)
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        finally:
            conn.close()
