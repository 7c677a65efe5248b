"""Group commit for chat messages: every message waiting when the store is free goes in one batch.

Each visitor message is one small transaction on its own; under load (hundreds of visitors
typing at once, SQLite's single writer) they would queue behind each other. The batcher hands
everything that arrived since the last write to :meth:`InboxService.receive` at once (up to
``MAX_BATCH``), which stores a batch in a fixed number of queries. An idle system writes each
message immediately, so a quiet chat gains no delay.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from contact_center.inbox.records import InboundMessage, StoredMessage
from contact_center.inbox.service import InboxService

log = logging.getLogger(__name__)

MAX_BATCH = 200


class ChatBatcher:
    """Collects inbound chat messages and stores them in batches, one writer task per instance."""

    def __init__(self, inbox: InboxService) -> None:
        self._inbox = inbox
        self._queue: asyncio.Queue[tuple[InboundMessage, asyncio.Future[StoredMessage]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="chat-batcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def store(self, message: InboundMessage) -> StoredMessage:
        """Store *message* (with whatever else is waiting) and return what happened to it."""
        future: asyncio.Future[StoredMessage] = asyncio.get_running_loop().create_future()
        await self._queue.put((message, future))
        return await future

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            await self._write(batch)

    async def _write(self, batch: list[tuple[InboundMessage, asyncio.Future[StoredMessage]]]) -> None:
        try:
            # The transaction finishes even when shutdown cancels us, so no waiter is left unsure.
            results = await asyncio.shield(self._inbox.receive([m for m, _ in batch]))
        except Exception as exc:
            log.exception("storing %d chat messages failed", len(batch))
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)
