"""The supervisor's queue view, computed from the live routing state. Pure.

Per department and channel: contacts waiting, on offer and in progress; the longest current
wait; today's (UTC) service level — the share of contacts answered within the queue's
threshold, out of all answered and abandoned (abandoned contacts count against it); average
speed of answer; abandoned contacts; and the queue's agents by state. The frame is the one
``GET /ws/supervisor`` streams and ``GET /api/v1/stats/queues`` returns::

    {"type": "queue_snapshot", "at": 1700000000.0,
     "queues": [{"queue": "sales.email", "department": "sales", "channel": "email",
                 "waiting": 2, "offered": 1, "active": 4, "longest_wait": 31.5,
                 "answered": 10, "answered_within": 9, "service_level": 0.818,
                 "service_level_seconds": 20.0, "asa": 7.25, "abandoned": 1,
                 "agents": {"available": 1, "busy": 2, "wrap_up": 0, "away": 1, "offline": 3}}],
     "agents": [{"user_id": 7, "username": "anna", "display_name": "Anna", "state": "busy",
                 "presence": "available", "reason": null, "departments": ["sales"],
                 "load": {"email": 1}, "capacity": {"call": 1, "chat": 3, "email": 5},
                 "offer": null, "wrap_up_until": null, "wrap_up": null, "last_offer": "ignored",
                 "ignored": 1, "unreachable": 0, "state_since": 1699999000.0,
                 "contact": {"conversation_id": 41, "channel": "email", "status": "assigned",
                             "customer": "Maria Schneider", "address": "maria@example.org",
                             "subject": "Invoice"}}],
     "totals": {"waiting": 2, "offered": 1, "active": 4, "answered": 10, "abandoned": 1}}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from routing.floor import by_agent, current_contact, state_since
from routing.model import ASSIGNED, WAITING, AgentState, ContactState
from routing.notifier import wrap_up_view
from routing.reservations import Counters, Live

AGENT_STATES = ("available", "busy", "wrap_up", "away", "offline")


@dataclass(frozen=True, slots=True)
class QueueInfo:
    """A queue the view always shows (even when nothing is happening in it)."""

    slug: str
    department: str
    channel: str
    service_level: float


def _queue_row(info: QueueInfo, counters: Counters | None, agents: Iterable[AgentState], now: float) -> dict[str, Any]:
    c = counters or Counters()
    decided = c.answered + c.abandoned
    states = dict.fromkeys(AGENT_STATES, 0)
    for agent in agents:
        if info.department in agent.departments and agent.capacity.get(info.channel, 0) > 0:
            states[agent.state(now)] += 1
    return {
        "queue": info.slug,
        "department": info.department,
        "channel": info.channel,
        "waiting": 0,
        "offered": 0,
        "active": 0,
        "longest_wait": 0.0,
        "answered": c.answered,
        "answered_within": c.answered_within,
        "service_level": round(c.answered_within / decided, 4) if decided else None,
        "service_level_seconds": info.service_level,
        "asa": round(c.wait_total / c.answered, 2) if c.answered else None,
        "abandoned": c.abandoned,
        "agents": states,
    }


def agent_row(agent: AgentState, now: float, mine: Iterable[ContactState] = (),
              names: Mapping[int, str] | None = None) -> dict[str, Any]:
    """One agent of the view: state, load, since when and on what (*mine*: the contacts they hold or are offered)."""
    mine = list(mine)
    return {
        "user_id": agent.user_id,
        "username": agent.username,
        "display_name": agent.display_name,
        "state": agent.state(now),
        "presence": agent.presence,
        "reason": agent.reason,
        "departments": list(agent.departments),
        "load": {k: v for k, v in agent.load.items() if v},
        "capacity": dict(agent.capacity),
        "offer": agent.offer,
        "wrap_up_until": agent.wrap_until if agent.wrap_until > now else None,
        "state_since": state_since(agent, mine, now),
        "contact": current_contact(mine, names or {}),
        "wrap_up": wrap_up_view(agent, now),
        "last_offer": agent.last_offer,  # accepted | rejected | ignored | unreachable
        "ignored": agent.missed,  # offers in a row ignored (toward autopause)
        "unreachable": agent.unreachable,  # offers in a row that timed out while unreachable
    }


def snapshot(live: Live, queues: Mapping[str, QueueInfo], *, now: float,
             names: Mapping[int, str] | None = None) -> dict[str, Any]:
    """The full ``queue_snapshot`` frame; *names*: customers' names by id (for the agents' contacts)."""
    infos = dict(queues)
    for contact in live.contacts:
        infos.setdefault(contact.queue, QueueInfo(contact.queue, contact.department, contact.channel,
                                                  contact.service_level))
    for slug in live.counters:
        if slug not in infos:
            department, _, channel = slug.rpartition(".")
            infos[slug] = QueueInfo(slug, department, channel, 20.0)
    rows = {slug: _queue_row(info, live.counters.get(slug), live.agents, now) for slug, info in infos.items()}
    for contact in live.contacts:
        row = rows[contact.queue]
        if contact.status == ASSIGNED:
            row["active"] += 1
            continue
        row["waiting" if contact.status == WAITING else "offered"] += 1
        row["longest_wait"] = max(row["longest_wait"], round(max(0.0, now - contact.enqueued_at), 1))
    ordered = [rows[slug] for slug in sorted(rows)]
    held = by_agent(live.contacts)
    totals = {key: sum(r[key] for r in ordered) for key in ("waiting", "offered", "active", "answered", "abandoned")}
    return {
        "type": "queue_snapshot",
        "at": now,
        "queues": ordered,
        "agents": [agent_row(a, now, held.get(a.user_id, ()), names)
                   for a in sorted(live.agents, key=lambda a: a.user_id)],
        "totals": totals,
    }
