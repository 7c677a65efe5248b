"""The spine's one SQLite writer process: every channel's batches, for a store in a SQLite file.

A group-commit batch used to run in a thread of the app process. That thread and the event loop
share one interpreter lock: every ``sqlite3`` call releases it and must win it back from a loop
busy with HTTP, and with the lock's 5 ms switch interval a batch of a millisecond's work took
several. :class:`WriterProcess` runs the very batch functions the other stores run in the loop,
each batch in one transaction, in a process of its own:

* calls: :func:`.call_batch.apply_batch` (through :class:`.call_io.SqliteIO`, whose oracle is the
  plain :class:`.call_io.CoreIO`);
* inbound messages of every channel (mail with its IMAP checkpoints, chat, the API channel):
  :func:`contact_center.inbox.ingest.store_inbound`, the same function PostgreSQL runs through
  ``run_sync``.

It talks to the app over a socket pair the event loop reads like any other socket: a request is a
length-prefixed pickle of the batch (its kind and its items), the answer one result per item (or
the error that rolled the batch back). No helper threads in the app process, so nothing but the
loop needs its lock; and one process, so this instance never has two writers waiting for the
store's single write lock.

The process ends when its socket closes: when :meth:`WriterProcess.close` closes it, or when the
app dies, however it died (the kernel closes the app's end). If the process dies, the batch it
was writing fails (:class:`WriterGone`; SQLite rolls back whatever it had not committed) and the
next batch starts a new one.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import multiprocessing
import pickle
import signal
import socket
import struct
from typing import Any

from sqlalchemy import Engine, event

from contact_center.customers.repository import identify_sync, owners_sync
from contact_center.inbox.ingest import Part, store_parts
from contact_center.inbox.records import Checkpoint, InboundMessage, StoredMessage
from contact_center.ingest.call_batch import Outcome, Post, apply_batch
from contact_center.ingest.call_io import SqliteIO, SqliteStatements
from contact_center.store.session import make_sync_sqlite_engine
from contact_center.store.wal import sqlite_file

log = logging.getLogger(__name__)

_HEADER = struct.Struct("!I")
_STOP_SECONDS = 10.0
_READY = b"ready"
_CALLS, _INBOUND = "calls", "inbound"  # the kinds of batch a request carries
# The writer's page cache (KiB, as SQLite's negative cache_size): the call, conversation and cti_event
# indexes take random keys (call ids, digests), so a store with a few hundred thousand events misses
# SQLite's default 2 MB cache on most inserts.
_WRITER_CACHE_KIB = 64 * 1024


def writes_in_process(url: str) -> bool:
    """Whether the spine writes batches for the store at *url* from helper processes: a SQLite file
    (whose single writer would otherwise share the event loop's interpreter lock). PostgreSQL
    (and SQLite in memory) is written from the event loop."""
    return sqlite_file(url) is not None


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
    """Applies the spine's batches in a process of its own (see the module docstring).

    Several batches may be on their way at once: the process applies them one after the other,
    in the order they were sent, and answers in that order.
    """

    def __init__(self, url: str) -> None:
        self._url = url
        self._proc: Any = None
        self._writer: asyncio.StreamWriter | None = None
        self._reading: asyncio.Task[None] | None = None
        self._waiting: collections.deque[asyncio.Future[tuple[bool, Any]]] = collections.deque()
        self._starting = asyncio.Lock()

    @property
    def pid(self) -> int | None:
        """The running writer's process id (tests kill it), or None."""
        return self._proc.pid if self._proc is not None and self._proc.is_alive() else None

    async def start(self) -> None:
        """Start the process (if it is not running) and wait until it is ready for batches."""
        async with self._starting:
            if self._writer is None:
                await self._spawn()

    async def _spawn(self) -> None:
        ours, theirs = socket.socketpair()
        try:
            ctx = multiprocessing.get_context("forkserver")
            proc = ctx.Process(target=serve, args=(theirs, self._url), name="store-writer", daemon=True)
            await asyncio.to_thread(proc.start)
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        reader, writer = await asyncio.open_connection(sock=ours)
        try:  # the process has imported the writer and opened the store: the first batch pays for neither
            ready = await _receive(reader)
        except BaseException as exc:
            await _stop(writer, proc)
            if isinstance(exc, OSError | asyncio.IncompleteReadError):
                raise WriterGone(f"the store writer process did not start ({type(exc).__name__})") from exc
            raise
        if ready != _READY:
            await _stop(writer, proc)
            raise WriterGone(f"the store writer process could not open the store: {ready.decode(errors='replace')}")
        self._proc, self._writer = proc, writer
        self._reading = asyncio.create_task(self._read_answers(reader, writer, proc), name="store-writer-answers")

    async def apply(self, posts: list[Post], audit: list[dict[str, Any]]) -> list[Outcome]:
        """Apply and commit one batch of CTI posts (and audit rows); its outcomes, one per post.

        Raises:
            BatchFailed: the batch was rolled back (the error is named).
            WriterGone: the process died; the next call starts another.
        """
        return await self._request((_CALLS, posts, audit))  # type: ignore[no-any-return]

    async def store_inbound(
        self, parts: list[Part], checkpoints: list[Checkpoint]
    ) -> tuple[list[InboundMessage], list[StoredMessage]]:
        """Store one batch of inbound messages and advance *checkpoints*, in one transaction
        (:func:`~contact_center.inbox.ingest.store_parts`); the messages as announced and one
        result per message. A packed part is read here from its shared memory, never by the app.

        Raises:
            BatchFailed: the batch was rolled back (the error is named).
            WriterGone: the process died; the next call starts another.
        """
        return await self._request((_INBOUND, parts, checkpoints))  # type: ignore[no-any-return]

    async def _request(self, request: tuple[str, Any, Any]) -> Any:
        if self._writer is None:
            await self.start()
        assert self._writer is not None
        data = pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)
        answer: asyncio.Future[tuple[bool, Any]] = asyncio.get_running_loop().create_future()
        self._waiting.append(answer)
        self._writer.write(_HEADER.pack(len(data)) + data)
        ok, result = await answer
        if not ok:
            raise BatchFailed(result)
        return result

    async def _read_answers(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, proc: Any) -> None:
        """Hand each answer to the batch that waits for it; when the process ends, fail the rest."""
        try:
            while True:
                answer = pickle.loads(await _receive(reader))
                waiter = self._waiting.popleft()
                if not waiter.done():  # its sender may have stopped waiting; the batch is applied all the same
                    waiter.set_result(answer)
        except (OSError, asyncio.IncompleteReadError) as exc:
            gone = WriterGone(f"the store writer process ended ({type(exc).__name__})")
        if self._writer is writer:
            self._proc = self._writer = self._reading = None
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_exception(gone)
        await _stop(writer, proc)

    async def close(self) -> None:
        """End the process: it applies the batches already sent, then sees the end of its input."""
        async with self._starting:
            writer, reading = self._writer, self._reading
            if writer is None or reading is None:
                return
            if writer.can_write_eof():
                writer.write_eof()
            try:
                async with asyncio.timeout(_STOP_SECONDS):
                    await asyncio.shield(reading)
            except TimeoutError:
                writer.close()  # the process is stuck: cut it off (its batches fail)
                await reading


