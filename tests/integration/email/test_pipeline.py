"""Batches parsed in the parser process and stored from the writer process, through shared memory."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.shared_memory import SharedMemory
from pathlib import Path

import pytest
from sqlalchemy import func, select

from connectors.email import pipeline
from connectors.email.config import load_email_config
from connectors.email.pipeline import (
    SEGMENT_PREFIX,
    BatchPipeline,
    discard,
    inbound_batch,
    remove_orphaned_segments,
    shared_inbound_batch,
    write_shared_batch,
)
from contact_center.bus.memory import MemoryBus
from contact_center.inbox.records import Checkpoint
from contact_center.inbox.service import InboxService
from contact_center.store.migrate import upgrade
from contact_center.store.session import Database
from contact_center.store.tables import MailboxCheckpoint, Message
from tests.integration.email.mails import mail


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated SQLite store in a file (the writer process needs one)."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'pipe.db'}")
    await upgrade(db)
    yield db
    await db.close()


def _batch(first: int, count: int) -> tuple[list[bytes], list[int]]:
    return [mail(f"Mail {i}", f"body {i}", msgid=f"<pipe-{i}@example.org>") for i in range(first, first + count)], \
        list(range(first + 1, first + count + 1))


def _gone(name: str) -> bool:
    try:
        SharedMemory(name=name).close()
    except FileNotFoundError:
        return True
    return False


async def test_writer_process_stores_each_mail_once_and_frees_the_segment(store: Database) -> None:
    """A batch stored twice by the writer process (a refetch after a crash) is stored once; the
    checkpoint moves with it and no shared memory is left behind."""
    raws, uids = _batch(0, 30)
    kwargs = {"mailbox": "support", "department": None, "validity": 7, "limit": 1_000_000, "owner": os.getpid()}
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("forkserver")) as writer:
        results = []
        for _ in range(2):
            shared = shared_inbound_batch(raws, uids, **kwargs)
            announced, stored = await loop.run_in_executor(writer, write_shared_batch, store.url, shared,
                                                           Checkpoint("support", 7, uids[-1]))
            assert _gone(shared.name)
            assert [m.external_id for m in announced] == [f"<pipe-{i}@example.org>" for i in range(30)]
            assert all(m.raw is None for m in announced)  # the announcement does not carry the bytes back
            results.append(stored)
    assert [s.duplicate for s in results[0]] == [False] * 30
    assert [s.duplicate for s in results[1]] == [True] * 30
    async with store.session() as s:
        assert (await s.execute(select(func.count()).select_from(Message))).scalar() == 30
        checkpoint = await s.get(MailboxCheckpoint, "support")
    assert checkpoint is not None
    assert (checkpoint.uidvalidity, checkpoint.last_uid) == (7, 30)


async def test_a_prepared_batch_that_is_never_stored_is_discarded() -> None:
    """Stopping with parsed batches still queued removes their shared memory."""
    raws, uids = _batch(100, 3)
    future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
    future.set_result(shared_inbound_batch(raws, uids, mailbox="support", department=None, validity=1, limit=10,
                                           owner=os.getpid()))
    discard(future)
    assert _gone(future.result().name)  # type: ignore[attr-defined]


def test_segments_of_apps_that_are_gone_are_removed_at_start() -> None:
    """A batch left in shared memory by a killed app is removed; a live app's batch stays."""
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    raws, uids = _batch(400, 1)
    kwargs = {"mailbox": "support", "department": None, "validity": 1, "limit": 10}
    orphan = shared_inbound_batch(raws, uids, owner=int(gone.stdout), **kwargs)
    mine = shared_inbound_batch(raws, uids, owner=os.getpid(), **kwargs)
    try:
        assert remove_orphaned_segments() >= 1
        assert _gone(orphan.name)
        assert not _gone(mine.name)
    finally:
        mine.unlink()
        orphan.unlink()


