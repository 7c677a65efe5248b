"""WAL checkpoints for the CTI writer's SQLite file, off the writer's commit path.

SQLite checkpoints a WAL database from inside a ``COMMIT`` once the log passes 1,000 pages, and
with ``synchronous=NORMAL`` that checkpoint is where the ``fsync`` happens: the group commit that
happens to cross the limit pays for copying the log back and syncing the file, and every PBX post
in it waits. The call writer's connection turns automatic checkpoints off
(``wal_autocheckpoint=0``) and :class:`Checkpointer` runs a ``PASSIVE`` checkpoint from its own
thread and connection about every half second instead (it never blocks the writer; the next
commit after a complete one restarts the log). Durability is unchanged: a commit is in the WAL
before the PBX gets its reply, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger(__name__)


class Checkpointer:
    """Runs ``PRAGMA wal_checkpoint(PASSIVE)`` on *path* every *interval* seconds in its own thread."""

    def __init__(self, path: str, *, interval: float = 0.5) -> None:
        self._path = path
        self._interval = interval
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cti-checkpoint")
        self._conn: sqlite3.Connection | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="cti-checkpoint")

    async def close(self) -> None:
        """Stop, after one last checkpoint."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        loop = asyncio.get_running_loop()
        with contextlib.suppress(sqlite3.Error):
            await loop.run_in_executor(self._thread, self._checkpoint)
        await loop.run_in_executor(self._thread, self._close_conn)
        await loop.run_in_executor(None, self._thread.shutdown)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self._interval)
            try:
                await loop.run_in_executor(self._thread, self._checkpoint)
            except sqlite3.Error as exc:
                log.warning("WAL checkpoint failed: %s", exc)

    def _checkpoint(self) -> None:
        if self._conn is None:
            self._conn = sqlite3.connect(self._path, timeout=30, check_same_thread=False)
        self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def _close_conn(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
