"""Which agent gets a contact, and in which order contacts are served. Pure.

Queue order is *priority with aging*: a contact's rank is its arrival time minus
``priority * aging_seconds``, lowest rank first. One priority step is worth ``aging_seconds``
of waiting, so a higher priority jumps ahead of recent arrivals but a long-waiting low
priority contact still overtakes newer high priority ones: nothing starves, and within one
priority the order is strictly first come, first served. Because time cancels out of the
comparison, the rank is fixed at arrival and the queue is a plain sorted set.

Agent strategies (per queue): ``longest_idle`` (default), ``round_robin`` (the agent offered
least recently), ``least_occupied`` (lowest share of capacity in use) and ``best_skill``
(highest total level in the contact's required skills). Every strategy first filters the
eligible agents: available, no pending offer, out of wrap-up (its time over and any required
outcome chosen), with room on the channel (its own capacity, the total across channels, and no
contact on a channel that blocks it),
with every required skill at its level, and not among those who declined this contact lately.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, Protocol

from routing.model import AgentState, ContactState

STRATEGIES = ("longest_idle", "round_robin", "least_occupied", "best_skill")


def queue_rank(priority: int, enqueued_at: float, aging_seconds: float) -> float:
    """Sort key of a waiting contact: lower is served first (see the module docstring)."""
    return enqueued_at - priority * aging_seconds


def effective_priority(priority: int, enqueued_at: float, aging_seconds: float, now: float) -> float:
    """The priority a contact has reached by waiting (for display)."""
    return priority + max(0.0, now - enqueued_at) / aging_seconds if aging_seconds > 0 else float(priority)


@dataclass(frozen=True, slots=True)
class Need:
    """What a contact needs from an agent."""

    channel: str
    department: str
    skills: Mapping[str, int] = field(default_factory=dict)
    exclude: frozenset[int] = frozenset()


def need_of(contact: ContactState, *, now: float, reoffer_after: float) -> Need:
    """The contact's need; agents who declined it less than *reoffer_after* seconds ago are excluded."""
    if not contact.declined:
        return Need(contact.channel, contact.department, contact.skills)
    recent = frozenset(int(u) for u, at in contact.declined.items() if now - at < reoffer_after)
    return Need(contact.channel, contact.department, contact.skills, recent)


def has_room(agent: AgentState, channel: str) -> bool:
    """True when *agent*'s load leaves room for one more *channel* contact: below the channel's
    capacity, below the total across channels (when set), and no contact on a channel that blocks
    this one (``blocks``, e.g. no chats or emails while on a call)."""
    load = agent.load
    if load.get(channel, 0) >= agent.capacity.get(channel, 0):
        return False
    if agent.total_capacity and sum(load.values()) >= agent.total_capacity:
        return False
    return not any(channel in blocked and load.get(busy, 0) > 0 for busy, blocked in agent.blocks.items())


def eligible(agent: AgentState, need: Need, now: float) -> bool:
    """True when *agent* may be offered a contact with *need* right now."""
    if agent.presence != "available" or agent.offer is not None or agent.in_wrap_up(now):
        return False
    if not has_room(agent, need.channel):
        return False
    if agent.user_id in need.exclude:
        return False
    return _has_skills(agent.skills, need.skills)


def _occupancy(agent: AgentState) -> float:
    total = sum(agent.capacity.values())
    return sum(agent.load.values()) / total if total else 1.0


def _skill_score(need: Need) -> Callable[[AgentState], tuple[float, float, int]]:
    def key(agent: AgentState) -> tuple[float, float, int]:
        score = sum(agent.skills.get(k, 0) for k in need.skills) if need.skills else sum(agent.skills.values())
        return (-score, agent.idle_since, agent.user_id)

    return key


_BY_IDLE = attrgetter("idle_since")
_BY_LAST_OFFER = attrgetter("last_offer_at")


def _key(strategy: str, need: Need) -> Callable[[AgentState], Any]:
    # Lower is better; ties keep the earlier agent in the pool (pools are in user id order).
    if strategy == "round_robin":
        return _BY_LAST_OFFER
    if strategy == "least_occupied":
        return lambda a: (_occupancy(a), a.idle_since)
    if strategy == "best_skill":
        return _skill_score(need)
    return _BY_IDLE


def choose(strategy: str, agents: Iterable[AgentState], need: Need, now: float) -> AgentState | None:
    """The agent *strategy* picks among *agents* for *need*, or None when nobody is eligible.

    The same checks as :func:`eligible`, inlined: this loop is the hot path of every decision.
    """
    key = _key(strategy, need)
    channel, department, skills, exclude = need.channel, need.department, need.skills, need.exclude
    if strategy in ("longest_idle", "round_robin"):
        # Sorting by a plain attribute runs in C; the first eligible agent is usually near the top.
        for a in sorted(agents, key=key):
            if (a.presence == "available" and a.offer is None and a.wrap_until <= now and not a.wrap_hold
                    and has_room(a, channel) and department in a.departments
                    and not (exclude and a.user_id in exclude) and not (skills and not _has_skills(a.skills, skills))):
                return a
        return None
    candidates = [a for a in agents
                  if a.presence == "available" and a.offer is None and a.wrap_until <= now and not a.wrap_hold
                  and has_room(a, channel) and department in a.departments
                  and not (exclude and a.user_id in exclude) and not (skills and not _has_skills(a.skills, skills))]
    return min(candidates, key=key) if candidates else None


def _has_skills(have: Mapping[str, int], need: Mapping[str, int]) -> bool:
    return all(have.get(skill, 0) >= level for skill, level in need.items())


@dataclass(frozen=True, slots=True)
class Proposal:
    """An offer the router should try to make: this contact to this agent."""

    contact: ContactState
    agent: AgentState


class Chooser(Protocol):
    """An index that answers :func:`choose` for a need (see :class:`routing.agent_index.AgentIndex`)."""

    def choose(self, strategy: str, need: Need, now: float) -> AgentState | None: ...


def plan(
    waiting: Iterable[ContactState],
    agents_by_department: Mapping[str, list[AgentState]] | Chooser,
    *,
    strategy_of: Callable[[str], str],
    now: float,
    reoffer_after: float,
) -> list[Proposal]:
    """Match waiting contacts to agents, best-ranked contacts first, one offer per agent.

    *waiting* need not be sorted. A contact no eligible agent can take is skipped, so one
    contact needing a rare skill never blocks the queue behind it. *agents_by_department* is
    either the pools by department or an index that chooses the same way.
    """
    pools = agents_by_department if isinstance(agents_by_department, Mapping) else None
    taken: set[int] = set()
    proposals: list[Proposal] = []
    for contact in sorted(waiting, key=lambda c: (c.rank, c.conversation_id)):
        if not contact.dispatch:
            continue
        need = need_of(contact, now=now, reoffer_after=reoffer_after)
        if taken:
            need = Need(need.channel, need.department, need.skills, need.exclude | taken)
        if pools is None:
            agent = agents_by_department.choose(strategy_of(contact.queue), need, now)  # type: ignore[union-attr]
        else:
            agent = choose(strategy_of(contact.queue), pools.get(contact.department, ()), need, now)
        if agent is not None:
            taken.add(agent.user_id)
            proposals.append(Proposal(contact, agent))
    return proposals
