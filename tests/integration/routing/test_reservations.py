"""The reservation contract, identical in memory and in a real Redis (Lua scripts)."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis

from routing.model import AgentState, ContactState
from routing.reservations import offer_timer
from routing.wrapup import WrapUp

pytestmark = pytest.mark.redis
NOW = 1_700_000_000.0


def agent(uid: int, **kw) -> AgentState:
    base = {"departments": ("sales",), "capacity": {"email": 2, "call": 1}, "skills": {"lang:de": 3}}
    return AgentState(user_id=uid, username=f"a{uid}", **{**base, **kw})


def contact(cid: int, **kw) -> ContactState:
    base = {"channel": "email", "department": "sales", "queue": "sales.email", "enqueued_at": NOW - 30,
            "rank": NOW - 30 + cid, "service_level": 60.0}
    return ContactState(conversation_id=cid, **{**base, **kw})


async def ready(store, *uids: int) -> None:
    await store.upsert_agents([agent(u) for u in uids])
    for u in uids:
        await store.set_presence(u, "available", None, NOW - 100)


async def test_claim_accept_counts_load_and_service_level(store):
    """A claim offers the contact; accepting assigns it, raises the agent's load and counts the answer."""
    await ready(store, 1)
    assert await store.enqueue(contact(10))
    assert not await store.enqueue(contact(10))
    assert [c.conversation_id for c in await store.waiting(10)] == [10]
    out = await store.claim(10, 1, "10.a", NOW, NOW + 20)
    assert out.ok
    assert out.agent.offer == 10
    assert await store.waiting(10) == []
    assert not (await store.claim(10, 1, "10.b", NOW, NOW + 20)).ok
    assert not (await store.accept(10, 1, "10.wrong", NOW + 1)).ok
    done = await store.accept(10, 1, "10.a", NOW + 1)
    assert done.ok
    assert done.contact.status == "assigned"
    assert done.contact.assigned_at == NOW + 1
    assert (await store.contact(10)).assigned_at == NOW + 1  # kept: a later reader sees when
    assert done.agent.load == {"email": 1}
    assert done.agent.offer is None
    live = await store.live(NOW + 1)
    counters = live.counters["sales.email"]
    assert (counters.answered, counters.answered_within, counters.abandoned) == (1, 1, 0)
    assert counters.wait_total == pytest.approx(31.0)
    assert await store.pop_due(NOW + 60) == []  # the offer timer went with the accept


async def test_claim_refuses_busy_away_or_full_agents(store):
    """An agent with a pending offer, away, in wrap-up or at capacity cannot be claimed."""
    await ready(store, 1)
    for cid in (1, 2, 3):
        await store.enqueue(contact(cid))
    assert (await store.claim(1, 1, "1.a", NOW, NOW + 5)).ok
    assert not (await store.claim(2, 1, "2.a", NOW, NOW + 5)).ok  # one offer at a time
    assert (await store.accept(1, 1, "1.a", NOW)).ok
    assert (await store.claim(2, 1, "2.a", NOW, NOW + 5)).ok
    assert (await store.accept(2, 1, "2.a", NOW)).ok
    assert not (await store.claim(3, 1, "3.a", NOW, NOW + 5)).ok  # email capacity 2 reached
    finished = await store.finish(2, NOW + 10, WrapUp(30.0))
    assert finished.agent.wrap_until == NOW + 40
    assert not (await store.claim(3, 1, "3.a", NOW + 20, NOW + 25)).ok  # in wrap-up
    assert (await store.claim(3, 1, "3.a", NOW + 41, NOW + 45)).ok
    assert await store.pop_due(NOW + 41) == ["wrap|1|2"]
    await store.set_presence(1, "away", "lunch", NOW + 42)
    await store.enqueue(contact(4))
    assert not (await store.claim(4, 1, "4.a", NOW + 42, NOW + 45)).ok


async def test_decline_requeues_and_autopause_after_missed_offers(store):
    """Timed-out offers count in a row; at the threshold the agent is set away (autopause)."""
    await ready(store, 1)
    await store.enqueue(contact(5))
    for n in (1, 2):
        assert (await store.claim(5, 1, f"5.{n}", NOW + n, NOW + n + 1)).ok
        assert await store.pop_due(NOW + n + 1) == [offer_timer(5, f"5.{n}", 1)]
        out = await store.decline(5, 1, f"5.{n}", NOW + n + 1, timed_out=True, autopause_after=2)
        assert out.ok
        assert out.contact.status == "waiting"
        assert "1" in out.contact.declined
    assert out.paused
    assert (out.agent.presence, out.agent.reason, out.agent.missed) == ("away", "autopause", 2)
    assert [c.conversation_id for c in await store.waiting(5)] == [5]
    back = await store.set_presence(1, "available", None, NOW + 10)
    assert back.missed == 0


