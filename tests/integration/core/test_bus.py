"""One contract for both buses, run on MemoryBus and on RedisBus against a real redis-server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import redis.asyncio as aioredis

from contact_center.bus.base import Bus
from contact_center.bus.memory import MemoryBus
from contact_center.bus.redis import FIELD, STREAM, RedisBus
from contact_center.errors import Unavailable
from contact_center.events import AgentPresenceChanged, CallRang, DtmfReceived, Event, SupervisorsNotified
from tests.dbservers import RedisServer

BusMaker = Callable[[], Awaitable[Bus]]


def _rang(n: int) -> CallRang:
    return CallRang(call_id=f"c{n}", pbx="office", direction="in", from_number="+4930123", to_number="+4930999",
                    conversation_id=n, at=1_700_000_000.0 + n)


def _dtmf(n: int) -> DtmfReceived:
    return DtmfReceived(call_id=f"c{n}", conversation_id=n, digits=str(n), at=1_700_000_000.0 + n)


class Recorder:
    """A handler that records what it got (and can be told to fail on some events)."""

    def __init__(self, fail_on: Callable[[Event], bool] = lambda e: False) -> None:
        self.seen: list[Event] = []
        self._fail_on = fail_on

    async def __call__(self, event: Event) -> None:
        await asyncio.sleep(0)  # a real handler yields; order must survive that
        if self._fail_on(event):
            raise RuntimeError(f"handler failed on {event}")
        self.seen.append(event)


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def make_bus(request: pytest.FixtureRequest) -> AsyncIterator[BusMaker]:
    """Starts buses of one kind; Redis ones share one real server (like app instances do)."""
    buses: list[Bus] = []
    clients: list[aioredis.Redis] = []

    async def make() -> Bus:
        if request.param == "memory":
            bus: Bus = MemoryBus()
        else:
            client = aioredis.Redis.from_url(request.getfixturevalue("redis_url"))
            clients.append(client)
            bus = RedisBus(client)
        await bus.start()
        buses.append(bus)
        return bus

    yield make
    for bus in buses:
        await bus.close()
    for client in clients:
        await client.aclose()


async def _settled(*buses: Bus) -> None:
    async with asyncio.timeout(10):
        for bus in buses:
            await bus.settle()


async def test_delivery_by_type(make_bus: BusMaker) -> None:
    """Subscribers get exactly the event types they asked for; no types means all."""
    bus = await make_bus()
    calls, dtmf, everything = Recorder(), Recorder(), Recorder()
    bus.subscribe(calls, CallRang)
    bus.subscribe(dtmf, DtmfReceived, AgentPresenceChanged)
    bus.subscribe(everything)
    await bus.publish(_rang(1))
    await bus.publish(_dtmf(2))
    await bus.publish(SupervisorsNotified(frame={"type": "queues", "n": 1}))
    await _settled(bus)
    assert calls.seen == [_rang(1)]
    assert dtmf.seen == [_dtmf(2)]
    assert [type(e).__name__ for e in everything.seen] == ["CallRang", "DtmfReceived", "SupervisorsNotified"]


async def test_order_is_kept_per_subscriber(make_bus: BusMaker) -> None:
    """Each subscriber sees events in publish order, even when handlers yield."""
    bus = await make_bus()
    first, second = Recorder(), Recorder()
    bus.subscribe(first, CallRang)
    bus.subscribe(second, CallRang)
    for n in range(60):
        await bus.publish(_rang(n))
    await _settled(bus)
    assert [e.conversation_id for e in first.seen] == list(range(60))
    assert second.seen == first.seen


async def test_failing_handler_does_not_stop_its_subscriber(make_bus: BusMaker) -> None:
    """A handler that raises on one event still gets the following ones; others are unaffected."""
    bus = await make_bus()
    flaky = Recorder(fail_on=lambda e: isinstance(e, CallRang) and e.conversation_id % 2 == 0)
    steady = Recorder()
    bus.subscribe(flaky, CallRang)
    bus.subscribe(steady, CallRang)
    for n in range(6):
        await bus.publish(_rang(n))
    await _settled(bus)
    assert [e.conversation_id for e in flaky.seen] == [1, 3, 5]
    assert len(steady.seen) == 6


async def test_unsubscribe_stops_delivery(make_bus: BusMaker) -> None:
    """After unsubscribe() a handler gets nothing more; other subscribers continue."""
    bus = await make_bus()
    leaving, staying = Recorder(), Recorder()
    unsubscribe = bus.subscribe(leaving, CallRang)
    bus.subscribe(staying, CallRang)
    await bus.publish(_rang(1))
    await _settled(bus)
    unsubscribe()
    unsubscribe()  # twice is harmless
    await bus.publish(_rang(2))
    await _settled(bus)
    assert leaving.seen == [_rang(1)]
    assert staying.seen == [_rang(1), _rang(2)]


async def test_settle_waits_for_slow_handlers(make_bus: BusMaker) -> None:
    """settle() returns only when every published event has been handled, slow handlers included."""
    bus = await make_bus()
    done: list[int] = []

    async def slow(event: CallRang) -> None:
        await asyncio.sleep(0.01)
        done.append(event.conversation_id)

    bus.subscribe(slow, CallRang)
    for n in range(5):
        await bus.publish(_rang(n))
    await _settled(bus)
    assert done == [0, 1, 2, 3, 4]


async def test_subscribing_after_start_works(make_bus: BusMaker) -> None:
    """A subscriber added while the bus runs gets the events published afterwards."""
    bus = await make_bus()
    await bus.publish(_rang(0))
    await _settled(bus)
    late = Recorder()
    bus.subscribe(late, CallRang)
    await bus.publish(_rang(1))
    await _settled(bus)
    assert late.seen == [_rang(1)]


async def test_healthy_when_running(make_bus: BusMaker) -> None:
    """A running bus reports healthy."""
    bus = await make_bus()
    await bus.healthy()


async def test_events_that_cannot_travel_are_refused_at_publish(make_bus: BusMaker) -> None:
    """Publishing a non-JSON-serialisable event fails in the publisher, on both buses."""
    bus = await make_bus()
    with pytest.raises(TypeError):
        await bus.publish(SupervisorsNotified(frame={"bad": object()}))


# ---------------------------------------------------------------------------- Redis only


@pytest.fixture
async def redis_admin(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url)
    yield client
    await client.aclose()


async def test_two_redis_instances_see_each_others_events(redis_url: str) -> None:
    """An event published on one instance reaches subscribers on both instances."""
    buses = [RedisBus(aioredis.Redis.from_url(redis_url)) for _ in range(2)]
    seen = [Recorder(), Recorder()]
    for bus, rec in zip(buses, seen, strict=True):
        bus.subscribe(rec, CallRang)
        await bus.start()
    try:
        await buses[0].publish(_rang(1))
        await buses[1].publish(_rang(2))
        await _settled(*buses)
        assert seen[0].seen == [_rang(1), _rang(2)]
        assert seen[1].seen == [_rang(1), _rang(2)]
    finally:
        for bus in buses:
            await bus.close()
            await bus._redis.aclose()


@pytest.fixture
async def recorded_redis_bus(redis_url: str) -> AsyncIterator[tuple[RedisBus, Recorder]]:
    """A started RedisBus on its own client, with a Recorder subscribed to CallRang."""
    client = aioredis.Redis.from_url(redis_url)
    bus = RedisBus(client)
    rec = Recorder()
    bus.subscribe(rec, CallRang)
    await bus.start()
    yield bus, rec
    await bus.close()
    await client.aclose()


async def test_redis_bus_resubscribes_after_the_connection_drops(
    recorded_redis_bus: tuple[RedisBus, Recorder], redis_admin: aioredis.Redis,
) -> None:
    """When Redis kills the bus's connections, the bus reconnects and delivery resumes."""
    bus, rec = recorded_redis_bus
    await bus.publish(_rang(1))
    await _settled(bus)
    killed = await redis_admin.execute_command("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")
    assert killed >= 1
    await bus.publish(_rang(2))
    await _settled(bus)
    assert rec.seen == [_rang(1), _rang(2)]


