"""Reading one mailbox for ever: catch up from the durable checkpoint, then IDLE.

Per session: ``SELECT`` (its ``UIDNEXT`` answers "anything new?" with no further round trip),
``UID SEARCH UID n:*`` for the new UIDs, ``UID FETCH`` in batches of at most 200 while the
previous batches are parsed and stored (one transaction per batch, checkpoint included, through
the core's ingest spine; see :mod:`connectors.email.pipeline`), then
``IDLE`` until the server pushes ``EXISTS`` (Dovecot does so about half a second after delivery)
or the re-IDLE interval ends. A dropped connection, ``BYE`` or error closes the session; the
next one starts after a backoff that doubles up to a limit and resets once a session got going.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any

import aioimaplib

from connectors.email.config import EmailConfig, MailboxConfig
from connectors.email.imap_protocol import batches, has_new_mail, says_bye
from connectors.email.imap_session import ConnectionDropped, ImapError, ImapSession, open_session
from connectors.email.pipeline import BatchPipeline, discard
from contact_center.inbox.records import Checkpoint, StoredMessage
from contact_center.inbox.service import InboxService

log = logging.getLogger(__name__)

NETWORK_ERRORS = (OSError, asyncio.TimeoutError, aioimaplib.AioImapException, ImapError, EOFError)


class MailboxIngest:
    """Keeps one mailbox's new mail flowing into the inbox."""

    def __init__(
        self,
        *,
        mailbox: MailboxConfig,
        inbox: InboxService,
        config: EmailConfig,
        on_stored: Callable[[list[StoredMessage]], Awaitable[None]] | None = None,
        pipeline: BatchPipeline | None = None,
    ) -> None:
        self.mailbox = mailbox
        self._pipeline = pipeline or BatchPipeline(inbox=inbox, config=config)
        self._inbox = inbox
        self._config = config
        self._on_stored = on_stored
        self.sessions = 0  # sessions opened so far (reconnects are visible in tests and metrics)
        self.connected = asyncio.Event()
        self._caught_up = asyncio.Condition()
        self._stopping = asyncio.Event()

    async def wait_connected(self, sessions: int = 1) -> None:
        """Wait until session number *sessions* (1 = the first) has caught up and is idling."""
        async with self._caught_up:
            await self._caught_up.wait_for(lambda: self.sessions >= sessions and self.connected.is_set())

    def stop(self) -> None:
        """Ask :meth:`run` to end at the next safe point (never inside a store transaction)."""
        self._stopping.set()

    async def run(self) -> None:
        """Read the mailbox until cancelled, reconnecting with backoff after every failure."""
        delay = self._config.reconnect_min_seconds
        while not self._stopping.is_set():
            try:
                await self._session()
            except NETWORK_ERRORS as exc:
                log.warning("mailbox %s: %s: %s; reconnecting", self.mailbox.name, type(exc).__name__, exc)
            except Exception:
                log.exception("mailbox %s: unexpected failure; reconnecting", self.mailbox.name)
            got_going = self.connected.is_set()
            self.connected.clear()
            if got_going:
                delay = self._config.reconnect_min_seconds
            # Jitter, so that instances do not reconnect in step; a stop request ends the wait.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay * (0.5 + random.random()))
            delay = min(max(delay * 2, 0.1), self._config.reconnect_max_seconds)

    async def _session(self) -> None:
        session = await open_session(self.mailbox)
        self.sessions += 1
        try:
            await self.catch_up(session, first=True)
            async with self._caught_up:
                self.connected.set()
                self._caught_up.notify_all()
            while not self._stopping.is_set():
                await self._idle(session)
                await self.catch_up(session)
        finally:
            await session.close()

    async def catch_up(self, session: ImapSession, *, first: bool = False) -> int:
        """Store every message above the checkpoint; returns how many were new.

        On a session's *first* check the ``UIDNEXT`` from ``SELECT`` settles "nothing new" with
        no round trip at all; later checks (after IDLE) cost one ``UID SEARCH``.
        """
        validity = session.selected.uidvalidity
        saved = await self._inbox.conversations.checkpoint(self.mailbox.name)
        last_uid = saved[1] if saved and saved[0] == validity else 0
        if saved and saved[0] != validity:
            log.warning("mailbox %s: UIDVALIDITY changed %s -> %s; reading it again (Message-ID dedupe)",
                        self.mailbox.name, saved[0], validity)
        uidnext = session.selected.uidnext
        if first and uidnext is not None and uidnext <= last_uid + 1:
            return 0
        uids = await session.search_after(last_uid)
        try:
            return await self._fetch_and_store(session, uids, validity)
        finally:
            self._pipeline.caught_up(self.mailbox)

    async def _fetch_and_store(self, session: ImapSession, uids: list[int], validity: int) -> int:
        # Three stages overlap: fetching batch n+2, parsing n+1 (in a worker process, when
        # configured) and storing n (through the spine: its writer process, or the database driver).
        # In a bulk catch-up with workers, each worker fetches and parses its own batches
        # (the UIDs fetched come with the prepared batch: ``None`` below).
        queue: asyncio.Queue[tuple[list[int] | None, asyncio.Future[Any]] | None] = asyncio.Queue(maxsize=2)
        in_workers = self._pipeline.fetches(self.mailbox, len(uids))

        async def produce() -> None:
            for chunk in batches(uids, self._config.batch_size):
                if self._stopping.is_set():
                    break
                got: list[int] | None = None
                prepared: asyncio.Future[Any]
                if in_workers:
                    prepared = self._pipeline.fetch_and_prepare(self.mailbox, chunk, validity)
                else:
                    fetched = await session.fetch(chunk)
                    got = [uid for uid, _ in fetched]
                    prepared = self._pipeline.prepare(self.mailbox, got, [raw for _, raw in fetched], validity)
                try:
                    await queue.put((got, prepared))
                except asyncio.CancelledError:  # the consumer failed while this batch waited for room
                    discard(prepared)
                    raise
            await queue.put(None)

        producer = asyncio.create_task(produce(), name=f"imap-fetch-{self.mailbox.name}")
        new = 0
        try:
            while (item := await queue.get()) is not None:
                fetched_uids, preparing = item
                prepared = await preparing
                if fetched_uids is None:
                    fetched_uids, prepared = prepared
                new += await self._store(fetched_uids, prepared, validity)
            await producer
        finally:
            producer.cancel()
            with contextlib.suppress(asyncio.CancelledError, *NETWORK_ERRORS):
                await producer
            while not queue.empty():  # batches fetched but not stored (an error or a stop)
                if (left := queue.get_nowait()) is not None:
                    discard(left[1])
        return new

    async def _store(self, uids: list[int], prepared: Any, validity: int) -> int:
        if not uids:
            return 0
        checkpoint = Checkpoint(self.mailbox.name, validity, max(uids))
        # A cancellation (shutdown) lets the batch's transaction finish first, then ends us.
        storing = asyncio.ensure_future(self._pipeline.store(prepared, checkpoint))
        try:
            stored = await asyncio.shield(storing)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await storing
            raise
        if self._on_stored is not None:
            await self._on_stored(stored)
        return sum(1 for s in stored if not s.duplicate)

    async def _idle(self, session: ImapSession) -> None:
        """IDLE until new mail, the re-IDLE interval, or a dropped connection (raises)."""
        client = session.client
        idle = await session.guarded(client.idle_start(timeout=self._config.idle_seconds))
        push = asyncio.ensure_future(client.wait_server_push(timeout=self._config.idle_seconds + 30))
        lost = asyncio.ensure_future(session.lost.wait())
        stop = asyncio.ensure_future(self._stopping.wait())
        try:
            while True:
                done, _ = await asyncio.wait({push, lost, stop}, return_when=asyncio.FIRST_COMPLETED)
                if lost in done:
                    raise ConnectionDropped("connection closed by the server")
                if stop in done:
                    break
                lines = push.result()
                if says_bye(lines):
                    raise ConnectionDropped("server said BYE")
                if lines == aioimaplib.STOP_WAIT_SERVER_PUSH or has_new_mail(lines):
                    break
                push = asyncio.ensure_future(client.wait_server_push(timeout=self._config.idle_seconds + 30))
        finally:
            push.cancel()
            lost.cancel()
            stop.cancel()
        client.idle_done()
        await session.guarded(asyncio.wait_for(idle, self.mailbox.timeout_seconds))
        _drain(client)


def _drain(client: aioimaplib.IMAP4) -> None:
    queue = client.protocol.idle_queue
    while not queue.empty():
        queue.get_nowait()
