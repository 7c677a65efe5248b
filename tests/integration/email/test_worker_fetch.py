"""Email workers fetching a bulk catch-up over IMAP sessions of their own, against a real Dovecot;
the spine stores what they parsed (on SQLite through its writer process, on PostgreSQL in the loop)."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, select

from connectors.email.config import load_email_config
from connectors.email.imap_ingest import MailboxIngest
from connectors.email.imap_session import open_session
from connectors.email.mime import ParseOptions
from connectors.email.pipeline import BatchPipeline
from connectors.email.workers import WorkerFetchFailed, close_session, fetch_and_parse
from contact_center.inbox.packed import PackedBatch, free, unpack
from contact_center.store.session import Database
from contact_center.store.tables import MailboxCheckpoint, Message
from tests.integration.email.conftest import Spine
from tests.integration.email.mails import append_all, mail
from tests.servers import DovecotForTest


@pytest.fixture
def workers() -> Iterator[list[ProcessPoolExecutor]]:
    """Two one-process email worker pools, shut down after the test."""
    pools = [ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("forkserver")) for _ in range(2)]
    yield pools
    for pool in pools:
        pool.shutdown(cancel_futures=True)


class CuttingProxy:
    """A TCP proxy to Dovecot that cuts its *victim*-th connection (1 = the first) once the server
    has sent it *after* bytes: a session that fails in the middle of a FETCH response. With
    *max_open*, a connection beyond that many open ones is greeted with ``BYE`` and closed, as a
    server that limits sessions per user does."""

    def __init__(self, host: str, port: int, *, victim: int = 0, after: int = 0, max_open: int = 0) -> None:
        self._target = (host, port)
        self._victim, self._after, self._max_open = victim, after, max_open
        self.connections = 0
        self.open = 0
        self.refused = 0
        self.cut = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> int:
        """Listen on a free port of 127.0.0.1; returns it."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        """Stop listening and drop every open connection."""
        if self._server is not None:
            self._server.close()
        for task in self._tasks:
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        if self._max_open and self.open >= self._max_open:
            self.refused += 1
            writer.write(b"* BYE Maximum number of connections from user+IP exceeded\r\n")
            writer.close()
            return
        self.open += 1
        limit = self._after if self.connections == self._victim else None
        up_reader, up_writer = await asyncio.open_connection(*self._target)
        pumps = [asyncio.create_task(self._pump(reader, up_writer, None)),
                 asyncio.create_task(self._pump(up_reader, writer, limit))]
        self._tasks.update(pumps)
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self.open -= 1
            for pump in pumps:
                pump.cancel()
            for w in (writer, up_writer):
                w.close()
            self._tasks.difference_update(pumps)

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, limit: int | None) -> None:
        sent = 0
        while chunk := await source.read(65536):
            if limit is not None and sent + len(chunk) > limit:
                sink.write(chunk[:limit - sent])
                await sink.drain()
                sink.transport.abort()
                self.cut.set()
                return
            sink.write(chunk)
            await sink.drain()
            sent += len(chunk)


def _mails(count: int, tag: str) -> list[bytes]:
    return [mail(f"Mail {i}", f"body {i} " * 200, msgid=f"<{tag}-{i}@example.org>") for i in range(count)]


async def _stored(db: Database) -> tuple[list[str], int | None]:
    async with db.session() as s:
        ids = list((await s.execute(select(Message.external_id).where(Message.direction == "in"))).scalars())
        checkpoint = (await s.execute(select(func.max(MailboxCheckpoint.last_uid)))).scalar()
    return ids, checkpoint


async def _catch_up_through(
    proxy: CuttingProxy, dovecot: DovecotForTest, spine: Spine, workers: list[ProcessPoolExecutor],
) -> tuple[MailboxIngest, list[str]]:
    """Run the ingest through *proxy* until it has caught up and idles; the ingest and what it announced."""
    port = await proxy.start()
    config = load_email_config({"parse_workers": 2, "batch_size": 10, "reconnect_min_seconds": 0.05,
                                "reconnect_max_seconds": 0.2, "mailboxes": [
                                    {"name": "support", "host": "127.0.0.1", "port": port, "security": "none",
                                     "user": dovecot.user, "password": dovecot.password, "timeout_seconds": 2}]})
    inbox = spine.inbox()
    announced: list[Any] = []
    pipeline = BatchPipeline(inbox=inbox, config=config, workers=workers)

    async def on_stored(stored: list[Any]) -> None:
        announced.extend(s.external_id for s in stored if not s.duplicate)

    ingest = MailboxIngest(mailbox=config.mailboxes[0], inbox=inbox, config=config, pipeline=pipeline,
                           on_stored=on_stored)
    task = asyncio.create_task(ingest.run())
    try:
        async with asyncio.timeout(30):
            await ingest.wait_connected()
    finally:
        ingest.stop()
        await asyncio.wait_for(task, 10)
        await proxy.close()
        await inbox.close()
    return ingest, announced


async def test_a_worker_session_cut_mid_range_loses_and_repeats_nothing(
    dovecot: DovecotForTest, spine: Spine, workers: list[ProcessPoolExecutor],
) -> None:
    """One worker's own IMAP session is cut in the middle of a FETCH response: the app's
    session ends and reconnects, and every mail is stored exactly once, announced once, with the
    checkpoint at the last UID."""
    total = 120
    append_all(dovecot.host, dovecot.imap_port, dovecot.user, dovecot.password, _mails(total, "cut"))
    # Connection 1 is the app's session, 2 and 3 the workers' sessions: cut 2 after 30 KB (its
    # second batch; the first is ~20 KB).
    proxy = CuttingProxy(dovecot.host, dovecot.imap_port, victim=2, after=30_000)
    ingest, announced = await _catch_up_through(proxy, dovecot, spine, workers)
    assert proxy.cut.is_set()
    assert ingest.sessions >= 2  # the cut ended the first session
    ids, checkpoint = await _stored(spine.db)
    expected = sorted(f"<cut-{i}@example.org>" for i in range(total))
    assert sorted(ids) == expected
    assert sorted(announced) == expected
    assert checkpoint == total


async def test_a_server_allowing_one_session_per_user_is_still_read(
    dovecot: DovecotForTest, spine: Spine, workers: list[ProcessPoolExecutor],
) -> None:
    """The server refuses the workers' extra sessions: after that failed catch-up the app's own
    session fetches the mailbox, and every mail is stored exactly once."""
    total = 60
    append_all(dovecot.host, dovecot.imap_port, dovecot.user, dovecot.password, _mails(total, "single"))
    proxy = CuttingProxy(dovecot.host, dovecot.imap_port, max_open=1)
    ingest, announced = await _catch_up_through(proxy, dovecot, spine, workers)
    assert proxy.refused >= 1
    assert ingest.sessions >= 2
    ids, checkpoint = await _stored(spine.db)
    expected = sorted(f"<single-{i}@example.org>" for i in range(total))
    assert sorted(ids) == expected
    assert sorted(announced) == expected
    assert checkpoint == total


async def test_a_worker_fetches_nothing_under_another_uidvalidity(
    dovecot: DovecotForTest, workers: list[ProcessPoolExecutor],
) -> None:
    """A worker whose session sees another UIDVALIDITY than the app's session refuses the range;
    under the right one it returns the UIDs it got (an absent UID is simply missing) and their
    parsed messages."""
    append_all(dovecot.host, dovecot.imap_port, dovecot.user, dovecot.password, _mails(3, "validity"))
    box = load_email_config({"mailboxes": [
        {"name": "support", "host": dovecot.host, "port": dovecot.imap_port, "security": "none",
         "user": dovecot.user, "password": dovecot.password}]}).mailboxes[0]
    loop = asyncio.get_running_loop()
    worker = workers[0]
    validity = await loop.run_in_executor(worker, _validity_of, box)
    with pytest.raises(WorkerFetchFailed, match="UIDVALIDITY"):
        await loop.run_in_executor(worker, _fetch, box, validity + 1, [1, 2, 3])
    got, packed = await loop.run_in_executor(worker, _fetch, box, validity, [1, 2, 3, 99])
    assert got == [1, 2, 3]
    assert packed is not None
    messages = unpack(packed)
    free(packed)
    assert [m.external_id for m in messages] == [f"<validity-{i}@example.org>" for i in range(3)]
    assert [m.meta["imap"]["uid"] for m in messages] == [1, 2, 3]
    worker.submit(close_session, "support").result()


def _fetch(box: Any, validity: int, uids: list[int]) -> tuple[list[int], PackedBatch | None]:
    return fetch_and_parse(box, validity, uids, options=ParseOptions(max_attachment_bytes=1 << 20))


def _validity_of(box: Any) -> int:
    """The UIDVALIDITY a fresh session sees (runs in a worker, on an event loop of its own)."""

    async def read() -> int:
        session = await open_session(box)
        try:
            return session.selected.uidvalidity
        finally:
            await session.close()

    return asyncio.run(read())
