"""The Redis bus: events go through one Redis stream, so every instance sees every event, in one order.

Local subscribers receive events through Redis too (not short-circuited), so all instances see
one order. The bus survives Redis outages (a restart, with or without persistence):

* **Reading** follows the stream from the last entry this instance handled (``XREAD`` from that
  id, not pub/sub): after a reconnect it reads what other instances published while it was
  away. Entry ids are Redis's clock, so after a restart that lost the stream the new entries
  still come after the last one read before it.
* **Publishing** while Redis is unreachable keeps the events, in order, in a bounded outbox in
  memory and sends them once Redis answers again; nothing published is dropped quietly (a full
  outbox refuses with :class:`~contact_center.errors.Unavailable`). The outbox is memory: an
  instance that dies during an outage loses what it held, which is why everything that must
  survive a crash is in the store first and consumers rebuild from the store.
* After a reconnect the listeners given to :meth:`Bus.on_reconnect` run before the bus reads
  on (routing rebuilds its shared state there, which a restart without persistence lost, so the
  events published meanwhile find it rebuilt).

The stream is capped (``XADD MAXLEN ~``): an instance away longer than the cap's worth of
events misses the oldest and relies on that rebuild.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import deque
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from contact_center.bus.base import Bus
from contact_center.errors import Unavailable
from contact_center.events import Event, decode, encode

log = logging.getLogger(__name__)

STREAM = "cc:events"
FIELD = b"e"  # the one field of a stream entry: the encoded event (or a settle marker)
_MARKER = b"cc-settle:"  # not JSON, so never mistaken for an event
_LOST = (RedisConnectionError, RedisTimeoutError, OSError)  # Redis unreachable (as opposed to refusing a command)
_BATCH = 500
_MAX_BACKOFF = 5.0


class RedisBus(Bus):
    """Publish/subscribe across instances through a Redis stream (see the module docstring)."""

    def __init__(self, client: aioredis.Redis, *, stream: str = STREAM, queue_size: int = 10_000,
                 max_length: int = 10_000, outbox_size: int = 10_000, block_ms: int = 1000) -> None:
        super().__init__(queue_size=queue_size)
        self._redis = client
        self._stream = stream
        self._max_length = max_length
        self._outbox: deque[bytes] = deque()
        self._outbox_size = outbox_size
        self._block_ms = block_ms
        self._last_id: bytes | None = None
        self._reader: asyncio.Task[None] | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._wake = asyncio.Event()
        self._lost: str | None = None  # why the reader is disconnected, or None while it reads
        self._markers: dict[bytes, asyncio.Future[None]] = {}

    async def publish(self, event: Event) -> None:
        await self._publish_raw(encode(event))

    async def start(self) -> None:
        await super().start()
        self._reader = asyncio.create_task(self._read(), name="redis-bus-reader")
        self._flusher = asyncio.create_task(self._flush(), name="redis-bus-outbox")
        async with asyncio.timeout(10):
            await self._ready.wait()

    # ------------------------------------------------------------------ reading

    async def _read(self) -> None:
        backoff = 0.1
        while True:
            try:
                if self._last_id is None:  # first start: from the stream's end
                    newest: Any = await self._redis.xrevrange(self._stream, count=1)
                    self._last_id = newest[0][0] if newest else b"0-0"
                else:
                    await self._redis.ping()
                await self._connected()
                backoff = 0.1
                while True:
                    reply: Any = await self._redis.xread({self._stream: self._last_id or b"0-0"},
                                                         count=_BATCH, block=self._block_ms)
                    for _, entries in reply or ():
                        for entry_id, fields in entries:
                            self._last_id = entry_id
                            self._receive(fields.get(FIELD))
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                if self._lost is None:
                    log.warning("redis bus lost its connection (%s); reconnecting", exc)
                self._lost = str(exc) or type(exc).__name__
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, _MAX_BACKOFF)

    async def _connected(self) -> None:
        was_lost, self._lost = self._lost is not None, None
        self._wake.set()  # whatever waits in the outbox goes now
        if was_lost:
            log.warning("redis bus reconnected; resynchronising before reading on")
            await self._reconnected()
        self._ready.set()

    def _receive(self, data: object) -> None:
        if isinstance(data, bytes) and data.startswith(_MARKER):
            marker = self._markers.get(data)
            if marker is not None and not marker.done():
                marker.set_result(None)
            return  # another instance's settle() marker, or ours
        if not isinstance(data, bytes | str):
            return
        try:
            event = decode(data)
        except (ValueError, TypeError, KeyError):
            log.exception("undecodable event on the bus")
            return
        self._dispatch(event)

    # ------------------------------------------------------------------ publishing

    async def _publish_raw(self, payload: bytes) -> None:
        if self._outbox:  # keep the order: behind what is waiting already
            self._hold(payload)
            return
        for attempt in (1, 2):
            try:
                await self._redis.xadd(self._stream, {FIELD: payload}, maxlen=self._max_length, approximate=True)
                return
            except _LOST as exc:
                # A pooled connection that Redis dropped (restart, CLIENT KILL) fails once: retry on a new one.
                if attempt == 2:
                    if self._flusher is None:  # not started (a one-shot CLI): nobody would send it later
                        raise Unavailable(f"bus unavailable: {exc}") from exc
                    log.warning("redis bus cannot publish (%s); holding events until Redis answers", exc)
                    self._hold(payload)
            except RedisError as exc:
                raise Unavailable(f"bus unavailable: {exc}") from exc

    def _hold(self, payload: bytes) -> None:
        if len(self._outbox) >= self._outbox_size:
            raise Unavailable(f"bus unavailable: Redis unreachable and {len(self._outbox)} events already waiting")
        self._outbox.append(payload)
        self._wake.set()

    async def _flush(self) -> None:
        """Send the outbox, oldest first, as soon as Redis takes it (each batch all or nothing)."""
        backoff = 0.1
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._outbox:
                batch = [self._outbox[i] for i in range(min(len(self._outbox), _BATCH))]
                try:
                    async with self._redis.pipeline(transaction=True) as pipe:
                        for payload in batch:
                            pipe.xadd(self._stream, {FIELD: payload}, maxlen=self._max_length, approximate=True)
                        await pipe.execute()
                except asyncio.CancelledError:
                    raise
                except (RedisError, OSError):
                    with contextlib.suppress(TimeoutError):  # a reconnect of the reader wakes us early
                        await asyncio.wait_for(self._wake.wait(), backoff)
                    self._wake.clear()
                    backoff = min(backoff * 2, _MAX_BACKOFF)
                    continue
                backoff = 0.1
                for _ in batch:
                    self._outbox.popleft()
                if not self._outbox:
                    log.warning("redis bus sent the %d events held while Redis was unreachable", len(batch))

    @property
    def waiting(self) -> int:
        """Events held in the outbox (published while Redis was unreachable, not sent yet)."""
        return len(self._outbox)

    # ------------------------------------------------------------------ settle, health, close

    async def settle(self) -> None:
        """Wait until every event published so far (through Redis) has been handled here.

        A marker goes round through the stream first, so events still in flight in Redis (or in
        the outbox) are queued locally before the local queues are drained. Wrap in ``asyncio.timeout``.
        """
        token = _MARKER + uuid.uuid4().hex.encode()
        arrived: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._markers[token] = arrived
        try:
            await self._publish_raw(token)
            await arrived
        finally:
            self._markers.pop(token, None)
        await super().settle()

    async def healthy(self) -> None:
        problem = self._lost
        if problem is None:
            try:
                await self._redis.ping()
            except RedisError as exc:
                problem = str(exc)
        if problem is None and not self._outbox:
            return
        held = f"; {len(self._outbox)} events waiting to be sent" if self._outbox else ""
        raise Unavailable(f"redis unavailable: {problem or 'reconnecting'}{held}")

    async def close(self) -> None:
        tasks = [t for t in (self._reader, self._flusher) if t is not None]
        for _ in range(20):  # redis-py can swallow a cancel that lands as a command starts: cancel again
            pending = [t for t in tasks if not t.done()]
            if not pending:
                break
            for task in pending:
                task.cancel()
            await asyncio.wait(pending, timeout=0.5)
        self._reader = self._flusher = None
        if self._outbox:
            log.error("redis bus closed with %d events never sent (Redis unreachable)", len(self._outbox))
        await super().close()