async def test_assign_answers_a_call_and_withdraws_another_agents_offer(store):
    """A call answered by agent 2 while offered to agent 1: assigned to 2, agent 1's offer gone."""
    await ready(store, 1, 2)
    await store.enqueue(contact(7, channel="call", queue="sales.call", dispatch=False))
    assert await store.waiting(10) == []  # the PBX routes calls; they are only tracked
    assert not (await store.claim(7, 1, "7.a", NOW, NOW + 5)).ok
    assert (await store.claim(7, 1, "7.a", NOW, NOW + 5, force=True)).ok
    out = await store.assign(7, 2, NOW + 3)
    assert out.ok
    assert out.other.user_id == 1
    assert out.other.offer is None
    assert out.agent.load == {"call": 1}
    assert (await store.agent(1)).offer is None
    assert await store.pop_due(NOW + 10) == []


async def test_abandon_counts_and_releases_the_offered_agent(store):
    """A customer who leaves while offered is counted abandoned and frees the agent."""
    await ready(store, 1)
    await store.enqueue(contact(8))
    await store.claim(8, 1, "8.a", NOW, NOW + 5)
    out = await store.abandon(8, NOW + 1)
    assert out.ok
    assert out.agent.offer is None
    assert await store.contact(8) is None
    assert not (await store.abandon(8, NOW + 2)).ok
    assert (await store.live(NOW + 2)).counters["sales.email"].abandoned == 1


async def test_move_only_while_waiting(store):
    """Overflow moves a waiting contact to another queue; an offered one stays put."""
    await ready(store, 1)
    await store.enqueue(contact(9))
    moved = contact(9, queue="service.email", department="service", overflowed=True)
    assert await store.move(moved, from_queue="sales.email")
    assert [(c.queue, c.overflowed) for c in await store.waiting(10)] == [("service.email", True)]
    assert not await store.move(contact(9), from_queue="sales.email")


async def test_due_timers_fire_once_and_connections_sum_over_instances(store):
    """A due timer is popped by one caller only; socket counts add up across instances."""
    await store.add_timer("grace|1", NOW)
    first, second = await asyncio.gather(store.pop_due(NOW + 1), store.pop_due(NOW + 1))
    assert sorted(first + second) == ["grace|1"]
    assert await store.connections(1, "a", 2) == 2
    total = await store.connections(1, "b", 1)
    assert total == (3 if type(store).__name__ == "RedisReservations" else 1)
    assert await store.connections(1, "a", 0) == (1 if type(store).__name__ == "RedisReservations" else 0)


@pytest.mark.parametrize("with_copy", [False, True])
async def test_racing_claims_from_two_clients_never_double_assign(redis_url, with_copy):
    """Two Redis clients (two instances) claim the same contacts for the same agents concurrently: one wins each.

    With *with_copy* each passes its own (soon stale) copy of the agent, as the router does.
    """
    from routing.redis_reservations import RedisReservations

    clients = [aioredis.Redis.from_url(redis_url) for _ in range(2)]
    try:
        a, b = (RedisReservations(c) for c in clients)
        await a.upsert_agents([agent(u, capacity={"email": 1}) for u in range(1, 21)])
        for u in range(1, 21):
            await a.set_presence(u, "available", None, NOW)
        for cid in range(100, 160):
            await a.enqueue(contact(cid))

        async def grab(store, tag):
            copies = {x.user_id: x for x in await store.agents()}
            wins = []
            for cid in range(100, 160):
                for uid in range(1, 21):
                    copy = copies[uid] if with_copy else None
                    if (await store.claim(cid, uid, f"{cid}.{tag}", NOW, NOW + 30, agent=copy)).ok:
                        wins.append((cid, uid))
                        break
            return wins

        wins_a, wins_b = await asyncio.gather(grab(a, "a"), grab(b, "b"))
        wins = wins_a + wins_b
        assert len(wins) == 20  # every agent got exactly one offer
        assert len({cid for cid, _ in wins}) == 20
        assert len({uid for _, uid in wins}) == 20
        live = await a.live(NOW)
        offered = {c.conversation_id: c.offer_user for c in live.contacts if c.status == "offered"}
        assert offered == dict(wins)  # what each client won is what Redis holds, seen from either client
        assert {x.user_id: x.offer for x in live.agents} == {uid: cid for cid, uid in wins}
    finally:
        for c in clients:
            await c.aclose()


