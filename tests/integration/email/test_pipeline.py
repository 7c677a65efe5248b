"""Batches parsed by the email workers and stored by the ingest spine, on both stores, and the fallbacks."""

from __future__ import annotations

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
from connectors.email.pipeline import BatchPipeline, inbound_batch
from contact_center.bus.memory import MemoryBus
from contact_center.inbox.packed import PackedBatch
from contact_center.inbox.records import Checkpoint
from contact_center.inbox.service import InboxService
from contact_center.store.session import Database
from contact_center.store.tables import MailboxCheckpoint, Message
from tests.integration.email.conftest import Spine
from tests.integration.email.mails import mail


def _batch(first: int, count: int) -> tuple[list[bytes], list[int]]:
    return [mail(f"Mail {i}", f"body {i}", msgid=f"<pipe-{i}@example.org>") for i in range(first, first + count)], \
        list(range(first + 1, first + count + 1))


CONFIG = load_email_config({"parse_workers": 2, "mailboxes": [
    {"name": "support", "host": "127.0.0.1", "security": "none", "user": "u", "password": "p"}]})


def _in_shared_memory(packed: PackedBatch) -> bool:
    return Path("/dev/shm", packed.name.lstrip("/")).exists()


def _workers(n: int = 2) -> list[ProcessPoolExecutor]:
    context = multiprocessing.get_context("forkserver")
    return [ProcessPoolExecutor(1, mp_context=context) for _ in range(n)]


async def test_workers_parse_in_turn_and_the_spine_stores_each_mail_once_in_order(spine: Spine) -> None:
    """Batches parsed and packed by two workers in turn are stored by the spine in batch order (on
    SQLite by its writer process, on PostgreSQL in the loop) and freed; a refetched batch is all
    duplicates, and the checkpoint moves with the batches and is never rewound."""
    workers = _workers()
    inbox = spine.inbox()
    try:
        pipeline = BatchPipeline(inbox=inbox, config=CONFIG, workers=workers)
        mailbox = CONFIG.mailboxes[0]
        chunks = [_batch(0, 10), _batch(10, 10), _batch(0, 10)]  # the third: a refetch after a crash
        preparing = [pipeline.prepare(mailbox, uids, raws, 7) for raws, uids in chunks]
        results, packed = [], []
        for future, (_, uids) in zip(preparing, chunks, strict=True):  # as the fetch loop does
            packed.append(await future)
            results.append(await pipeline.store(packed[-1], Checkpoint("support", 7, uids[-1])))
        assert all(isinstance(p, PackedBatch) for p in packed)  # only names crossed the app
        assert not any(_in_shared_memory(p) for p in packed)  # each freed once stored
        assert [s.duplicate for s in results[0] + results[1]] == [False] * 20
        assert [s.duplicate for s in results[2]] == [True] * 10
        assert [s.message_id for s in results[0] + results[1]] == sorted(s.message_id for s in results[0] + results[1])
        assert await pipeline.prepare(mailbox, [], [], 7) == []
    finally:
        await inbox.close()
        for w in workers:
            w.shutdown()
    async with spine.db.session() as s:
        assert (await s.execute(select(func.count()).select_from(Message))).scalar() == 20
        checkpoint = await s.get(MailboxCheckpoint, "support")
    assert checkpoint is not None
    assert (checkpoint.uidvalidity, checkpoint.last_uid) == (7, 20)  # never rewound by the refetch


async def test_the_spine_stores_a_mail_batch_and_threads_replies_on_both_stores(spine: Spine) -> None:
    """The one batch function on each store: a refetched batch is all duplicates, a reply joins its
    conversation, and the checkpoint advances with the batch."""
    inbox = spine.inbox()
    try:
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
        async with spine.db.session() as s:
            checkpoint = await s.get(MailboxCheckpoint, "support")
        assert checkpoint is not None
        assert checkpoint.last_uid == 206  # never rewound by the refetch
    finally:
        await inbox.close()


async def test_a_dead_worker_process_leaves_the_pipeline_parsing_in_the_loop(store: Database) -> None:
    """When an email worker dies, batches are parsed in the loop from then on and keep flowing;
    each mail is stored once."""
    mailbox = CONFIG.mailboxes[0]
    workers = _workers(1)
    inbox = InboxService(db=store, bus=MemoryBus())
    try:
        pipeline = BatchPipeline(inbox=inbox, config=CONFIG, workers=workers)
        raws, uids = _batch(300, 4)
        stored = await pipeline.store(await pipeline.prepare(mailbox, uids, raws, 9), Checkpoint("support", 9, 304))
        assert [s.duplicate for s in stored] == [False] * 4
        with pytest.raises(BrokenProcessPool):
            workers[0].submit(os._exit, 1).result()  # the worker process is gone (as if killed)
        more_raws, more_uids = _batch(304, 2)
        more = await pipeline.store(await pipeline.prepare(mailbox, more_uids, more_raws, 9),
                                    Checkpoint("support", 9, more_uids[-1]))
        assert [s.duplicate for s in more] == [False, False]
        assert not pipeline.fetches(mailbox, 10_000)  # no worker left to fetch a catch-up
    finally:
        await inbox.close()
        for w in workers:
            w.shutdown()
    async with store.session() as s:
        assert (await s.execute(select(func.count()).select_from(Message))).scalar() == 6


POOLS_SCRIPT = """
import os, sys, time
sys.path.insert(0, {root!r})
from connectors.email import email_workers
from connectors.email.config import load_email_config
workers = email_workers(load_email_config({{"parse_workers": 2}}))
print(*(w.submit(os.getpid).result() for w in workers), flush=True)
time.sleep(60)
"""


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


def test_email_worker_processes_end_when_the_app_is_killed() -> None:
    """SIGKILL of the app leaves no email worker process behind (they watch the app's pid)."""
    script = POOLS_SCRIPT.format(root=str(Path(__file__).resolve().parents[3]))
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


async def test_a_failed_store_ends_the_catch_up_and_stores_nothing(store: Database) -> None:
    """When a batch's store fails, the catch-up ends with that error (the session reconnects and
    reads on from the checkpoint); the batches fetched and parsed ahead of it are never stored."""
    async with store.session() as s:
        await s.execute(text("DROP TABLE mailbox_checkpoint"))  # every store now fails at its first statement
    workers = _workers()
    config = load_email_config({"parse_workers": 2, "batch_size": 5, "worker_fetch": False, "mailboxes": [
        {"name": "support", "host": "127.0.0.1", "security": "none", "user": "u", "password": "p"}]})
    inbox = InboxService(db=store, bus=MemoryBus())
    try:
        pipeline = BatchPipeline(inbox=inbox, config=config, workers=workers)
        ingest = MailboxIngest(mailbox=config.mailboxes[0], inbox=inbox, config=config, pipeline=pipeline)
        with pytest.raises(OperationalError):
            await ingest._fetch_and_store(_InstantSession(), list(range(1, 41)), 1)  # type: ignore[arg-type]
    finally:
        await inbox.close()
        for w in workers:
            w.shutdown()
    async with store.session() as s:
        assert (await s.execute(select(func.count()).select_from(Message))).scalar() == 0
