"""Where a fetched batch is parsed and stored: in the event loop, in a parser process, or in ingest workers.

Three set-ups, by configuration (``parse_workers``, ``writer_process``) and store:

* no worker process: parse and store in the loop (tests, tiny deployments);
* a parser pool: it parses and builds the inbox's messages, the loop stores them
  (:meth:`InboxService.receive`; PostgreSQL, whose writes leave this machine's CPU anyway);
* ingest workers (a SQLite store): one-process pools taking batches in turn; the worker that
  parsed a batch keeps it and later stores it itself, with the checkpoint, in one transaction
  (:mod:`connectors.email.workers`), so the ~12 MB parsed batch never crosses a process
  boundary. The loop only speaks IMAP, orders the stores and announces what was stored; in a
  bulk catch-up the workers also fetch their batches themselves, each over its own IMAP
  session (:meth:`BatchPipeline.fetch_and_prepare`), and the loop's session only searches.

Every set-up stores the same rows in the same single transaction per batch, in batch order:
the loop asks for batch *n*'s store only once batch *n-1* is committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Sequence
from concurrent.futures import Executor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from connectors.email.config import EmailConfig, MailboxConfig
from connectors.email.workers import (
    WorkerFetchFailed,
    close_session,
    fetch_and_keep,
    forget,
    inbound_batch,
    parse_and_keep,
    store_kept,
)
from contact_center.inbox.records import Checkpoint, InboundMessage, StoredMessage
from contact_center.inbox.service import InboxService

__all__ = ["BatchPipeline", "KeptBatch", "discard", "inbound_batch"]

log = logging.getLogger(__name__)


#: How long a worker's next parse waits for its kept batch to be handed to the store before it
#: goes ahead anyway (only the order of work in the worker depends on it, never correctness).
HANDOVER_WAIT_SECONDS = 30.0


@dataclass(frozen=True)
class KeptBatch:
    """A batch parsed and kept by the ingest worker *worker*, to be stored by that same worker.

    *handed* resolves once the batch's store has been queued in the worker (or the batch was
    dropped): only then does that worker get its next batch to parse, so that a store never
    waits in the worker's queue behind the parse of a later batch (stores are the chain every
    batch waits for; parses are not).
    """

    worker: Executor
    key: str
    size: int
    handed: asyncio.Future[None]

    def hand_over(self) -> None:
        """The batch's store is queued (or the batch dropped): the worker may take its next parse."""
        if not self.handed.done():
            self.handed.set_result(None)

    def forget(self) -> None:
        """Ask the worker to drop the batch (no error when the worker is gone or shutting down)."""
        with contextlib.suppress(BrokenProcessPool, RuntimeError):
            self.worker.submit(forget, self.key)
        self.hand_over()