async def test_in_loop_store_on_postgresql_is_exactly_once_and_threads_replies(postgres_migrated_url: str) -> None:
    """The synchronous store transaction run through run_sync on PostgreSQL: a refetched batch
    is all duplicates, a reply joins its conversation, and the checkpoint advances."""
    db = Database(postgres_migrated_url)
    try:
        inbox = InboxService(db=db, bus=MemoryBus())
        raws, uids = _batch(200, 5)
        reply = mail("Re: Mail 200", "thanks", msgid="<pipe-reply@example.org>",
                     headers={"In-Reply-To": "<pipe-200@example.org>"})
        kwargs = {"mailbox": "support", "department": None, "validity": 3, "limit": 1_000_000}
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


async def test_a_dead_writer_process_leaves_the_pipeline_storing_in_the_loop(store: Database) -> None:
    """When the writer process dies the batch fails, and the same batch fetched again is stored
    once by the loop itself; later batches keep flowing."""
    config = load_email_config({"parse_workers": 1, "mailboxes": [
        {"name": "support", "host": "127.0.0.1", "security": "none", "user": "u", "password": "p"}]})
    mailbox = config.mailboxes[0]
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(1, mp_context=context) as parser, ProcessPoolExecutor(1, mp_context=context) as writer:
        pipeline = BatchPipeline(inbox=InboxService(db=store, bus=MemoryBus()), config=config, parser=parser,
                                 writer=writer, db_url=store.url)
        raws, uids = _batch(300, 4)
        with pytest.raises(BrokenProcessPool):
            writer.submit(os._exit, 1).result()  # the writer process is gone (as if killed)
        prepared = await pipeline.prepare(mailbox, uids, raws, 9)
        with pytest.raises(BrokenProcessPool):
            await pipeline.store(prepared, Checkpoint("support", 9, uids[-1]))
        assert _gone(prepared.name)
        again = await pipeline.prepare(mailbox, uids, raws, 9)  # the refetch after the reconnect
        stored = await pipeline.store(again, Checkpoint("support", 9, uids[-1]))
        assert [s.duplicate for s in stored] == [False] * 4
        more_raws, more_uids = _batch(304, 2)
        more = await pipeline.store(await pipeline.prepare(mailbox, more_uids, more_raws, 9),
                                    Checkpoint("support", 9, more_uids[-1]))
        assert [s.duplicate for s in more] == [False, False]
    async with store.session() as s:
        assert (await s.execute(select(func.count()).select_from(Message))).scalar() == 6


POOLS_SCRIPT = """
import os, sys, time
sys.path.insert(0, {root!r})
from connectors.email import parser_pool, writer_pool
from connectors.email.config import load_email_config
config = load_email_config({{"parse_workers": 1}})
parser, writer = parser_pool(config), writer_pool(config, {url!r})
print(parser.submit(os.getpid).result(), writer.submit(os.getpid).result(), flush=True)
time.sleep(60)
"""


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


def test_parser_and_writer_processes_end_when_the_app_is_killed(tmp_path: Path) -> None:
    """SIGKILL of the app leaves no parser or writer process behind (they watch the app's pid)."""
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


def test_a_batch_shared_memory_refuses_is_returned_for_the_loop_to_store(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    """When the segment cannot be written (a full /dev/shm, as in a small container; stood in for
    here by a segment folder that does not exist, since filling the real tmpfs would disturb other
    processes), the parsed batch comes back whole and no segment is left behind."""
    monkeypatch.setattr(pipeline, "SHM_DIR", tmp_path / "no-shm")
    raws, uids = _batch(500, 3)
    before = set(Path("/dev/shm").glob(f"{SEGMENT_PREFIX}{os.getpid()}-*"))
    result = shared_inbound_batch(raws, uids, mailbox="support", department=None, validity=1, limit=10,
                                  owner=os.getpid())
    assert isinstance(result, list)
    assert [m.external_id for m in result] == [f"<pipe-{i}@example.org>" for i in range(500, 503)]
    assert set(Path("/dev/shm").glob(f"{SEGMENT_PREFIX}{os.getpid()}-*")) == before
