"""The CTI call writer's own process, for a store in a SQLite file.

A group-commit batch (:func:`.batch.apply_batch`) used to run in a thread of the app process. That
thread and the event loop share one interpreter lock: every ``sqlite3`` call releases it and must
win it back from a loop busy with HTTP, and with the lock's 5 ms switch interval a batch of a
millisecond's work took several. :class:`WriterProcess` runs the same batch, in the same single
transaction, in a process of its own, and talks to it over a socket pair the event loop reads
like any other socket: a request is a length-prefixed pickle of the batch's posts and audit rows,
the answer one of its outcomes (or of the error that rolled it back). No helper threads in the
app process, so nothing but the loop needs its lock.

The process ends when its socket closes: when :meth:`WriterProcess.close` closes it, or when the
app dies, however it died (the kernel closes the app's end). If the process dies, the batch it
was writing fails (:class:`WriterGone`; SQLite rolls back whatever it had not committed) and the
next batch starts a new one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import pickle
import socket
import struct
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from connectors.telephony.batch import Outcome, Post, apply_batch
from connectors.telephony.batch_io import SqliteIO, SqliteStatements
from contact_center.customers.repository import identify_sync, owners_sync
from contact_center.store.session import apply_sqlite_pragmas

log = logging.getLogger(__name__)

_HEADER = struct.Struct("!I")
_STOP_SECONDS = 10.0
_READY = b"ready"
# The writer's page cache (KiB, as SQLite's negative cache_size): the call, conversation and cti_event
# indexes take random keys (call ids, digests), so a store with a few hundred thousand events misses
# SQLite's default 2 MB cache on most inserts.
_WRITER_CACHE_KIB = 64 * 1024


def preload() -> None:
    """Have the forkserver import this module once, so each writer process starts in milliseconds
    instead of importing SQLAlchemy and the store's tables itself (~0.4 s). Takes effect if the
    forkserver is not running yet (the app calls it while it is being built)."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([__name__])


class WriterGone(RuntimeError):
    """The writer process died (or could not start) while a batch was on its way."""


class BatchFailed(RuntimeError):
    """The writer process rolled a batch back; the message names the error it met."""


class WriterProcess:
    """Applies CTI batches in a process of its own (see the module docstring); one batch at a time."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._proc: Any = None
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._lock = asyncio.Lock()

    @property
    def pid(self) -> int | None:
        """The running writer's process id (tests kill it), or None."""
        return self._proc.pid if self._proc is not None and self._proc.is_alive() else None

    async def start(self) -> None:
        """Start the process (if it is not running) and wait until it is ready for batches."""
        if self._writer is not None:
            return
        ours, theirs = socket.socketpair()
        try:
            ctx = multiprocessing.get_context("forkserver")
            proc = ctx.Process(target=serve, args=(theirs, self._url), name="cti-call-writer", daemon=True)
            await asyncio.to_thread(proc.start)
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self._proc = proc
        self._reader, self._writer = await asyncio.open_connection(sock=ours)
        try:  # the process has imported the writer and opened the store: the first batch pays for neither
            (size,) = _HEADER.unpack(await self._reader.readexactly(_HEADER.size))
            ready = await self._reader.readexactly(size)
        except (OSError, asyncio.IncompleteReadError) as exc:
            await self._drop()
            raise WriterGone(f"the CTI writer process did not start ({type(exc).__name__})") from exc
        except BaseException:
            await self._drop()
            raise
        if ready != _READY:
            await self._drop()
            raise WriterGone(f"the CTI writer process could not open the store: {ready.decode(errors='replace')}")

    async def apply(self, posts: list[Post], audit: list[dict[str, Any]]) -> list[Outcome]:
        """Apply and commit one batch in the writer process; its outcomes, one per post.

        Raises:
            BatchFailed: the batch was rolled back (the error is named).
            WriterGone: the process died; the next call starts another.
        """
        async with self._lock:
            await self.start()
            assert self._reader is not None
            assert self._writer is not None
            data = pickle.dumps((posts, audit), protocol=pickle.HIGHEST_PROTOCOL)
            try:
                self._writer.write(_HEADER.pack(len(data)) + data)
                (size,) = _HEADER.unpack(await self._reader.readexactly(_HEADER.size))
                ok, result = pickle.loads(await self._reader.readexactly(size))
            except (OSError, asyncio.IncompleteReadError) as exc:
                await self._drop()
                raise WriterGone(f"the CTI writer process ended ({type(exc).__name__})") from exc
            except BaseException:  # cancelled half-way: the stream is out of step, start afresh
                await self._drop()
                raise
        if not ok:
            raise BatchFailed(result)
        return result  # type: ignore[no-any-return]

    async def close(self) -> None:
        """Close the socket (the process commits the batch it is on, then ends) and wait for the process."""
        async with self._lock:
            await self._drop()

    async def _drop(self) -> None:
        writer, proc = self._writer, self._proc
        self._reader = self._writer = self._proc = None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        if proc is not None:
            await asyncio.to_thread(proc.join, _STOP_SECONDS)
            if proc.is_alive():
                log.warning("the CTI writer process did not stop; killing it")
                proc.kill()
                await asyncio.to_thread(proc.join)


def serve(sock: socket.socket, url: str) -> None:
    """The writer process: apply each batch that comes in on *sock*, answer, end at end of input."""
    stream = sock.makefile("rwb")
    try:
        engine = sync_sqlite_engine(url)
        statements = SqliteStatements(engine.dialect)
        with engine.connect():  # opened now (the pool keeps it), not on the first batch
            pass
    except Exception as exc:
        _send(stream, f"{type(exc).__name__}: {exc}".encode())
        return
    _send(stream, _READY)
    try:
        while True:
            header = stream.read(_HEADER.size)
            if len(header) < _HEADER.size:
                return
            posts, audit = pickle.loads(stream.read(_HEADER.unpack(header)[0]))
            try:
                with engine.begin() as conn:
                    answer: tuple[bool, Any] = (True, apply_batch(
                        SqliteIO(conn, statements, owners=owners_sync, identify=identify_sync), posts, audit))
            except Exception as exc:  # rolled back; the app retries the posts one by one
                answer = (False, f"{type(exc).__name__}: {exc}")
            _send(stream, pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))
    finally:
        engine.dispose()


def _send(stream: Any, data: bytes) -> None:
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def sync_sqlite_engine(url: str) -> Engine:
    """A synchronous engine on the store's SQLite file, with the store's pragmas (durability included);
    SQLite's automatic checkpoint is off (the app's ``WalCheckpointer`` runs it, outside the commits)."""
    engine = create_engine(make_url(url).set(drivername="sqlite"), connect_args={"timeout": 30})
    event.listen(engine, "connect", apply_sqlite_pragmas)
    event.listen(engine, "connect", _writer_pragmas)
    return engine


def _writer_pragmas(dbapi_conn: Any, _record: Any = None) -> None:
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA cache_size=-{_WRITER_CACHE_KIB}")
    cur.execute("PRAGMA wal_autocheckpoint=0")
    cur.close()
