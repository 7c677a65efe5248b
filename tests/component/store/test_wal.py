"""The WAL checkpointer copies the log into the database file beside the writer, not in its commits."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from contact_center.store.wal import WalCheckpointer, sqlite_file


def _write(path: Path, rows: int) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")  # as the inbound writer's transactions do
    conn.execute("CREATE TABLE IF NOT EXISTS t (data BLOB)")
    conn.executemany("INSERT INTO t VALUES (?)", [(b"x" * 10_000,) for _ in range(rows)])
    conn.commit()
    conn.close()


def test_sqlite_file_names_only_real_sqlite_files() -> None:
    """Only a SQLite URL with a file gets a checkpointer."""
    assert sqlite_file("sqlite+aiosqlite:////tmp/x/cc.db") == "/tmp/x/cc.db"
    assert sqlite_file("sqlite+aiosqlite:///:memory:") is None
    assert sqlite_file("postgresql+asyncpg://u@h/db") is None


async def test_checkpoint_waits_for_enough_bytes_then_flush_copies_the_rest(tmp_path: Path) -> None:
    """Below the threshold nothing runs; over it, and on flush, the WAL is copied into the file."""
    path = tmp_path / "w.db"
    keeper = sqlite3.connect(path)  # an open connection, so closing the others never checkpoints
    keeper.execute("PRAGMA journal_mode=WAL")
    wal = WalCheckpointer(str(path), every_bytes=1_000_000)
    _write(path, 50)
    wal.request(500_000)
    await wal.wait()
    assert wal.runs == 0
    wal.request(600_000)  # 1.1 MB pending: over the threshold
    await wal.wait()
    assert wal.runs == 1
    _write(path, 20)
    wal.request(200_000)
    await wal.wait()
    assert wal.runs == 1
    wal.flush()
    await wal.wait()
    assert wal.runs == 2
    wal.flush()  # nothing pending: nothing to do
    await wal.wait()
    assert wal.runs == 2
    assert keeper.execute("SELECT count(*) FROM t").fetchone()[0] == 70
    keeper.close()


async def test_ticker_checkpoints_what_was_written_and_close_copies_the_rest(tmp_path: Path) -> None:
    """With an interval, pending writes are checkpointed by the ticker (none while idle); close flushes."""
    path = tmp_path / "t.db"
    keeper = sqlite3.connect(path)
    keeper.execute("PRAGMA journal_mode=WAL")
    wal = WalCheckpointer(str(path), interval=0.01)
    wal.start()
    _write(path, 10)
    wal.request(100_000)  # far below the byte threshold: only the ticker can run it
    await asyncio.sleep(0.05)  # a tick (due first) has started the checkpoint by now
    await wal.wait()
    assert wal.runs == 1
    await asyncio.sleep(0.05)  # idle ticks: nothing pending, no checkpoint
    await wal.wait()
    assert wal.runs == 1
    _write(path, 5)
    wal.request(50_000)
    await wal.close()  # stops the ticker and copies the rest
    assert wal.runs == 2
    keeper.close()