async def test_redis_bus_survives_garbage_on_its_channel(
    recorded_redis_bus: tuple[RedisBus, Recorder], redis_admin: aioredis.Redis,
) -> None:
    """Foreign or malformed messages on the channel are dropped; real events keep flowing."""
    bus, rec = recorded_redis_bus
    for junk in (b"not json", b"[1, 2]", b'{"type": "NoSuch", "data": {}}', b'{"type": "CallRang", "data": {}}'):
        await redis_admin.xadd(STREAM, {FIELD: junk})
    await redis_admin.xadd(STREAM, {b"other": b"field"})
    await bus.publish(_rang(3))
    await _settled(bus)
    assert rec.seen == [_rang(3)]


async def test_events_published_while_redis_restarts_reach_every_instance(
    redis_factory: Callable[[], RedisServer],
) -> None:
    """Events published while Redis is down (a restart that keeps nothing) are held, then reach both
    instances in each publisher's order; each bus runs its reconnect listeners; health says why meanwhile."""
    server = redis_factory()
    buses = [RedisBus(aioredis.Redis.from_url(server.url)) for _ in range(2)]
    seen = [Recorder(), Recorder()]
    resyncs: list[int] = []
    for n, (bus, rec) in enumerate(zip(buses, seen, strict=True)):
        bus.subscribe(rec, CallRang)

        async def resync(n: int = n) -> None:
            resyncs.append(n)

        bus.on_reconnect(resync)
        await bus.start()
    try:
        await buses[0].publish(_rang(1))
        await _settled(*buses)
        server.stop()
        for bus, n in ((buses[0], 2), (buses[1], 3), (buses[0], 4)):
            await bus.publish(_rang(n))  # held, not refused
        with pytest.raises(Unavailable, match="events waiting"):
            await buses[0].healthy()
        server.start()
        async with asyncio.timeout(60):
            for bus in buses:
                await bus.settle()
        for rec in seen:
            ids = [e.conversation_id for e in rec.seen]
            assert sorted(ids) == [1, 2, 3, 4]
            assert ids.index(2) < ids.index(4)
        assert sorted(resyncs) == [0, 1]
        await buses[0].healthy()
    finally:
        for bus in buses:
            await bus.close()
            await bus._redis.aclose()


