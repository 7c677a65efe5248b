"""Per-visitor rate limits on this instance (all of a visitor's tabs share one bucket)."""

from __future__ import annotations

import time

from connectors.chat.config import ChatConfig
from connectors.chat.protocol import TokenBucket

_MAX_VISITORS = 100_000


class VisitorLimits:
    """Token buckets by visitor id; idle buckets are forgotten when the table grows large."""

    def __init__(self, config: ChatConfig) -> None:
        self._rate = config.rate_per_minute / 60.0
        self._burst = config.burst
        self._buckets: dict[str, TokenBucket] = {}

    def check(self, visitor_id: str) -> float | None:
        """``None`` when *visitor_id* may send now, else the seconds to wait."""
        now = time.monotonic()
        bucket = self._buckets.get(visitor_id)
        if bucket is None:
            if len(self._buckets) >= _MAX_VISITORS:
                self._forget_full(now)
            bucket = self._buckets[visitor_id] = TokenBucket(rate=self._rate, burst=self._burst, now=now)
        return bucket.take(now)

    def _forget_full(self, now: float) -> None:
        # A bucket that would be full again carries no state worth keeping.
        refill = self._burst / self._rate
        self._buckets = {k: b for k, b in self._buckets.items() if now - b.updated < refill}
