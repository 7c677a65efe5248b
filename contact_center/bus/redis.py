"""The Redis bus: events go through one pub/sub channel, so every instance sees every event.

Local subscribers receive events through Redis too (not short-circuited), so all instances see
one order. Pub/sub is at-most-once: anything that must survive a crash is in the store first,
and consumers rebuild from the store after a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from contact_center.bus.base import Bus
from contact_center.errors import Unavailable
from contact_center.events import Event, decode, encode

log = logging.getLogger(__name__)

_MARKER = b"cc-settle:"  # not JSON, so never mistaken for an event


class RedisBus(Bus):
    """Publish/subscribe across instances through a Redis channel."""

    def __init__(self, client: aioredis.Redis, *, channel: str = "cc:events", queue_size: int = 10_000) -> None:
        super().__init__(queue_size=queue_size)
        self._redis = client
        self._channel = channel
        self._reader: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._markers: dict[bytes, asyncio.Future[None]] = {}

    async def publish(self, event: Event) -> None:
        await self._publish_raw(encode(event))

    async def start(self) -> None:
        await super().start()
        self._reader = asyncio.create_task(self._read(), name="redis-bus-reader")
        async with asyncio.timeout(10):
            await self._ready.wait()

    async def _read(self) -> None:
        backoff = 0.1
        while True:
            try:
                async with self._redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(self._channel)
                    self._ready.set()
                    backoff = 0.1
                    async for message in pubsub.listen():
                        self._receive(message.get("data"))
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                log.warning("redis bus lost its subscription (%s); retrying in %.1fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def settle(self) -> None:
        """Wait until every event published so far (through Redis) has been handled here.

        A marker goes round through the channel first, so events still in flight in Redis are
        queued locally before the local queues are drained. Wrap in ``asyncio.timeout``.
        """
        token = _MARKER + uuid.uuid4().hex.encode()
        arrived: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._markers[token] = arrived
        try:
            while not arrived.done():  # published again if it fell into a reconnect gap
                await self._publish_raw(token)
                await asyncio.wait({arrived}, timeout=1.0)
        finally:
            self._markers.pop(token, None)
        await super().settle()

    async def _publish_raw(self, payload: bytes) -> None:
        for attempt in (1, 2):
            try:
                await self._redis.publish(self._channel, payload)
                return
            except RedisConnectionError as exc:
                # A pooled connection that Redis dropped (restart, CLIENT KILL) fails once: retry on a new one.
                if attempt == 2:
                    raise Unavailable(f"bus unavailable: {exc}") from exc
            except RedisError as exc:
                raise Unavailable(f"bus unavailable: {exc}") from exc

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

    async def healthy(self) -> None:
        try:
            await self._redis.ping()
        except RedisError as exc:
            raise Unavailable(f"redis unavailable: {exc}") from exc

    async def close(self) -> None:
        if self._reader:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        await super().close()