@pytest.fixture
async def two_clients(redis_url):
    """Two RedisReservations on two connections to one real Redis (two instances)."""
    from routing.redis_reservations import RedisReservations

    clients = [aioredis.Redis.from_url(redis_url) for _ in range(2)]
    try:
        yield tuple(RedisReservations(c) for c in clients)
    finally:
        for c in clients:
            await c.aclose()


async def test_every_reader_sees_an_offer_made_by_the_other_instance(two_clients):
    """A claim writes only the small hashes and offer maps; every reader of the other instance lays them over."""
    a, b = two_clients
    await ready(a, 1)
    await a.enqueue(contact(11))
    assert (await b.claim(11, 1, "11.b", NOW, NOW + 20)).ok
    seen = await a.contact(11)
    assert (seen.status, seen.offer_id, seen.offer_user, seen.offer_expires) == ("offered", "11.b", 1, NOW + 20)
    for found in (await a.agent(1), (await a.agents())[0], (await a.agents_by_id([1]))[0]):
        assert (found.offer, found.last_offer_at) == (11, NOW)
    live = await a.live(NOW)
    assert [(c.conversation_id, c.status) for c in live.contacts] == [(11, "offered")]
    assert await a.waiting(10) == []
    assert (await a.accept(11, 1, "11.b", NOW + 1)).ok
    after = await b.contact(11)
    assert (after.status, after.offer_id, after.user_id) == ("assigned", None, 1)
    assert (await b.agent(1)).offer is None
    assert (await b.agent(1)).last_offer_at == NOW  # kept in the document once the offer is settled


async def test_a_stale_copy_never_wins_and_is_refreshed_from_redis(two_clients):
    """The caller's copy says available; Redis says away: the claim fails and answers the stored agent."""
    a, b = two_clients
    await ready(a, 1)
    copy = await b.agent(1)
    await a.set_presence(1, "away", "lunch", NOW)
    await a.enqueue(contact(12))
    out = await b.claim(12, 1, "12.b", NOW, NOW + 20, agent=copy)
    assert not out.ok
    assert out.agent.presence == "away"
    await a.set_presence(1, "available", None, NOW)
    await a.enqueue(contact(13, status="assigned", user_id=1))  # adopted after a restart: load 1 of 2
    won = await b.claim(12, 1, "12.b", NOW, NOW + 20, agent=copy)
    assert won.ok
    assert (won.agent.offer, won.agent.load["email"]) == (12, 1)  # the load the claim read, not the copy's 0


async def test_queues_and_load_rebuilt_into_an_empty_redis(two_clients, redis_url):
    """After Redis lost everything, re-enqueueing from the store restores queues, load and capacity checks."""
    a, b = two_clients
    await ready(a, 1)
    await a.enqueue(contact(20))
    assert (await a.claim(20, 1, "20.a", NOW, NOW + 20)).ok
    admin = aioredis.Redis.from_url(redis_url)
    try:
        await admin.flushdb()
    finally:
        await admin.aclose()
    await ready(b, 1)
    assert await b.enqueue(contact(21, status="assigned", user_id=1))
    assert await b.enqueue(contact(22, status="assigned", user_id=1))
    assert await b.enqueue(contact(20))
    assert (await a.agent(1)).load == {"email": 2}
    assert [c.conversation_id for c in await a.waiting(10)] == [20]
    assert not (await a.claim(20, 1, "20.b", NOW, NOW + 20)).ok  # at capacity (2 emails)
    assert (await b.finish(21, NOW)).ok
    assert (await a.claim(20, 1, "20.c", NOW, NOW + 20)).ok


async def test_a_late_event_never_brings_an_ended_contact_back(store):
    """An event older than the contact's end (another instance's slow consumer) is refused; a newer one re-routes."""
    await ready(store, 1)
    assert await store.enqueue(contact(30), not_before=NOW)
    assert (await store.claim(30, 1, "30.a", NOW, NOW + 20)).ok
    assert (await store.accept(30, 1, "30.a", NOW + 1)).ok
    assert (await store.finish(30, NOW + 5)).ok
    assert not await store.enqueue(contact(30), not_before=NOW)  # the same email event, handled late
    assert await store.waiting(10) == []
    assert await store.enqueue(contact(30), not_before=NOW + 9)  # the customer wrote again: reopened
    assert [c.conversation_id for c in await store.waiting(10)] == [30]
    assert (await store.abandon(30, NOW + 10)).ok
    assert await store.enqueue(contact(30))  # no event time (requeue, rebuild): no check
