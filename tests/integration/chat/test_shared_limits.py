"""Chat rate limits shared through a real Redis: one allowance per visitor across instances."""

from __future__ import annotations

from collections.abc import Callable

import redis.asyncio as aioredis

from connectors.chat.config import load_chat_config
from connectors.chat.limits import RedisVisitorLimits
from tests.component.chat.conftest import ChatAppStarter
from tests.servers import RedisServer


async def test_two_instances_share_one_bucket_per_visitor(chat_app: ChatAppStarter, redis_url: str) -> None:
    """A visitor's tabs on two instances get one burst between them; another visitor is unaffected."""
    section = {"burst": 2, "rate_per_minute": 6}
    first = await chat_app(section, redis_url=redis_url)
    second = await chat_app(section, seed=False, redis_url=redis_url,
                            database_url=str(first.running.db.url))
    tab1, welcome = await first.visitor()
    tab2, _ = await second.visitor(visitor_id=welcome["visitor_id"])
    assert (await tab1.say("c-1", "one"))["type"] == "ack"
    assert (await tab2.say("c-2", "two"))["type"] == "ack"
    limited = await tab1.say("c-3", "three")
    assert limited["code"] == "rate_limited"
    assert 0 < limited["retry_after"] <= 10  # one token at 6 a minute
    assert (await tab2.say("c-4", "four"))["code"] == "rate_limited"
    other, _ = await second.visitor()
    assert (await other.say("c-1", "another visitor"))["type"] == "ack"


async def test_without_redis_each_instance_still_limits(redis_factory: Callable[[], RedisServer]) -> None:
    """Redis gone: the limiter falls back to this instance's buckets instead of failing the chat."""
    server = redis_factory()
    client = aioredis.Redis.from_url(server.url)
    limits = RedisVisitorLimits(client, load_chat_config({"burst": 2, "rate_per_minute": 6}))
    try:
        assert await limits.check("v-1") is None  # through Redis
        server.stop()
        assert await limits.check("v-1") is None  # local bucket, full
        assert await limits.check("v-1") is None
        wait = await limits.check("v-1")
        assert wait is not None
        assert wait > 0
    finally:
        await client.aclose()
