"""Copying SQLite's write-ahead log into the database file beside a busy writer, not inside its commits.

SQLite checkpoints a WAL database from inside the ``COMMIT`` that pushes the log over 1,000 pages,
and with ``synchronous=NORMAL`` that checkpoint is where the ``fsync`` calls happen: whichever
transaction crosses the limit also copies the log back into the database file and waits for the
disk, holding up everything queued behind it (a batch of mail, a group commit of PBX posts). The
bulk writers (the inbound mail writer, the CTI call writer) turn the automatic checkpoint off on
their own connections and tell a :class:`WalCheckpointer` what they wrote instead; it runs
``PRAGMA wal_checkpoint(PASSIVE)`` on a connection of its own in a worker thread while the next
transactions are written (SQLite lets one checkpointer run beside the writer and the readers).
Durability is unchanged: commits are in the WAL either way, and a checkpoint syncs the log
before it copies it.
"""

from __future__ import annotations

import asyncio
import contextlib
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

    def __init__(self, path: str, *, every_bytes: int = CHECKPOINT_BYTES, interval: float | None = None) -> None:
        """*interval*: with :meth:`start`, also check that often whether anything is pending (for a
        writer that never goes quiet long enough to :meth:`flush`)."""
        self._path = path
        self._every = every_bytes
        self._interval = interval
        self._pending = 0
        self._task: asyncio.Task[None] | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._again = False
        self.runs = 0  # checkpoints completed (visible to tests)

    def start(self) -> None:
        """Flush every *interval* seconds (when one was given) until :meth:`close`."""
        if self._interval is not None and self._ticker is None:
            self._ticker = asyncio.get_running_loop().create_task(self._tick(self._interval), name="sqlite-wal-tick")

    async def close(self) -> None:
        """Stop the ticker, then checkpoint whatever is pending and wait for it."""
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        self.flush()
        await self.wait()

    async def _tick(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            self.flush()

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
