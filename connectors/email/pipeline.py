"""Where a fetched batch is parsed, and how it reaches the store.

One set-up on every store. With ``parse_workers`` >= 1, that many worker processes
(:mod:`connectors.email.workers`, one-process pools taking batches in turn) parse each batch
into the inbox's messages beside the event loop and pack them into shared memory (the app only
forwards the batch's name); in a bulk catch-up they also fetch their batches themselves, each
over its own IMAP session (:meth:`BatchPipeline.fetch_and_prepare`), and the loop's session only
searches. With ``parse_workers = 0`` the loop parses.

Storing is never the connector's: every batch goes to the core's ingest spine
(:meth:`~contact_center.inbox.service.InboxService.receive`), which stores it with the mailbox's
IMAP checkpoint in one transaction through the same batch function on SQLite and PostgreSQL (on a
SQLite file, in the spine's one writer process), then announces what was new. Batches are
stored in order: the loop asks for batch *n*'s store only once batch *n-1* is committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Sequence
from concurrent.futures import Executor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from connectors.email.config import EmailConfig, MailboxConfig
from connectors.email.workers import (
    WorkerFetchFailed,
    close_session,
    fetch_and_parse,
    inbound_batch,
    parse_and_pack,
)
from contact_center.inbox.packed import PackedBatch, free
from contact_center.inbox.records import Checkpoint, InboundMessage, StoredMessage
from contact_center.inbox.service import InboxService

__all__ = ["BatchPipeline", "Prepared", "discard", "inbound_batch"]

#: A batch ready for the store: parsed in the loop, or packed by the worker that parsed it (None: nothing fetched).
Prepared = list[InboundMessage] | PackedBatch | None

log = logging.getLogger(__name__)


class BatchPipeline:
    """Prepares (fetches in bulk and parses) and stores fetched batches for every mailbox of one instance."""

    def __init__(self, *, inbox: InboxService, config: EmailConfig, workers: Sequence[Executor] = ()) -> None:
        self._inbox = inbox
        self._options = config.parse_options()
        self._batch_size = config.batch_size
        self._worker_fetch = config.worker_fetch
        self._fetching: set[str] = set()  # mailboxes the workers may hold sessions on
        self._fetch_failed: set[str] = set()  # mailboxes whose next catch-up the app's session fetches
        self._catch_ups: dict[str, int] = {}  # mailbox -> catch-ups by the workers ended so far
        self._workers = list(workers)
        self._turn = itertools.count()

    def fetches(self, mailbox: MailboxConfig, count: int) -> bool:
        """Whether the workers fetch a catch-up of *count* UIDs of *mailbox* themselves, each batch
        over its own IMAP session (:meth:`fetch_and_prepare`): a bulk catch-up (more than one
        batch) with ``worker_fetch`` on. A few new mails after IDLE are fetched by the app's
        session, which is already logged in; so is the catch-up after a worker's session failed
        (a server that allows one session per user still gets read), and the one after it tries
        the workers again."""
        if mailbox.name in self._fetch_failed:
            self._fetch_failed.discard(mailbox.name)
            return False
        return bool(self._workers) and self._worker_fetch and count > self._batch_size

    def prepare(
        self, mailbox: MailboxConfig, uids: list[int], raws: list[bytes], validity: int
    ) -> asyncio.Future[Prepared]:
        """Start parsing a fetched batch; the future's result goes to :meth:`store`."""
        kwargs: dict[str, Any] = {"mailbox": mailbox.name, "department": mailbox.department, "validity": validity,
                                  "options": self._options}
        loop = asyncio.get_running_loop()
        if self._workers and raws:
            try:
                worker = self._next_worker()
                return asyncio.ensure_future(self._parse_on(worker, raws, uids, kwargs))
            except BrokenProcessPool:  # a pool whose process died refuses work at once
                self._in_loop_from_now_on()
        future: asyncio.Future[Prepared] = loop.create_future()
        future.set_result(inbound_batch(raws, uids, **kwargs))
        return future

    def fetch_and_prepare(
        self, mailbox: MailboxConfig, uids: list[int], validity: int
    ) -> asyncio.Future[tuple[list[int], Prepared]]:
        """Have the next worker fetch *uids* (UIDVALIDITY *validity*) over its own session and
        parse them; the future's result is the UIDs fetched and what goes to :meth:`store`.

        The future raises :class:`WorkerFetchFailed` when the worker's session failed (or the
        worker died): nothing of the range is stored, and the caller's session ends and reconnects.
        """
        self._fetching.add(mailbox.name)
        catch_up = self._catch_ups.get(mailbox.name, 0)
        return asyncio.ensure_future(self._fetch_on(self._next_worker(), mailbox, uids, validity, catch_up))

    def _next_worker(self) -> Executor:
        return self._workers[next(self._turn) % len(self._workers)]

    async def _parse_on(self, worker: Executor, raws: list[bytes], uids: list[int],
                        kwargs: dict[str, Any]) -> Prepared:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(worker, _call, parse_and_pack, (raws, uids), kwargs)
        except BrokenProcessPool:
            self._in_loop_from_now_on()
            return inbound_batch(raws, uids, **kwargs)

    async def _fetch_on(self, worker: Executor, mailbox: MailboxConfig, uids: list[int], validity: int,
                        catch_up: int) -> tuple[list[int], Prepared]:
        """Fetch and parse on *worker*, unless the catch-up (number *catch_up*) has ended: the worker
        then has the order to log out queued, and a fetch after it would open a session that nobody
        closes (and that a server allowing one session per user counts)."""
        if self._catch_ups.get(mailbox.name, 0) != catch_up:
            return [], None
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(worker, _call, fetch_and_parse, (mailbox, validity, uids),
                                              {"options": self._options})
        except BrokenProcessPool:
            self._in_loop_from_now_on()
            raise WorkerFetchFailed("an email worker process died") from None
        except WorkerFetchFailed:
            self._fetch_failed.add(mailbox.name)
            raise

    def _in_loop_from_now_on(self) -> None:
        """A worker process died (killed, out of memory): keep mail flowing, fetched and parsed here."""
        log.error("email: a worker process died; fetching and parsing in the event loop from now on")
        self._workers = []

    def caught_up(self, mailbox: MailboxConfig | None = None) -> None:
        """*mailbox* has nothing more to store for now (or its catch-up failed): the workers log
        out of it, and the WAL checkpoint catches up too."""
        if mailbox is not None and mailbox.name in self._fetching:
            self._fetching.discard(mailbox.name)
            self._catch_ups[mailbox.name] = self._catch_ups.get(mailbox.name, 0) + 1
            for worker in self._workers:
                with contextlib.suppress(BrokenProcessPool, RuntimeError):
                    worker.submit(close_session, mailbox.name)
        wal = self._inbox.writer.wal
        if wal is not None:
            wal.flush()

    async def store(self, prepared: Prepared, checkpoint: Checkpoint) -> list[StoredMessage]:
        """Store a prepared batch with its *checkpoint* through the spine (one transaction), then
        announce what was new (a packed batch is freed by the spine)."""
        return await self._inbox.receive(prepared or [], checkpoint=checkpoint)


def discard(prepared: asyncio.Future[Any]) -> None:
    """A prepared batch that will not be stored: once its parse (or fetch) ends, free what a worker
    packed, and never leave its error unretrieved. (It is not cancelled: a worker may have packed
    it already. A worker's fetch that had not started when the catch-up ended fetches nothing,
    see :meth:`BatchPipeline._fetch_on`.)"""
    prepared.add_done_callback(_free_result)


def _free_result(prepared: asyncio.Future[Any]) -> None:
    if prepared.cancelled() or prepared.exception() is not None:
        return
    result = prepared.result()
    if isinstance(result, tuple):  # (the UIDs a worker fetched, what it prepared)
        result = result[1]
    if isinstance(result, PackedBatch):
        free(result)


def _call(function: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return function(*args, **kwargs)
