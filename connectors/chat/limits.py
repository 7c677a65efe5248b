"""Per-visitor rate limits: all of a visitor's tabs share one bucket.

On one instance the buckets live in memory (:class:`VisitorLimits`). With Redis configured,
:class:`RedisVisitorLimits` keeps them in Redis, so a visitor whose tabs reach different
instances behind the load balancer still gets one allowance, not one per instance.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Protocol

from redis.exceptions import RedisError

from connectors.chat.config import ChatConfig
from connectors.chat.protocol import TokenBucket

if TYPE_CHECKING:
    import redis.asyncio as aioredis

log = logging.getLogger(__name__)

_MAX_VISITORS = 100_000


class RateLimits(Protocol):
    """What the visitor socket asks before storing a message."""

    async def check(self, visitor_id: str) -> float | None:
        """``None`` when *visitor_id* may send now, else the seconds to wait."""


class VisitorLimits:
    """Token buckets by visitor id; idle buckets are forgotten when the table grows large."""

    def __init__(self, config: ChatConfig) -> None:
        self._rate = config.rate_per_second
        self._burst = config.burst
        self._refill = config.refill_seconds
        self._buckets: dict[str, TokenBucket] = {}

    async def check(self, visitor_id: str) -> float | None:
        """``None`` when *visitor_id* may send now, else the seconds to wait."""
        return self.check_now(visitor_id)

    def check_now(self, visitor_id: str) -> float | None:
        """:meth:`check` without awaiting (this instance's buckets only)."""
        now = time.monotonic()
        bucket = self._buckets.get(visitor_id)
        if bucket is None:
            if len(self._buckets) >= _MAX_VISITORS:
                self._forget_full(now)
            bucket = self._buckets[visitor_id] = TokenBucket(rate=self._rate, burst=self._burst, now=now)
        return bucket.take(now)

    def _forget_full(self, now: float) -> None:
        # A bucket that would be full again carries no state worth keeping.
        self._buckets = {k: b for k, b in self._buckets.items() if now - b.updated < self._refill}


# One token bucket in a hash (tokens, last update), refilled by the time passed on Redis's own
# clock (instances' clocks may differ). Lua numbers come back as integers: the wait is a string.
_TAKE = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1000000
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or t
tokens = math.min(burst, tokens + math.max(0, t - at) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(t))
redis.call('EXPIRE', KEYS[1], ARGV[3])
return tostring(wait)
"""


class RedisVisitorLimits:
    """The visitors' buckets in Redis, shared by every instance; while Redis cannot be reached,
    this instance's own buckets limit (chat keeps working, a little more loosely)."""

    def __init__(self, client: aioredis.Redis, config: ChatConfig, *, prefix: str = "cc:chat:rate:") -> None:
        self._take = client.register_script(_TAKE)
        self._args = (config.rate_per_second, config.burst, int(config.refill_seconds) + 1)  # TTL: refilled by then
        self._prefix = prefix
        self._local = VisitorLimits(config)

    async def check(self, visitor_id: str) -> float | None:
        """``None`` when *visitor_id* may send now, else the seconds to wait."""
        try:
            wait = float(await self._take(keys=[self._prefix + visitor_id], args=list(self._args)))
        except RedisError as exc:
            log.warning("chat rate limit: Redis unavailable (%s); limiting on this instance", exc)
            return self._local.check_now(visitor_id)
        return wait if wait > 0 else None
