"""Where routing state lives, and the atomic steps that change it.

:class:`Reservations` is the interface the router uses; every method is one atomic step (an
offer claim, an accept, a decline, …). :class:`MemoryReservations` keeps the state in this
process (single instance, no Redis). :mod:`routing.redis_reservations` keeps the same state in
Redis and runs each step as one Lua script, so several instances share queues and agents and
two instances can never give one contact to two agents.

Timers (offer expiry, end of wrap-up, overflow, the offline grace period) are stored with the
state, so whichever instance sweeps next handles them even if the one that set them died.
Timer keys are ``kind|id[|…]`` strings (see :func:`offer_timer`).
"""

from __future__ import annotations

import heapq
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from routing.model import ASSIGNED, OFFERED, WAITING, AgentState, ContactState
from routing.selection import has_room
from routing.wrapup import WrapUp, extended_until, offer_outcome, wrap_ends

ENDED_KEPT = 100_000  # ended contacts the in-memory store remembers (for enqueue's not_before)
PROFILE_FIELDS = ("username", "display_name", "extension", "departments", "skills", "capacity", "total_capacity",
                  "blocks")


def offer_timer(conversation_id: int, offer_id: str, user_id: int) -> str:
    return f"offer|{conversation_id}|{offer_id}|{user_id}"


def wrap_timer(user_id: int, conversation_id: int) -> str:
    return f"wrap|{user_id}|{conversation_id}"