async def test_a_full_outbox_refuses_rather_than_drops(redis_factory: Callable[[], RedisServer]) -> None:
    """With Redis down and the outbox full, publish raises Unavailable; a bus never started (a CLI) refuses at once."""
    server = redis_factory()
    client = aioredis.Redis.from_url(server.url)
    bus = RedisBus(client, outbox_size=2)
    idle = RedisBus(client)
    await bus.start()
    try:
        server.stop()
        await bus.publish(_rang(1))
        await bus.publish(_rang(2))
        with pytest.raises(Unavailable):
            await bus.publish(_rang(3))
        with pytest.raises(Unavailable):
            await idle.publish(_rang(4))
        assert bus.waiting == 2
    finally:
        await bus.close()
        await client.aclose()


async def test_the_in_process_bus_delivers_at_once_and_never_resynchronises() -> None:
    """The single-instance set-up is unchanged: MemoryBus hands events to subscribers with no transport
    between, holds nothing back, and never runs reconnect listeners."""
    bus = MemoryBus()
    rec = Recorder()
    resyncs: list[int] = []

    async def resync() -> None:
        resyncs.append(1)

    bus.subscribe(rec, CallRang)
    bus.on_reconnect(resync)
    await bus.start()
    try:
        await bus.publish(_rang(1))
        await _settled(bus)
        await bus.healthy()
    finally:
        await bus.close()
    assert rec.seen == [_rang(1)]
    assert resyncs == []
