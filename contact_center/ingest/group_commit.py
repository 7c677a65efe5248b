"""Group commit: the one loop that turns many small writes into a few transactions.

Every writer of the store that takes items one at a time (CTI posts, chat messages, audit
rows) goes through :class:`GroupCommit`::

    submit(item) ─► queue ─► one writer task takes everything waiting (up to max_batch)
                             ─► write(batch): ONE transaction, one result per item, in order
                             ─► each submitter gets its own result
                  a failed batch ─► its items written again one by one, so a bad item fails alone

*write* is the caller's batch function (an ``async`` callable); it runs the same on SQLite and
PostgreSQL. An idle system writes each item at once (after *window* loop iterations, which let
the tasks the previous item woke run, so concurrent items join the batch); under load, items
that arrive while a batch commits form the next batch, so the number of transactions per
second stays bounded by the store's commit rate and not by the number of items.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")

__all__ = ["GroupCommit"]


class GroupCommit(Generic[Item, Result]):
    """Queues items and writes them in batches through *write*; see the module docstring.

    Args:
        write: stores a batch in one transaction and returns one result per item, in order.
        name: the writer task's name (shown in task dumps and logs).
        max_batch: the largest batch handed to *write*.
        window: loop iterations to wait before writing a lone item (0: write at once).
    """

    def __init__(self, write: Callable[[list[Item]], Awaitable[Sequence[Result]]], *, name: str,
                 max_batch: int = 256, window: int = 0) -> None:
        self._write = write
        self._name = name
        self._max_batch = max_batch
        self._window = window
        self._queue: asyncio.Queue[tuple[Item, asyncio.Future[Result]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._last: asyncio.Future[Result] | None = None

    def start(self) -> None:
        """Start the writer task (in the running loop)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=self._name)

    async def close(self, *, drain: bool = True) -> None:
        """Stop the writer; with *drain*, what is queued is written first (a batch in flight always commits)."""
        if drain and self._task is not None and not self._task.done():
            await self.flush()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        while not self._queue.empty():
            _, fut = self._queue.get_nowait()
            if not fut.done():
                fut.cancel()

    def submit_nowait(self, item: Item) -> asyncio.Future[Result]:
        """Queue *item*; the future resolves with its result once its batch is committed."""
        fut: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((item, fut))
        self._last = fut
        return fut

    async def submit(self, item: Item) -> Result:
        """Queue *item* and wait until it is stored; its result (or the exception its write raised)."""
        return await self.submit_nowait(item)

    async def flush(self) -> None:
        """Wait until everything queued before this call is written (committed or failed)."""
        last = self._last
        if last is not None:
            await asyncio.wait({last})

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            if self._queue.empty():
                for _ in range(self._window):
                    await asyncio.sleep(0)
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            live = [entry for entry in batch if not entry[1].done()]
            if live:
                # Shielded: shutdown cancelling the writer never leaves a transaction half-answered.
                await asyncio.shield(self._commit(live))

    async def _commit(self, batch: list[tuple[Item, asyncio.Future[Result]]]) -> None:
        try:
            results = await self._write([item for item, _ in batch])
        except Exception as exc:
            if len(batch) == 1:
                if not batch[0][1].done():
                    batch[0][1].set_exception(exc)
                    batch[0][1].exception()  # retrieved here: fire-and-forget submitters never look
                log.warning("%s: an item could not be stored (%s: %s)", self._name, type(exc).__name__, exc)
                return
            log.warning("%s: batch of %d failed (%s); writing its items one by one", self._name, len(batch),
                        type(exc).__name__)
            for entry in batch:
                await self._commit([entry])
            return
        for (_, fut), result in zip(batch, results, strict=True):
            if not fut.done():
                fut.set_result(result)
