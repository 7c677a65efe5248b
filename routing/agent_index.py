"""Agents ready for an offer, per department and channel, kept in each strategy's order. Pure.

:func:`routing.selection.choose` scans a department's whole pool for every decision (and, for
least occupied and best skill, computes a key for every eligible agent). :class:`AgentIndex`
keeps, for every (department, channel), the agents who are available, have no pending offer
and are below capacity on that channel in sorted lists, one per order: idle since (longest
idle), last offer (round robin), occupancy (least occupied) and, made on first use, one per
required skill set (best skill). Choosing walks the list from its best end and stops at the
first agent who passes the checks that depend on the contact or the clock (wrap-up, skills,
recent declines).

Updates are cheap where the decision waits for them: an agent's entries carry a version, a
change bumps it (old entries become stale and are skipped, then dropped when a list has
collected enough of them) and only a ready agent is inserted again. Every candidate is also
re-checked against the agent's current state, so a lagging entry can only make an agent be
looked at later, never a busy one be chosen; the reservation step re-checks atomically in any
case. Ties break by user id, which is :func:`choose`'s order for pools listed by user id.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Iterable, Mapping

from routing.model import AgentState
from routing.selection import Need

Entry = tuple  # (sort key ..., user id, version)
SkillSet = frozenset[tuple[str, int]]
MAX_SKILL_ORDERS = 16  # per department and channel; rarer skill sets are answered by a scan


class _Order:
    """One sorted list of entries and how many of them are stale."""

    __slots__ = ("entries", "stale")

    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self.stale = 0


class _Group:
    """The orders of one (department, channel)."""

    __slots__ = ("idle", "occupancy", "offer", "skills")

    def __init__(self) -> None:
        self.idle, self.offer, self.occupancy = _Order(), _Order(), _Order()
        self.skills: dict[SkillSet, _Order] = {}


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
            for order in (group.idle, group.offer, group.occupancy, *group.skills.values()):
                order.stale += 1
                if order.stale > 8 + len(order.entries) // 2:
                    self._compact(order)
        if agent.presence != "available" or agent.offer is not None:
            return
        groups = [self._group(d, channel) for channel, cap in agent.capacity.items()
                  if agent.load.get(channel, 0) < cap for d in agent.departments]
        if not groups:
            return
        total = sum(agent.capacity.values())
        idle = (agent.idle_since, uid, version)
        offer = (agent.last_offer_at, uid, version)
        occupancy = (sum(agent.load.values()) / total if total else 1.0, agent.idle_since, uid, version)
        for group in groups:
            insort(group.idle.entries, idle)
            insort(group.offer.entries, offer)
            insort(group.occupancy.entries, occupancy)
            for skills, order in group.skills.items():
                insort(order.entries, _skill_key(agent, skills, version))
        self._in[uid] = groups

    def _group(self, department: str, channel: str) -> _Group:
        group = self._groups.get((department, channel))
        if group is None:
            group = self._groups[(department, channel)] = _Group()
        return group

    def _compact(self, order: _Order) -> None:
        version = self._version
        order.entries = [e for e in order.entries if version.get(e[-2]) == e[-1]]
        order.stale = 0

    def ready(self, department: str, channel: str) -> list[AgentState]:
        """The agents the index holds as ready for this department and channel, longest idle first."""
        group = self._groups.get((department, channel))
        if group is None:
            return []
        version, agents = self._version, self.agents
        return [agents[e[-2]] for e in group.idle.entries if version.get(e[-2]) == e[-1]]

    def choose(self, strategy: str, need: Need, now: float) -> AgentState | None:
        """The agent *strategy* picks for *need*, as :func:`routing.selection.choose` over the department."""
        group = self._groups.get((need.department, need.channel))
        if group is None:
            return None
        if strategy == "round_robin":
            order = group.offer
        elif strategy == "least_occupied":
            order = group.occupancy
        elif strategy == "best_skill":
            order = self._skill_order(group, need)
            if order is None:
                return self._best_skill_scan(group, need, now)
        else:
            order = group.idle
        version, agents = self._version, self.agents
        for entry in order.entries:
            uid = entry[-2]
            if version.get(uid) == entry[-1]:
                agent = agents[uid]
                if _fits(agent, need, now):
                    return agent
        return None

    def _skill_order(self, group: _Group, need: Need) -> _Order | None:
        skills: SkillSet = frozenset(need.skills.items())
        order = group.skills.get(skills)
        if order is None and len(group.skills) < MAX_SKILL_ORDERS:
            order = group.skills[skills] = _Order()
            version, agents = self._version, self.agents
            order.entries = sorted(_skill_key(agents[e[-2]], skills, e[-1]) for e in group.idle.entries
                                   if version.get(e[-2]) == e[-1])
        return order

    def _best_skill_scan(self, group: _Group, need: Need, now: float) -> AgentState | None:
        fitting = [a for a in self.ready(need.department, need.channel) if _fits(a, need, now)]
        if not fitting:
            return None
        skills = frozenset(need.skills.items())
        return min(fitting, key=lambda a: _skill_key(a, skills, 0))


def _fits(agent: AgentState, need: Need, now: float) -> bool:
    # The full eligibility check on the agent's current state (the index may lag an in-place change).
    if agent.presence != "available" or agent.offer is not None or agent.wrap_until > now:
        return False
    channel = need.channel
    if agent.load.get(channel, 0) >= agent.capacity.get(channel, 0) or need.department not in agent.departments:
        return False
    if need.exclude and agent.user_id in need.exclude:
        return False
    return not need.skills or _has_skills(agent.skills, need.skills)


def _has_skills(have: Mapping[str, int], need: Mapping[str, int]) -> bool:
    return all(have.get(skill, 0) >= level for skill, level in need.items())