class BatchPipeline:
    """Prepares (parses) and stores fetched batches for every mailbox of one instance."""

    def __init__(
        self,
        *,
        inbox: InboxService,
        config: EmailConfig,
        parser: Executor | None = None,
        workers: Sequence[Executor] = (),
        db_url: str | None = None,
    ) -> None:
        if workers and db_url is None:
            raise ValueError("ingest workers need the store's URL")
        self._inbox = inbox
        self._options = config.parse_options()
        self._batch_size = config.batch_size
        self._worker_fetch = config.worker_fetch
        self._fetching: set[str] = set()  # mailboxes the workers may hold sessions on
        self._fetch_failed: set[str] = set()  # mailboxes whose next catch-up the app's session fetches
        self._catch_ups: dict[str, int] = {}  # mailbox -> catch-ups by the workers ended so far
        self._parser = parser
        self._workers = list(workers)
        self._db_url = db_url
        self._turn = itertools.count()
        self._handed: dict[int, asyncio.Future[None]] = {}  # worker index -> its last batch handed over

    def fetches(self, mailbox: MailboxConfig, count: int) -> bool:
        """Whether the ingest workers fetch a catch-up of *count* UIDs of *mailbox* themselves, each
        batch over its own IMAP session (:meth:`fetch_and_prepare`): a bulk catch-up (more than one
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
    ) -> asyncio.Future[Any]:
        """Start parsing a fetched batch; the future's result goes to :meth:`store`."""
        loop = asyncio.get_running_loop()
        kwargs: dict[str, Any] = {"mailbox": mailbox.name, "department": mailbox.department, "validity": validity,
                                  "options": self._options}
        try:
            if self._workers and raws:  # (an empty batch is never stored: nothing to keep)
                worker, key, previous, handed = self._next_turn(mailbox)
                return asyncio.ensure_future(self._parse_on(worker, key, previous, handed, raws, uids, kwargs))
            if self._parser is not None:
                return asyncio.ensure_future(loop.run_in_executor(self._parser, _call, inbound_batch, (raws, uids),
                                                                  kwargs))
        except BrokenProcessPool:  # a pool whose process died refuses work at once
            self._in_loop_from_now_on("a worker process")
            return self.prepare(mailbox, uids, raws, validity)
        future: asyncio.Future[Any] = loop.create_future()
        future.set_result(inbound_batch(raws, uids, **kwargs))
        return future

    def fetch_and_prepare(
        self, mailbox: MailboxConfig, uids: list[int], validity: int
    ) -> asyncio.Future[tuple[list[int], Any]]:
        """Have the next ingest worker fetch *uids* (UIDVALIDITY *validity*) over its own session
        and parse them; the future's result is the UIDs fetched and what goes to :meth:`store`.

        The future raises :class:`WorkerFetchFailed` when the worker's session failed (or the
        worker died): nothing of the range is kept, and the caller's session ends and reconnects.
        """
        self._fetching.add(mailbox.name)
        worker, key, previous, handed = self._next_turn(mailbox)
        catch_up = self._catch_ups.get(mailbox.name, 0)
        return asyncio.ensure_future(self._fetch_on(worker, key, previous, handed, mailbox, uids, validity,
                                                    catch_up))

    def _next_turn(self, mailbox: MailboxConfig) -> tuple[Executor, str, asyncio.Future[None] | None,
                                                           asyncio.Future[None]]:
        """The worker whose turn it is, a key for the batch, and the futures that order its work."""
        turn = next(self._turn)
        index = turn % len(self._workers)
        previous, handed = self._handed.get(index), asyncio.get_running_loop().create_future()
        self._handed[index] = handed
        return self._workers[index], f"{mailbox.name}:{turn}", previous, handed

    async def _parse_on(
        self, worker: Executor, key: str, previous: asyncio.Future[None] | None, handed: asyncio.Future[None],
        raws: list[bytes], uids: list[int], kwargs: dict[str, Any],
    ) -> KeptBatch | list[InboundMessage]:
        """Parse on *worker* once its previous batch's store is queued there; keep the result there."""
        try:
            size = await _after(previous, worker, parse_and_keep, (key, raws, uids), kwargs)
        except BrokenProcessPool:
            _resolve(handed)
            self._in_loop_from_now_on("an ingest worker process")
            return inbound_batch(raws, uids, **kwargs)
        except BaseException:
            _resolve(handed)  # nothing kept: the worker's next parse need not wait
            raise
        return KeptBatch(worker, key, size, handed)

    async def _fetch_on(
        self, worker: Executor, key: str, previous: asyncio.Future[None] | None, handed: asyncio.Future[None],
        mailbox: MailboxConfig, uids: list[int], validity: int, catch_up: int,
    ) -> tuple[list[int], KeptBatch | list[InboundMessage]]:
        """Fetch and parse on *worker* once its previous batch's store is queued there; keep the
        result there. Nothing is fetched once the catch-up (number *catch_up*) has ended: the
        worker already has the order to log out queued, and a fetch after it would open a session
        that nobody closes (and that a server allowing one session per user counts)."""
        try:
            if previous is not None:
                await asyncio.wait({previous}, timeout=HANDOVER_WAIT_SECONDS)
            if self._catch_ups.get(mailbox.name, 0) != catch_up:
                _resolve(handed)
                return [], []
            got, size = await _after(None, worker, fetch_and_keep, (key, mailbox, validity, uids),
                                     {"options": self._options})
        except BrokenProcessPool:
            _resolve(handed)
            self._in_loop_from_now_on("an ingest worker process")
            raise WorkerFetchFailed("an ingest worker process died") from None
        except WorkerFetchFailed:
            _resolve(handed)
            self._fetch_failed.add(mailbox.name)
            raise
        except BaseException:
            _resolve(handed)
            raise
        if not got:  # everything expunged meanwhile: nothing kept, nothing to store
            _resolve(handed)
            return got, []
        return got, KeptBatch(worker, key, size, handed)

    def _in_loop_from_now_on(self, which: str) -> None:
        """A worker process died (killed, out of memory): keep mail flowing, parsed and stored here."""
        log.error("email: %s died; parsing and storing in the event loop from now on", which)
        self._parser = None
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

    async def store(self, prepared: list[InboundMessage] | KeptBatch, checkpoint: Checkpoint) -> list[StoredMessage]:
        """Store a prepared batch with its *checkpoint* (one transaction), then announce what was new."""
        if not isinstance(prepared, KeptBatch):
            return await self._inbox.receive(prepared, checkpoint=checkpoint)
        assert self._db_url is not None
        loop = asyncio.get_running_loop()
        try:
            try:
                storing = loop.run_in_executor(prepared.worker, store_kept, self._db_url, prepared.key, checkpoint)
            finally:
                prepared.hand_over()
            announced, results = await storing
        except BrokenProcessPool:
            # The batch committed or not, with its checkpoint: the next session re-reads the
            # checkpoint and refetches, and dedupe keeps every message once.
            self._in_loop_from_now_on("an ingest worker process")
            raise
        wal = self._inbox.writer.wal
        if wal is not None:
            wal.request(prepared.size)
        await self._inbox.announce(announced, results)
        return results


def discard(prepared: asyncio.Future[Any]) -> None:
    """Free what a prepared batch that will not be stored holds (a worker's kept batch, if any)."""
    if not prepared.done():
        prepared.add_done_callback(discard)
        return
    if prepared.cancelled() or prepared.exception() is not None:
        return
    result = prepared.result()
    if isinstance(result, tuple):  # (the UIDs a worker fetched, what it prepared)
        result = result[1]
    if isinstance(result, KeptBatch):
        result.forget()


async def _after(
    previous: asyncio.Future[None] | None, worker: Executor, function: Any, args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    """Run *function* on *worker* once *previous* (the worker's last kept batch handed to its store) is
    done, or after :data:`HANDOVER_WAIT_SECONDS`."""
    if previous is not None:
        await asyncio.wait({previous}, timeout=HANDOVER_WAIT_SECONDS)
    return await asyncio.get_running_loop().run_in_executor(worker, _call, function, args, kwargs)


def _resolve(handed: asyncio.Future[None]) -> None:
    if not handed.done():
        handed.set_result(None)


def _call(function: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return function(*args, **kwargs)
