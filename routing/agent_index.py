"""Agents ready for an offer, per department and channel, kept in each strategy's order. Pure.

:func:`routing.selection.choose` scans a department's whole pool for every decision (and, for
least occupied and best skill, computes a key for every eligible agent). :class:`AgentIndex`
keeps, for every (department, channel), the agents who are available, have no pending offer
and are below capacity on that channel in sorted lists, one per order a queue has asked for
(each made on first use, so a queue pays only for its own strategy): idle since (longest
idle), last offer (round robin), occupancy (least occupied) and one per required skill set
(best skill). Choosing walks the list from its best end and stops at the
first agent who passes the checks that depend on the contact or the clock (wrap-up, skills,
recent declines).

Updates are cheap where the decision waits for them: an agent's entries carry a version, a
change bumps it (old entries become stale and are skipped, then dropped when a list has
collected enough of them, or at once when they gather at a list's best end while choosing)
and only a ready agent is inserted again. Every candidate is also
re-checked against the agent's current state, so a lagging entry can only make an agent be
looked at later, never a busy one be chosen; the reservation step re-checks atomically in any
case. Ties break by user id, which is :func:`choose`'s order for pools listed by user id.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Iterable, Mapping

from routing.model import AgentState
from routing.selection import Need, has_room

Entry = tuple  # (sort key ..., user id, version)
SkillSet = frozenset[tuple[str, int]]
MAX_SKILL_ORDERS = 16  # per department and channel; rarer skill sets are answered by a scan
_ORDER_OF = {"round_robin": "offer", "least_occupied": "occupancy"}


class _Group:
    """The ready agents of one (department, channel), the orders asked of it so far, and how many
    entries each of those lists holds for agents who have left or changed since (stale)."""

    __slots__ = ("members", "orders", "stale")

    def __init__(self) -> None:
        self.members: dict[int, int] = {}  # user id -> version of their current entries
        self.orders: dict[object, list[Entry]] = {}  # "idle" / "offer" / "occupancy" / a skill set -> sorted
        self.stale = 0  # at most this many stale entries in each list


def _entry(order: object, agent: AgentState, version: int) -> Entry:
    uid = agent.user_id
    if order == "idle":
        return (agent.idle_since, uid, version)
    if order == "offer":
        return (agent.last_offer_at, uid, version)
    if order == "occupancy":
        total = sum(agent.capacity.values())
        return (sum(agent.load.values()) / total if total else 1.0, agent.idle_since, uid, version)
    return _skill_key(agent, order, version)  # type: ignore[arg-type]


def _skill_key(agent: AgentState, skills: SkillSet, version: int) -> Entry:
    have = agent.skills
    score = sum(have.get(k, 0) for k, _ in skills) if skills else sum(have.values())
    return (-score, agent.idle_since, agent.user_id, version)


class AgentIndex:
    """The ready agents of every (department, channel), sorted per strategy (see the module docstring)."""

    def __init__(self, agents: Iterable[AgentState] = ()) -> None:
        self.agents: dict[int, AgentState] = {}
        self._groups: dict[tuple[str, str], _Group] = {}
        self._version: dict[int, int] = {}
        self._in: dict[int, list[_Group]] = {}  # the groups holding an agent's current entries
        for agent in agents:
            self.update(agent)

    def update(self, agent: AgentState) -> None:
        """Take *agent*'s current state (a new object or one changed in place) into the index."""
        uid = agent.user_id
        self.agents[uid] = agent
        version = self._version[uid] = self._version.get(uid, 0) + 1
        for group in self._in.pop(uid, ()):
            del group.members[uid]
            group.stale += 1
            if group.stale > 8 + len(group.members):
                self._compact(group)
        if agent.presence != "available" or agent.offer is not None:
            return
        groups = [self._group(d, channel) for channel in agent.capacity
                  if has_room(agent, channel) for d in agent.departments]
        for group in groups:
            group.members[uid] = version
            for name, entries in group.orders.items():
                insort(entries, _entry(name, agent, version))
        if groups:
            self._in[uid] = groups

    def _group(self, department: str, channel: str) -> _Group:
        group = self._groups.get((department, channel))
        if group is None:
            group = self._groups[(department, channel)] = _Group()
        return group

    def _compact(self, group: _Group) -> None:
        members = group.members
        for name, entries in group.orders.items():
            group.orders[name] = [e for e in entries if members.get(e[-2]) == e[-1]]
        group.stale = 0

    def ready(self, department: str, channel: str) -> list[AgentState]:
        """The agents the index holds as ready for this department and channel, longest idle first."""
        group = self._groups.get((department, channel))
        if group is None:
            return []
        return [self.agents[e[-2]] for e in self._order(group, "idle") if group.members.get(e[-2]) == e[-1]]

    def _order(self, group: _Group, name: object) -> list[Entry]:
        entries = group.orders.get(name)
        if entries is None:  # first use: built from the group's members, then kept up to date
            agents = self.agents
            entries = group.orders[name] = sorted(_entry(name, agents[uid], v) for uid, v in group.members.items())
        return entries

    def choose(self, strategy: str, need: Need, now: float) -> AgentState | None:
        """The agent *strategy* picks for *need*, as :func:`routing.selection.choose` over the department."""
        group = self._groups.get((need.department, need.channel))
        if group is None:
            return None
        if strategy == "best_skill":
            skills: SkillSet = frozenset(need.skills.items())
            if skills not in group.orders and len(group.orders) >= 3 + MAX_SKILL_ORDERS:
                return self._best_skill_scan(group, need, now)
            name: object = skills
        else:
            name = _ORDER_OF.get(strategy, "idle")
        members, agents = group.members, self.agents
        entries, leading = self._order(group, name), -1  # stale entries before the first current one
        for i, entry in enumerate(entries):
            uid = entry[-2]
            if members.get(uid) == entry[-1]:
                if leading < 0:
                    leading = i
                agent = agents[uid]
                if _fits(agent, need, now):
                    break
        else:
            agent, leading = None, len(entries) if leading < 0 else leading
        if leading > 0:  # the chosen agents' old entries gather at the best end: drop them now
            del entries[:leading]
        return agent

    def _best_skill_scan(self, group: _Group, need: Need, now: float) -> AgentState | None:
        fitting = [a for a in (self.agents[uid] for uid in group.members) if _fits(a, need, now)]
        if not fitting:
            return None
        skills = frozenset(need.skills.items())
        return min(fitting, key=lambda a: _skill_key(a, skills, 0))


def _fits(agent: AgentState, need: Need, now: float) -> bool:
    # The full eligibility check on the agent's current state (the index may lag an in-place change).
    if agent.presence != "available" or agent.offer is not None or agent.in_wrap_up(now):
        return False
    channel = need.channel
    if not has_room(agent, channel) or need.department not in agent.departments:
        return False
    if need.exclude and agent.user_id in need.exclude:
        return False
    return not need.skills or _has_skills(agent.skills, need.skills)


def _has_skills(have: Mapping[str, int], need: Mapping[str, int]) -> bool:
    return all(have.get(skill, 0) >= level for skill, level in need.items())
