"""The bus interface: typed events published once, delivered to every matching subscriber.

Each subscriber gets its own queue and task, so a slow handler delays only itself and events
reach one subscriber in the order they were published. A handler that raises is logged and
the subscriber keeps running. Implementations differ only in transport: in-process
(:mod:`.memory`) or through Redis pub/sub to every instance (:mod:`.redis`).
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from typing import Any

from contact_center.events import Event

log = logging.getLogger(__name__)

Handler = Callable[[Any], Awaitable[None]]


class _Subscriber:
    def __init__(self, handler: Handler, types: tuple[type, ...], maxsize: int) -> None:
        self.handler = handler
        self.types = types
        self.queue: asyncio.Queue[Event] = asyncio.Queue(maxsize)
        self.task: asyncio.Task[None] | None = None

    def wants(self, event: Event) -> bool:
        return not self.types or isinstance(event, self.types)

    async def run(self) -> None:
        while True:
            event = await self.queue.get()
            try:
                await self.handler(event)
            except Exception:
                log.exception("bus handler %r failed on %s", self.handler, type(event).__name__)
            finally:
                self.queue.task_done()


class Bus(ABC):
    """Publish/subscribe for :data:`contact_center.events.Event`."""

    def __init__(self, *, queue_size: int = 10_000) -> None:
        self._subscribers: list[_Subscriber] = []
        self._queue_size = queue_size
        self._started = False
        self._on_reconnect: list[Callable[[], Awaitable[None]]] = []

    def subscribe(self, handler: Handler, *types: type) -> Callable[[], None]:
        """Call *handler* for every event of *types* (all events when none given).

        Returns a function that removes the subscription.
        """
        sub = _Subscriber(handler, types, self._queue_size)
        self._subscribers.append(sub)
        if self._started:
            sub.task = asyncio.create_task(sub.run(), name=f"bus-sub-{handler!r}")

        def unsubscribe() -> None:
            if sub in self._subscribers:
                self._subscribers.remove(sub)
            if sub.task:
                sub.task.cancel()

        return unsubscribe

    def on_reconnect(self, listener: Callable[[], Awaitable[None]]) -> None:
        """Run *listener* each time a shared bus is connected again after losing its transport
        (events may have been missed, shared state lost): to resynchronise. The bus reads on only
        when every listener is done (or gave up after ``resync_timeout``), so the events it then
        reads find the state rebuilt. Never called in-process."""
        self._on_reconnect.append(listener)

    async def _reconnected(self, resync_timeout: float = 60.0) -> None:
        for listener in list(self._on_reconnect):
            try:
                async with asyncio.timeout(resync_timeout):
                    await listener()
            except Exception:
                log.exception("resynchronising %r after a reconnect failed", listener)

    def _dispatch(self, event: Event) -> None:
        for sub in self._subscribers:
            if sub.wants(event):
                try:
                    sub.queue.put_nowait(event)
                except asyncio.QueueFull:
                    log.error("bus subscriber %r is %d events behind; dropping %s",
                              sub.handler, sub.queue.qsize(), type(event).__name__)

    @abstractmethod
    async def publish(self, event: Event) -> None:
        """Deliver *event* to every matching subscriber (on every instance, for shared buses)."""

    async def start(self) -> None:
        self._started = True
        for sub in self._subscribers:
            if sub.task is None:
                sub.task = asyncio.create_task(sub.run(), name=f"bus-sub-{sub.handler!r}")

    async def close(self) -> None:
        self._started = False
        for sub in self._subscribers:
            if sub.task:
                sub.task.cancel()
        await asyncio.gather(*(s.task for s in self._subscribers if s.task), return_exceptions=True)
        for sub in self._subscribers:
            sub.task = None

    async def settle(self) -> None:
        """Wait until every event delivered so far has been handled (tests and shutdown).

        Wrap in ``asyncio.timeout`` to bound the wait.
        """
        for sub in list(self._subscribers):
            await sub.queue.join()

    @abstractmethod
    async def healthy(self) -> None:
        """Raise :class:`contact_center.errors.Unavailable` if the transport is down."""
