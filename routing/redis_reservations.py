"""Routing state in Redis, shared by every instance; each step is one Lua script (one EVALSHA).

Because a claim checks and changes the contact and the agent inside one script, two instances
racing for the same contact or agent cannot both win: one claim succeeds, the other sees the
new state and fails. See :mod:`routing.redis_scripts` for the scripts and the key layout; the
pending offers (``offers``, ``aoffers``) are laid over the JSON documents when reading here.

The layout changed with the claim's small hashes, so the key prefix did too (``cc:rt2:``): an
instance of this version never reads documents an older version wrote. Upgrade every instance
together; the new ones rebuild the queues from the store as after any restart.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from contact_center.errors import Unavailable
from routing import redis_agent_scripts, redis_scripts
from routing.model import OFFERED, AgentState, ContactState
from routing.reservations import Counters, Live, Outcome, Reservations, stats_day
from routing.wrapup import MAX_EXTENSION, MAX_WRAP_UP, WrapUp

PREFIX = "cc:rt2:"


def _dumps(value: dict[str, Any]) -> str:
    return json.dumps(value, separators=(",", ":"))


def _text(raw: Any) -> str:
    return raw.decode() if isinstance(raw, bytes) else str(raw)


def _agent(raw: Any, offer: Any = None) -> AgentState | None:
    """An agent from its document, with its pending offer (``aoffers``: 'contact<TAB>when') laid over."""
    if not raw:
        return None
    agent = AgentState.from_dict(json.loads(raw))
    if offer:
        cid, _, at = _text(offer).partition("\t")
        agent.offer, agent.last_offer_at = int(cid), float(at)
    return agent


def _contact(raw: Any, offer: Any = None) -> ContactState | None:
    """A contact from its document, with its pending offer (``offers``: 'offer id<TAB>agent<TAB>expiry')."""
    if not raw:
        return None
    contact = ContactState.from_dict(json.loads(raw))
    if offer:
        offer_id, uid, expires = _text(offer).split("\t")
        contact.status, contact.offer_id = OFFERED, offer_id
        contact.offer_user, contact.offer_expires = int(uid), float(expires)
    return contact


def _overlaid(raws: Iterable[tuple[Any, Any]], offers: dict[Any, Any], make: Any) -> list[Any]:
    return [make(raw, offers.get(key)) for key, raw in raws]


class RedisReservations(Reservations):
    """The shared routing state (see the module docstring)."""

    def __init__(self, client: aioredis.Redis, *, prefix: str = PREFIX) -> None:
        self._redis = client
        self._p = prefix
        scripts = ((redis_scripts, ("ENQUEUE", "WAITING", "CLAIM", "ACCEPT", "DECLINE", "ASSIGN", "FINISH",
                                    "ABANDON", "MOVE", "END_WRAP", "EXTEND_WRAP")),
                   (redis_agent_scripts, ("PRESENCE", "UPSERT_AGENTS", "POP_DUE", "LEAD")))
        self._scripts = {name: client.register_script(getattr(module, name))
                         for module, names in scripts for name in names}
        self._claim = self._scripts["CLAIM"]

    async def _run(self, name: str, *args: Any) -> Any:
        try:
            return await self._scripts[name](keys=[], args=[self._p, *args])
        except (RedisConnectionError, RedisTimeoutError) as exc:
            # Redis is restarting or unreachable: the caller (an agent's command) gets a 503, not an
            # internal error; routing resynchronises when the bus is connected again.
            raise Unavailable("routing is unavailable for a moment (Redis unreachable); try again") from exc

    # ----------------------------------------------------------------------- agents

    async def upsert_agents(self, profiles: Iterable[AgentState], *, prune: bool = False) -> None:
        docs = [p.to_dict() for p in profiles]
        await self._run("UPSERT_AGENTS", json.dumps(docs), "1" if prune else "0")

    async def agents(self) -> list[AgentState]:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hgetall(self._p + "agents")
            pipe.hgetall(self._p + "aoffers")
            docs, offers = await pipe.execute()
        return [a for a in _overlaid(docs.items(), offers, _agent) if a is not None]

    async def agent(self, user_id: int) -> AgentState | None:
        key = str(user_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hget(self._p + "agents", key)
            pipe.hget(self._p + "aoffers", key)
            doc, offer = await pipe.execute()
        return _agent(doc, offer)

    async def agents_by_id(self, user_ids: Iterable[int]) -> list[AgentState]:
        ids = [str(u) for u in user_ids]
        if not ids:
            return []
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hmget(self._p + "agents", ids)
            pipe.hmget(self._p + "aoffers", ids)
            docs, offers = await pipe.execute()
        return [a for a in map(_agent, docs, offers) if a is not None]

    async def set_presence(self, user_id: int, presence: str, reason: str | None, now: float) -> AgentState | None:
        return _agent(await self._run("PRESENCE", str(user_id), presence, reason or "", repr(now)))

    # ----------------------------------------------------------------------- contacts

    async def enqueue(self, contact: ContactState, timers: Iterable[tuple[str, float]] = (), *,
                      not_before: float | None = None) -> bool:
        pairs = list(timers)
        flat = [x for key, at in pairs for x in (key, repr(at))]
        return bool(await self._run("ENQUEUE", str(contact.conversation_id), _dumps(contact.to_dict()),
                                    contact.status, "1" if contact.dispatch else "0", contact.channel, contact.queue,
                                    repr(contact.rank), "" if not_before is None else repr(not_before),
                                    str(len(pairs)), *flat))

    async def contact(self, conversation_id: int) -> ContactState | None:
        key = str(conversation_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hget(self._p + "contacts", key)
            pipe.hget(self._p + "offers", key)
            doc, offer = await pipe.execute()
        return _contact(doc, offer)

    async def waiting(self, limit: int) -> list[ContactState]:
        # Queued contacts are waiting, never offered: their documents need no overlay.
        return [ContactState.from_dict(json.loads(r)) for r in await self._run("WAITING", str(limit))]

    async def claim(self, conversation_id: int, user_id: int, offer_id: str, now: float,
                    expires_at: float, *, force: bool = False, agent: AgentState | None = None) -> Outcome:
        """See :meth:`Reservations.claim`. With *agent* (the caller's copy), a successful claim needs no read.

        The script answers what it read of the agent (load on the contact's channel, wrap-up end);
        the outcome's agent is *agent*, updated in place with those and the new offer (as the
        in-memory store updates the agent it shares with the mirror). Without *agent*, or when the
        claim fails (the caller's copy was stale), the agent is read back from Redis.
        """
        packed = f"{conversation_id}\t{user_id}\t{offer_id}\t{now!r}\t{expires_at!r}\t{'1' if force else '0'}"
        answer = await self._claim(keys=[], args=[self._p, packed])
        if not answer or agent is None:
            return Outcome(bool(answer), None, await self.agent(user_id))
        return Outcome(True, None, _claimed(agent, conversation_id, now, answer))

    async def accept(self, conversation_id: int, user_id: int, offer_id: str, now: float) -> Outcome:
        ok, c, a = await self._run("ACCEPT", str(conversation_id), str(user_id), offer_id, repr(now),
                                   stats_day(now))
        return Outcome(bool(ok), _contact(c), _agent(a))

    async def decline(self, conversation_id: int, user_id: int, offer_id: str, now: float, *,
                      timed_out: bool, autopause_after: int, reachable: bool = True) -> Outcome:
        ok, c, a, paused = await self._run("DECLINE", str(conversation_id), str(user_id), offer_id, repr(now),
                                           "1" if timed_out else "0", str(autopause_after),
                                           "1" if reachable else "0")
        return Outcome(bool(ok), _contact(c), _agent(a), bool(paused))

    async def assign(self, conversation_id: int, user_id: int | None, now: float) -> Outcome:
        ok, c, a, other = await self._run("ASSIGN", str(conversation_id), "" if user_id is None else str(user_id),
                                          repr(now), stats_day(now))
        return Outcome(bool(ok), _contact(c), _agent(a), other=_agent(other))

    async def finish(self, conversation_id: int, now: float, wrap_up: WrapUp = WrapUp()) -> Outcome:
        ok, c, a = await self._run("FINISH", str(conversation_id), repr(now), repr(float(wrap_up.seconds)),
                                   "1" if wrap_up.hold else "0")
        return Outcome(bool(ok), _contact(c), _agent(a))

    async def end_wrap(self, user_id: int, conversation_id: int, now: float, *, outcome_chosen: bool) -> Outcome:
        ok, a = await self._run("END_WRAP", str(user_id), str(conversation_id), repr(now),
                                "1" if outcome_chosen else "0")
        return Outcome(bool(ok), None, _agent(a))

    async def extend_wrap(self, user_id: int, conversation_id: int, seconds: float, now: float) -> Outcome:
        ok, a = await self._run("EXTEND_WRAP", str(user_id), str(conversation_id), repr(float(seconds)), repr(now),
                                repr(MAX_EXTENSION), repr(MAX_WRAP_UP))
        return Outcome(bool(ok), None, _agent(a))

    async def abandon(self, conversation_id: int, now: float) -> Outcome:
        ok, c, a = await self._run("ABANDON", str(conversation_id), repr(now), stats_day(now))
        return Outcome(bool(ok), _contact(c), _agent(a))

    async def move(self, contact: ContactState, *, from_queue: str) -> bool:
        return bool(await self._run("MOVE", str(contact.conversation_id), _dumps(contact.to_dict()), from_queue,
                                    repr(contact.rank)))

    # ----------------------------------------------------------------------- timers, sockets, stats

    async def add_timer(self, key: str, at: float) -> None:
        await self._redis.zadd(self._p + "timers", {key: at})

    async def pop_due(self, now: float, limit: int = 100) -> list[str]:
        due = await self._run("POP_DUE", repr(now), str(limit))
        return [k.decode() if isinstance(k, bytes) else str(k) for k in due]

    async def connections(self, user_id: int, instance: str, sockets: int | None) -> int:
        key = f"{self._p}conn:{user_id}"
        async with self._redis.pipeline(transaction=True) as pipe:
            if sockets is not None and sockets > 0:
                pipe.hset(key, instance, sockets)
            elif sockets is not None:
                pipe.hdel(key, instance)
            pipe.hvals(key)
            results = await pipe.execute()
        return sum(int(v) for v in results[-1])

    async def live(self, now: float) -> Live:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hgetall(self._p + "contacts")
            pipe.hgetall(self._p + "offers")
            pipe.hgetall(self._p + "agents")
            pipe.hgetall(self._p + "aoffers")
            pipe.smembers(self._p + "queues")
            contacts, offers, agents, agent_offers, queues = await pipe.execute()
        names = sorted(q.decode() for q in queues)
        day = stats_day(now)
        async with self._redis.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.hgetall(f"{self._p}stats:{day}:{name}")
            stats = await pipe.execute()
        counters = {}
        for name, raw in zip(names, stats, strict=True):
            if raw:
                counters[name] = Counters(int(raw.get(b"answered", 0)), int(raw.get(b"answered_within", 0)),
                                          float(raw.get(b"wait_total", 0)), int(raw.get(b"abandoned", 0)))
        return Live(_overlaid(contacts.items(), offers, _contact), _overlaid(agents.items(), agent_offers, _agent),
                    counters)

    async def lead(self, instance: str, ttl: float) -> bool:
        return bool(await self._run("LEAD", instance, str(int(ttl * 1000))))


def _claimed(agent: AgentState, conversation_id: int, now: float, answer: Any) -> AgentState:
    """The caller's copy of *agent*, updated in place with what a successful claim read and wrote."""
    channel, load, wrap_until = _text(answer).split("\t")
    agent.presence, agent.offer, agent.last_offer_at = "available", conversation_id, now
    agent.wrap_until = float(wrap_until)
    agent.load[channel] = int(float(load))
    return agent