def stats_day(now: float) -> str:
    """The UTC day the service-level counters of *now* belong to."""
    return time.strftime("%Y-%m-%d", time.gmtime(now))


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one atomic step did: the contact and agent after it (None when untouched)."""

    ok: bool
    contact: ContactState | None = None
    agent: AgentState | None = None
    paused: bool = False  # decline: the agent was set away by autopause
    other: AgentState | None = None  # assign: the agent whose offer was withdrawn


@dataclass(slots=True)
class Counters:
    """Service-level counters of one queue for one day."""

    answered: int = 0
    answered_within: int = 0
    wait_total: float = 0.0
    abandoned: int = 0


@dataclass(frozen=True, slots=True)
class Live:
    """Everything the supervisor view is computed from."""

    contacts: list[ContactState]
    agents: list[AgentState]
    counters: dict[str, Counters] = field(default_factory=dict)


class Reservations(ABC):
    """Routing state and its atomic steps. See the module docstring."""

    @abstractmethod
    async def upsert_agents(self, profiles: Iterable[AgentState], *, prune: bool = False) -> None:
        """Set the profile fields of these agents (keeping live state); with *prune*, forget idle others."""

    @abstractmethod
    async def agents(self) -> list[AgentState]: ...

    @abstractmethod
    async def agent(self, user_id: int) -> AgentState | None: ...

    async def agents_by_id(self, user_ids: Iterable[int]) -> list[AgentState]:
        """The current state of these agents (unknown ones left out)."""
        found = [await self.agent(uid) for uid in user_ids]
        return [a for a in found if a is not None]

    @abstractmethod
    async def set_presence(self, user_id: int, presence: str, reason: str | None, now: float) -> AgentState | None:
        """Change presence; becoming available starts a new idle period and clears the missed count."""

    @abstractmethod
    async def enqueue(self, contact: ContactState, timers: Iterable[tuple[str, float]] = (), *,
                      not_before: float | None = None) -> bool:
        """Track *contact* (waiting, or already assigned when adopted after a restart); False if tracked.

        *not_before* is the time of the event that asked for this routing: False also when the
        contact ended (finished, abandoned, answered elsewhere) at or after it, so a late or
        duplicate event (another instance's consumer) never brings an ended contact back.
        """

    @abstractmethod
    async def contact(self, conversation_id: int) -> ContactState | None: ...

    @abstractmethod
    async def waiting(self, limit: int) -> list[ContactState]:
        """Dispatchable waiting contacts: the best *limit* of each queue."""

    @abstractmethod
    async def claim(self, conversation_id: int, user_id: int, offer_id: str, now: float,
                    expires_at: float, *, force: bool = False, agent: AgentState | None = None) -> Outcome:
        """Offer a waiting contact to an eligible agent, atomically; not ok if either changed.

        *force* also claims a contact the router does not dispatch itself (a call at ``newCall``).
        *agent* is the caller's copy of the agent (its mirror), which a store may use to answer
        without reading the agent back; the check itself is always on the stored state.
        The outcome carries the agent after the step; its contact may be None (the caller has it).
        """

    @abstractmethod
    async def accept(self, conversation_id: int, user_id: int, offer_id: str, now: float) -> Outcome:
        """The agent took the offer: contact assigned, agent's load on its channel +1."""

    @abstractmethod
    async def decline(self, conversation_id: int, user_id: int, offer_id: str, now: float, *,
                      timed_out: bool, autopause_after: int, reachable: bool = True) -> Outcome:
        """The offer was rejected or expired: the contact waits again. An offer that expired while
        the agent was *reachable* was ignored and counts toward autopause; one that expired while
        they could not be reached is recorded as ``unreachable`` and does not."""

    @abstractmethod
    async def assign(self, conversation_id: int, user_id: int | None, now: float) -> Outcome:
        """A call was answered (by *user_id* when known), whatever was offered."""

    @abstractmethod
    async def finish(self, conversation_id: int, now: float, wrap_up: WrapUp = WrapUp()) -> Outcome:
        """The assigned agent is done: load -1; contact forgotten. When *wrap_up* is needed the agent
        does after-contact work on it until ``now + wrap_up.seconds`` (and, with ``hold``, until an
        outcome is chosen); a wrap-up already running for another contact is not shortened."""

    @abstractmethod
    async def end_wrap(self, user_id: int, conversation_id: int, now: float, *, outcome_chosen: bool) -> Outcome:
        """End the agent's wrap-up of the conversation if :func:`routing.wrapup.wrap_ends` says so."""

    @abstractmethod
    async def extend_wrap(self, user_id: int, conversation_id: int, seconds: float, now: float) -> Outcome:
        """Give the agent more after-call work time on the conversation they are wrapping up."""

    @abstractmethod
    async def abandon(self, conversation_id: int, now: float) -> Outcome:
        """The customer left before being answered; counted as abandoned."""

    @abstractmethod
    async def move(self, contact: ContactState, *, from_queue: str) -> bool:
        """Replace a still-waiting contact (new queue, skills or rank); False if it is no longer waiting."""

    @abstractmethod
    async def add_timer(self, key: str, at: float) -> None: ...

    @abstractmethod
    async def pop_due(self, now: float, limit: int = 100) -> list[str]:
        """Remove and return due timer keys; each key is returned to one caller only."""

    @abstractmethod
    async def connections(self, user_id: int, instance: str, sockets: int | None) -> int:
        """Record this instance's open sockets for the user (None: only read); return the total everywhere."""

    @abstractmethod
    async def live(self, now: float) -> Live: ...

    async def lead(self, instance: str, ttl: float) -> bool:
        """True when *instance* is (or now becomes) the one that publishes shared views, for *ttl* seconds."""
        return True


class MemoryReservations(Reservations):
    """Routing state in this process's memory (one instance)."""

    def __init__(self) -> None:
        self._agents: dict[int, AgentState] = {}
        self._contacts: dict[int, ContactState] = {}
        self._queues: dict[str, dict[int, float]] = {}  # queue -> waiting dispatchable id -> rank
        self._timers: dict[str, float] = {}
        self._heap: list[tuple[float, str]] = []
        self._sockets: dict[int, int] = {}
        self._counters: dict[tuple[str, str], Counters] = {}
        self._ended: dict[int, float] = {}  # conversation id -> when it last ended (the last ENDED_KEPT)

    # ----------------------------------------------------------------------- agents

    async def upsert_agents(self, profiles: Iterable[AgentState], *, prune: bool = False) -> None:
        seen = set()
        for profile in profiles:
            seen.add(profile.user_id)
            current = self._agents.get(profile.user_id)
            if current is None:
                self._agents[profile.user_id] = replace(profile, load=dict(profile.load))
                continue
            for name in PROFILE_FIELDS:
                setattr(current, name, getattr(profile, name))
        if prune:
            for uid in [u for u, a in self._agents.items() if u not in seen]:
                agent = self._agents[uid]
                if agent.offer is None and not any(agent.load.values()):
                    del self._agents[uid]

    async def agents(self) -> list[AgentState]:
        return list(self._agents.values())

    async def agent(self, user_id: int) -> AgentState | None:
        return self._agents.get(user_id)

    async def set_presence(self, user_id: int, presence: str, reason: str | None, now: float) -> AgentState | None:
        agent = self._agents.get(user_id)
        if agent is None:
            return None
        if presence == "available" and agent.presence != "available":
            agent.idle_since = max(now, agent.wrap_until)
            agent.missed = agent.unreachable = 0
        if presence != agent.presence:
            agent.presence_since = now
        agent.presence, agent.reason = presence, reason
        return agent

    # ----------------------------------------------------------------------- contacts

    async def enqueue(self, contact: ContactState, timers: Iterable[tuple[str, float]] = (), *,
                      not_before: float | None = None) -> bool:
        if contact.conversation_id in self._contacts:
            return False
        ended = self._ended.get(contact.conversation_id)
        if not_before is not None and ended is not None and ended >= not_before:
            return False
        self._contacts[contact.conversation_id] = contact
        if contact.status == WAITING and contact.dispatch:
            self._queues.setdefault(contact.queue, {})[contact.conversation_id] = contact.rank
        elif contact.status == ASSIGNED and contact.user_id in self._agents:
            load = self._agents[contact.user_id].load
            load[contact.channel] = load.get(contact.channel, 0) + 1
        for key, at in timers:
            await self.add_timer(key, at)
        return True

    async def contact(self, conversation_id: int) -> ContactState | None:
        return self._contacts.get(conversation_id)

    async def waiting(self, limit: int) -> list[ContactState]:
        out: list[ContactState] = []
        for ranks in self._queues.values():
            best = heapq.nsmallest(limit, ranks.items(), key=lambda kv: (kv[1], kv[0]))
            out.extend(self._contacts[cid] for cid, _ in best)
        return out

    def _end(self, conversation_id: int, now: float) -> None:
        del self._contacts[conversation_id]
        self._ended[conversation_id] = now
        if len(self._ended) > ENDED_KEPT:  # forget the oldest half
            for cid in sorted(self._ended, key=self._ended.__getitem__)[:ENDED_KEPT // 2]:
                del self._ended[cid]

    def _unqueue(self, contact: ContactState) -> None:
        self._queues.get(contact.queue, {}).pop(contact.conversation_id, None)

    def _count(self, contact: ContactState, now: float) -> Counters:
        return self._counters.setdefault((stats_day(now), contact.queue), Counters())

    def _answered(self, contact: ContactState, now: float) -> None:
        contact.assigned_at = now
        counters = self._count(contact, now)
        wait = max(0.0, now - contact.enqueued_at)
        counters.answered += 1
        counters.wait_total += wait
        counters.answered_within += wait <= contact.service_level

    async def claim(self, conversation_id: int, user_id: int, offer_id: str, now: float,
                    expires_at: float, *, force: bool = False, agent: AgentState | None = None) -> Outcome:
        contact, agent = self._contacts.get(conversation_id), self._agents.get(user_id)
        if contact is None or agent is None or contact.status != WAITING or not (contact.dispatch or force):
            return Outcome(False, contact, agent)
        if (agent.presence != "available" or agent.offer is not None or agent.in_wrap_up(now)
                or not has_room(agent, contact.channel)):
            return Outcome(False, contact, agent)
        contact.status, contact.offer_id, contact.offer_user = OFFERED, offer_id, user_id
        contact.offer_expires = expires_at
        agent.offer, agent.last_offer_at = conversation_id, now
        self._unqueue(contact)
        await self.add_timer(offer_timer(conversation_id, offer_id, user_id), expires_at)
        return Outcome(True, contact, agent)

    def _offer_matches(self, contact: ContactState | None, user_id: int, offer_id: str) -> bool:
        return (contact is not None and contact.status == OFFERED and contact.offer_id == offer_id
                and contact.offer_user == user_id)

    async def accept(self, conversation_id: int, user_id: int, offer_id: str, now: float) -> Outcome:
        contact = self._contacts.get(conversation_id)
        if not self._offer_matches(contact, user_id, offer_id):
            return Outcome(False, contact, self._agents.get(user_id))
        assert contact is not None
        self._timers.pop(offer_timer(conversation_id, offer_id, user_id), None)
        contact.status, contact.user_id = ASSIGNED, user_id
        contact.offer_id, contact.offer_user = None, None
        agent = self._agents.get(user_id)
        if agent is not None:
            agent.offer, agent.missed, agent.unreachable, agent.last_offer = None, 0, 0, "accepted"
            agent.load[contact.channel] = agent.load.get(contact.channel, 0) + 1
        self._answered(contact, now)
        return Outcome(True, contact, agent)

    async def decline(self, conversation_id: int, user_id: int, offer_id: str, now: float, *,
                      timed_out: bool, autopause_after: int, reachable: bool = True) -> Outcome:
        contact = self._contacts.get(conversation_id)
        if not self._offer_matches(contact, user_id, offer_id):
            return Outcome(False, contact, self._agents.get(user_id))
        assert contact is not None
        self._timers.pop(offer_timer(conversation_id, offer_id, user_id), None)
        contact.status, contact.offer_id, contact.offer_user, contact.offer_expires = WAITING, None, None, 0.0
        contact.declined[str(user_id)] = now
        if contact.dispatch:
            self._queues.setdefault(contact.queue, {})[conversation_id] = contact.rank
        agent, paused = self._agents.get(user_id), False
        if agent is not None:
            agent.offer = None
            agent.last_offer = offer_outcome(timed_out=timed_out, reachable=reachable)
            if agent.last_offer == "unreachable":
                agent.unreachable += 1
            elif agent.last_offer == "ignored":
                agent.missed += 1
                if 0 < autopause_after <= agent.missed and agent.presence == "available":
                    agent.presence, agent.reason, paused = "away", "autopause", True
        return Outcome(True, contact, agent, paused)

    async def assign(self, conversation_id: int, user_id: int | None, now: float) -> Outcome:
        contact = self._contacts.get(conversation_id)
        if contact is None or contact.status == ASSIGNED:
            return Outcome(False, contact)
        other = None
        if contact.status == OFFERED and contact.offer_user is not None:
            self._timers.pop(offer_timer(conversation_id, contact.offer_id or "", contact.offer_user), None)
            if contact.offer_user != user_id:
                other = self._agents.get(contact.offer_user)
            holder = self._agents.get(contact.offer_user)
            if holder is not None and holder.offer == conversation_id:
                holder.offer = None
        self._unqueue(contact)
        self._answered(contact, now)
        contact.offer_id, contact.offer_user = None, None
        agent = self._agents.get(user_id) if user_id is not None else None
        if agent is None:
            self._end(conversation_id, now)
            return Outcome(True, contact, None, other=other)
        contact.status, contact.user_id = ASSIGNED, agent.user_id
        agent.load[contact.channel] = agent.load.get(contact.channel, 0) + 1
        agent.missed = 0
        return Outcome(True, contact, agent, other=other)

    async def finish(self, conversation_id: int, now: float, wrap_up: WrapUp = WrapUp()) -> Outcome:
        contact = self._contacts.get(conversation_id)
        if contact is None or contact.status != ASSIGNED:
            return Outcome(False, contact)
        self._end(conversation_id, now)
        agent = self._agents.get(contact.user_id) if contact.user_id is not None else None
        if agent is not None:
            agent.load[contact.channel] = max(0, agent.load.get(contact.channel, 0) - 1)
            if wrap_up.needed:
                agent.wrap_until = max(agent.wrap_until, now + wrap_up.seconds)
                agent.wrap_conversation, agent.wrap_hold = conversation_id, wrap_up.hold
                await self.add_timer(wrap_timer(agent.user_id, conversation_id), agent.wrap_until)
            agent.idle_since = max(agent.wrap_until, now)
        return Outcome(True, contact, agent)

    async def end_wrap(self, user_id: int, conversation_id: int, now: float, *, outcome_chosen: bool) -> Outcome:
        agent = self._agents.get(user_id)
        if agent is None or not wrap_ends(agent, conversation_id, now, outcome_chosen=outcome_chosen):
            return Outcome(False, None, agent)
        self._timers.pop(wrap_timer(user_id, conversation_id), None)
        agent.wrap_until = min(agent.wrap_until, now)
        agent.wrap_conversation, agent.wrap_hold, agent.idle_since = None, False, now
        return Outcome(True, None, agent)

    async def extend_wrap(self, user_id: int, conversation_id: int, seconds: float, now: float) -> Outcome:
        agent = self._agents.get(user_id)
        if agent is None or agent.wrap_conversation != conversation_id:
            return Outcome(False, None, agent)
        agent.wrap_until = agent.idle_since = extended_until(agent, seconds, now)
        await self.add_timer(wrap_timer(user_id, conversation_id), agent.wrap_until)
        return Outcome(True, None, agent)

    async def abandon(self, conversation_id: int, now: float) -> Outcome:
        contact = self._contacts.get(conversation_id)
        if contact is None or contact.status == ASSIGNED:
            return Outcome(False, contact)
        self._end(conversation_id, now)
        self._unqueue(contact)
        self._count(contact, now).abandoned += 1
        agent = None
        if contact.status == OFFERED and contact.offer_user is not None:
            self._timers.pop(offer_timer(conversation_id, contact.offer_id or "", contact.offer_user), None)
            agent = self._agents.get(contact.offer_user)
            if agent is not None and agent.offer == conversation_id:
                agent.offer = None
        return Outcome(True, contact, agent)

    async def move(self, contact: ContactState, *, from_queue: str) -> bool:
        current = self._contacts.get(contact.conversation_id)
        if current is None or current.status != WAITING or current.queue != from_queue:
            return False
        self._unqueue(current)
        self._contacts[contact.conversation_id] = contact
        if contact.dispatch:
            self._queues.setdefault(contact.queue, {})[contact.conversation_id] = contact.rank
        return True

    # ----------------------------------------------------------------------- timers, sockets, stats

    async def add_timer(self, key: str, at: float) -> None:
        self._timers[key] = at
        heapq.heappush(self._heap, (at, key))

    async def pop_due(self, now: float, limit: int = 100) -> list[str]:
        due: list[str] = []
        while self._heap and self._heap[0][0] <= now and len(due) < limit:
            at, key = heapq.heappop(self._heap)
            if self._timers.get(key) == at:
                del self._timers[key]
                due.append(key)
        return due

    async def connections(self, user_id: int, instance: str, sockets: int | None) -> int:
        if sockets is not None:
            self._sockets[user_id] = max(0, sockets)
        return self._sockets.get(user_id, 0)

    async def live(self, now: float) -> Live:
        day = stats_day(now)
        counters = {queue: c for (d, queue), c in self._counters.items() if d == day}
        return Live([replace(c) for c in self._contacts.values()],
                    [replace(a) for a in self._agents.values()], counters)
