"""Batches parsed and stored by ingest workers (each stores the batches it parsed), and the fallbacks."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from connectors.email.config import load_email_config
from connectors.email.imap_ingest import MailboxIngest
from connectors.email.mime import ParseOptions
from connectors.email.pipeline import BatchPipeline, KeptBatch, discard, inbound_batch
from connectors.email.workers import kept
from contact_center.bus.memory import MemoryBus
from contact_center.inbox.records import Checkpoint
from contact_center.inbox.service import InboxService
from contact_center.store.session import Database
from contact_center.store.tables import MailboxCheckpoint, Message
from tests.integration.email.mails import mail


def _batch(first: int, count: int) -> tuple[list[bytes], list[int]]:
    return [mail(f"Mail {i}", f"body {i}", msgid=f"<pipe-{i}@example.org>") for i in range(first, first + count)], \
        list(range(first + 1, first + count + 1))


CONFIG = load_email_config({"parse_workers": 1, "mailboxes": [
    {"name": "support", "host": "127.0.0.1", "security": "none", "user": "u", "password": "p"}]})


def _workers(n: int = 2) -> list[ProcessPoolExecutor]:
    context = multiprocessing.get_context("forkserver")
    return [ProcessPoolExecutor(1, mp_context=context) for _ in range(n)]


def _kept_in(workers: list[ProcessPoolExecutor]) -> list[int]:
    return [w.submit(kept).result() for w in workers]


async def test_ingest_workers_store_each_mail_once_in_order_and_keep_nothing(store: Database) -> None:
    """Batches parsed by two workers in turn are stored by the worker that parsed them, in batch
    order; a refetched batch is all duplicates, the checkpoint moves with the batches, and no
    worker keeps a batch afterwards."""
    workers = _workers()
    try:
        pipeline = BatchPipeline(inbox=InboxService(db=store, bus=MemoryBus()), config=CONFIG, workers=workers,
                                 db_url=store.url)
        mailbox = CONFIG.mailboxes[0]
        chunks = [_batch(0, 10), _batch(10, 10), _batch(0, 10)]  # the third: a refetch after a crash
        preparing = [pipeline.prepare(mailbox, uids, raws, 7) for raws, uids in chunks]
        used, results = [], []
        for future, (_, uids) in zip(preparing, chunks, strict=True):  # as the fetch loop does
            prepared = await future
            used.append(prepared.worker)
            results.append(await pipeline.store(prepared, Checkpoint("support", 7, uids[-1])))
        assert used == [workers[0], workers[1], workers[0]]
        assert [s.duplicate for s in results[0] + results[1]] == [False] * 20
        assert [s.duplicate for s in results[2]] == [True] * 10
        assert [s.message_id for s in results[0] + results[1]] == sorted(s.message_id for s in results[0] + results[1])
        assert _kept_in(workers) == [0, 0]
    finally:
        for w in workers:
            w.shutdown()
    async with store.session() as s:
        assert (await s.execute(select(func.count()).select_from(Message))).scalar() == 20
        checkpoint = await s.get(MailboxCheckpoint, "support")
    assert checkpoint is not None
    assert (checkpoint.uidvalidity, checkpoint.last_uid) == (7, 20)  # never rewound by the refetch


async def test_a_workers_next_parse_waits_until_its_kept_batch_is_handed_to_the_store(store: Database) -> None:
    """Batch 2 goes to the worker still keeping batch 0: it is parsed only once batch 0's store is
    queued there, so that store never waits behind it."""
    workers = _workers()
    try:
        pipeline = BatchPipeline(inbox=InboxService(db=store, bus=MemoryBus()), config=CONFIG, workers=workers,
                                 db_url=store.url)
        chunks = [_batch(600 + 3 * n, 3) for n in range(3)]
        preparing = [pipeline.prepare(CONFIG.mailboxes[0], uids, raws, 2) for raws, uids in chunks]
        first = await preparing[0]
        await preparing[1]
        done, _ = await asyncio.wait({preparing[2]}, timeout=0.5)
        assert not done  # (parsing 3 mails takes milliseconds: it is waiting)
        assert _kept_in(workers) == [1, 1]
        await pipeline.store(first, Checkpoint("support", 2, chunks[0][1][-1]))
        third = await preparing[2]
        assert third.worker is workers[0]
        for future, (_, uids) in zip(preparing[1:], chunks[1:], strict=True):
            await pipeline.store(await future, Checkpoint("support", 2, uids[-1]))
        assert _kept_in(workers) == [0, 0]
    finally:
        for w in workers:
            w.shutdown()


async def test_a_prepared_batch_that_is_never_stored_is_discarded(store: Database) -> None:
    """Stopping with parsed batches still queued makes their workers drop them; an empty fetch
    (never stored) is not handed to a worker at all."""
    workers = _workers()
    try:
        pipeline = BatchPipeline(inbox=InboxService(db=store, bus=MemoryBus()), config=CONFIG, workers=workers,
                                 db_url=store.url)
        raws, uids = _batch(100, 3)
        futures = [pipeline.prepare(CONFIG.mailboxes[0], uids, raws, 1) for _ in range(3)]
        assert await pipeline.prepare(CONFIG.mailboxes[0], [], [], 1) == []
        for future in futures:
            discard(future)  # (not parsed yet: dropped once it is)
        await asyncio.gather(*futures)
        assert all(isinstance(f.result(), KeptBatch) for f in futures)
        await asyncio.sleep(0)
        assert _kept_in(workers) == [0, 0]
    finally:
        for w in workers:
            w.shutdown()


async def test_in_loop_store_on_postgresql_is_exactly_once_and_threads_replies(postgres_migrated_url: str) -> None:
    """The synchronous store transaction run through run_sync on PostgreSQL: a refetched batch
    is all duplicates, a reply joins its conversation, and the checkpoint advances."""
    db = Database(postgres_migrated_url)
    try:
        inbox = InboxService(db=db, bus=MemoryBus())
        raws, uids = _batch(200, 5)
        reply = mail("Re: Mail 200", "thanks", msgid="<pipe-reply@example.org>",
                     headers={"In-Reply-To": "<pipe-200@example.org>"})
        kwargs = {"mailbox": "support", "department": None, "validity": 3,
                  "options": ParseOptions(max_attachment_bytes=1_000_000)}
        first = await inbox.receive(inbound_batch([*raws, reply], [*uids, 206], **kwargs),
                                    checkpoint=Checkpoint("support", 3, 206))
        again = await inbox.receive(inbound_batch(raws, uids, **kwargs), checkpoint=Checkpoint("support", 3, 205))
        assert [s.duplicate for s in first] == [False] * 6
        assert [s.duplicate for s in again] == [True] * 5
        assert first[5].conversation_id == first[0].conversation_id
        assert first[5].new_conversation is False
        async with db.session() as s:
            checkpoint = await s.get(MailboxCheckpoint, "support")
        assert checkpoint is not None
        assert checkpoint.last_uid == 206  # never rewound by the refetch
    finally:
        await db.close()


async def test_a_dead_worker_process_leaves_the_pipeline_storing_in_the_loop(store: Database) -> None:
    """When an ingest worker dies its batch fails, and the same batch fetched again is stored
    once by the loop itself; later batches keep flowing."""
    mailbox = CONFIG.mailboxes[0]
    workers = _workers()
    try:
        pipeline = BatchPipeline(inbox=InboxService(db=store, bus=MemoryBus()), config=CONFIG, workers=workers,
                                 db_url=store.url)
        raws, uids = _batch(300, 4)
        prepared = await pipeline.prepare(mailbox, uids, raws, 9)
        with pytest.raises(BrokenProcessPool):
            workers[0].submit(os._exit, 1).result()  # the worker process is gone (as if killed)
        with pytest.raises(BrokenProcessPool):
            await pipeline.store(prepared, Checkpoint("support", 9, uids[-1]))
        again = await pipeline.prepare(mailbox, uids, raws, 9)  # the refetch after the reconnect
        assert isinstance(again, list)  # parsed in the loop now
        stored = await pipeline.store(again, Checkpoint("support", 9, uids[-1]))
        assert [s.duplicate for s in stored] == [False] * 4
        more_raws, more_uids = _batch(304, 2)
        more = await pipeline.store(await pipeline.prepare(mailbox, more_uids, more_raws, 9),
                                    Checkpoint("support", 9, more_uids[-1]))
        assert [s.duplicate for s in more] == [False, False]
    finally:
        for w in workers:
            w.shutdown()
    async with store.session() as s:
        assert (await s.execute(select(func.count()).select_from(Message))).scalar() == 6


POOLS_SCRIPT = """
import os, sys, time
sys.path.insert(0, {root!r})
from connectors.email import ingest_workers
from connectors.email.config import load_email_config
config = load_email_config({{"parse_workers": 1}})
workers = ingest_workers(config, {url!r})
print(*(w.submit(os.getpid).result() for w in workers), flush=True)
time.sleep(60)
"""


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


def test_ingest_worker_processes_end_when_the_app_is_killed(tmp_path: Path) -> None:
    """SIGKILL of the app leaves no ingest worker process behind (they watch the app's pid)."""
    script = POOLS_SCRIPT.format(root=str(Path(__file__).resolve().parents[3]),
                                 url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    app = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    try:
        assert app.stdout is not None
        workers = [int(pid) for pid in app.stdout.readline().split()]
        assert len(workers) == 2
        assert all(_running(pid) for pid in workers)
    finally:
        app.kill()
        app.wait()
        if app.stdout is not None:
            app.stdout.close()
    deadline = time.monotonic() + 10
    while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_running(pid) for pid in workers)


class _InstantSession:
    """Stands in for ImapSession.fetch: answers every UID at once with a small mail."""

    async def fetch(self, uids: list[int]) -> list[tuple[int, bytes]]:
        return [(uid, mail(f"Mail {uid}", "hi", msgid=f"<fail-{uid}@example.org>")) for uid in uids]


async def test_batches_fetched_ahead_of_a_failed_store_are_dropped_by_the_workers(store: Database) -> None:
    """When a store fails in its worker, the failed batch and every batch fetched and parsed ahead
    of it (queued, or waiting for room in the queue) are dropped: no worker keeps anything."""
    async with store.session() as s:
        await s.execute(text("DROP TABLE mailbox_checkpoint"))  # every store now fails at its first statement
    workers = _workers()
    config = load_email_config({"parse_workers": 1, "batch_size": 5, "worker_fetch": False, "mailboxes": [
        {"name": "support", "host": "127.0.0.1", "security": "none", "user": "u", "password": "p"}]})
    try:
        inbox = InboxService(db=store, bus=MemoryBus())
        pipeline = BatchPipeline(inbox=inbox, config=config, workers=workers, db_url=store.url)
        ingest = MailboxIngest(mailbox=config.mailboxes[0], inbox=inbox, config=config, pipeline=pipeline)
        with pytest.raises(OperationalError):
            await ingest._fetch_and_store(_InstantSession(), list(range(1, 41)), 1)  # type: ignore[arg-type]
        for _ in range(400):  # the last discards land once their parsing ends
            if _kept_in(workers) == [0, 0]:
                break
            await asyncio.sleep(0.05)
        assert _kept_in(workers) == [0, 0]
    finally:
        for w in workers:
            w.shutdown()
