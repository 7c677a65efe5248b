"""Both reservation stores behind one fixture: in memory, and in a real Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from routing.reservations import MemoryReservations, Reservations


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[Reservations]:
    """The same contract, run against MemoryReservations and against RedisReservations on a real Redis."""
    if request.param == "memory":
        yield MemoryReservations()
        return
    from routing.redis_reservations import RedisReservations

    client = aioredis.Redis.from_url(request.getfixturevalue("redis_url"))
    try:
        yield RedisReservations(client)
    finally:
        await client.aclose()