async def _receive(reader: asyncio.StreamReader) -> bytes:
    (size,) = _HEADER.unpack(await reader.readexactly(_HEADER.size))
    return await reader.readexactly(size)


async def _stop(writer: asyncio.StreamWriter, proc: Any) -> None:
    """Close our end of the socket and wait for the process to end (killing it if it will not)."""
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    await asyncio.to_thread(proc.join, _STOP_SECONDS)
    if proc.is_alive():
        log.warning("the store writer process did not stop; killing it")
        proc.kill()
        await asyncio.to_thread(proc.join)


def serve(sock: socket.socket, url: str) -> None:
    """The writer process: apply each batch that comes in on *sock*, answer, end at end of input.

    Ctrl+C in the terminal reaches this process too; the app ends it by closing the socket after
    its last batch, so SIGINT is ignored here (no ``KeyboardInterrupt`` traceback at every stop).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stream = sock.makefile("rwb")
    try:
        engine = sync_sqlite_engine(url)
        statements = SqliteStatements(engine.dialect)
        conn = engine.connect()  # the process's one connection, opened before the first batch
    except Exception as exc:
        _send(stream, f"{type(exc).__name__}: {exc}".encode())
        return
    _send(stream, _READY)
    try:
        while True:
            header = stream.read(_HEADER.size)
            if len(header) < _HEADER.size:
                return
            kind, items, extra = pickle.loads(stream.read(_HEADER.unpack(header)[0]))
            try:
                if kind == _CALLS:
                    with conn.begin():
                        answer: tuple[bool, Any] = (True, apply_batch(
                            SqliteIO(conn, statements, owners=owners_sync, identify=identify_sync), items, extra))
                else:
                    answer = (True, store_parts(conn, items, extra))
            except Exception as exc:  # rolled back; the app retries the items one by one
                answer = (False, f"{type(exc).__name__}: {exc}")
            _send(stream, pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))
    finally:
        conn.close()
        engine.dispose()


def _send(stream: Any, data: bytes) -> None:
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def sync_sqlite_engine(url: str) -> Engine:
    """A synchronous engine on the store's SQLite file, with the store's pragmas (durability included);
    SQLite's automatic checkpoint is off (the app's ``WalCheckpointer`` runs it, outside the commits)."""
    engine = make_sync_sqlite_engine(url)
    event.listen(engine, "connect", _writer_pragmas)
    return engine


def _writer_pragmas(dbapi_conn: Any, _record: Any = None) -> None:
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA cache_size=-{_WRITER_CACHE_KIB}")
    cur.execute("PRAGMA wal_autocheckpoint=0")
    cur.close()
