"""Routing's Redis state while Redis is down: a step fails as Unavailable (a 503 for the agent), never an
internal error, and works again once the same server is back."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import redis.asyncio as aioredis

from contact_center.errors import Unavailable
from routing.redis_reservations import RedisReservations
from tests.dbservers import RedisServer

pytestmark = pytest.mark.redis


async def test_a_step_while_redis_is_down_is_unavailable_then_works_again(
    redis_factory: Callable[..., RedisServer],
) -> None:
    """accept() with Redis stopped raises Unavailable; after the restart the same call answers normally."""
    server = redis_factory()
    client = aioredis.Redis.from_url(server.url, socket_connect_timeout=2, socket_timeout=2)
    reservations = RedisReservations(client)
    try:
        server.stop()
        with pytest.raises(Unavailable, match="Redis unreachable"):
            await reservations.accept(1, 2, "1.abc", 1_700_000_000.0)
        server.start()
        outcome = await reservations.accept(1, 2, "1.abc", 1_700_000_000.0)
        assert not outcome.ok  # nothing was offered: refused as a stale offer, not an error
    finally:
        await client.aclose()
