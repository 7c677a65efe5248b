"""The supervisor's floor: what the wallboard shows of each agent (since when in their state, on
which contact) and of the contacts waiting in a queue. Pure: values in, values out. Who may see
and steer which department is :mod:`contact_center.auth.scope`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from routing.model import ASSIGNED, OFFERED, WAITING, AgentState, ContactState


def by_agent(contacts: Iterable[ContactState]) -> dict[int, list[ContactState]]:
    """The contacts each agent holds (assigned to them) or is being offered, by user id."""
    mine: dict[int, list[ContactState]] = {}
    for c in contacts:
        user = c.user_id if c.status == ASSIGNED else c.offer_user if c.status == OFFERED else None
        if user is not None:
            mine.setdefault(user, []).append(c)
    return mine


def state_since(agent: AgentState, mine: Iterable[ContactState], now: float) -> float | None:
    """Since when *agent* is in the state the wallboard shows (see :meth:`AgentState.state`);
    *mine*: the contacts they hold or are offered (:func:`by_agent`).

    Away and offline count from the presence change; busy from the oldest contact they hold (or
    the pending offer); available from the start of the idle period. Wrap-up shows when it ends
    instead (``None`` here), as does an agent whose presence was set before the time was kept.
    """
    state = agent.state(now)
    if state in ("away", "offline"):
        return agent.presence_since or None
    if state == "busy":
        held = [c.assigned_at for c in mine if c.status == ASSIGNED and c.assigned_at]
        return min(held) if held else agent.last_offer_at or None
    if state == "available":
        since = max(agent.idle_since, agent.presence_since)
        return since if 0 < since <= now else None
    return None


def current_contact(mine: Iterable[ContactState], names: Mapping[int, str]) -> dict[str, Any] | None:
    """The contact an agent is on (of *mine*, the one they took last; else the one offered to
    them), with the customer's name when the store knows them."""
    held = list(mine)
    assigned = [c for c in held if c.status == ASSIGNED]
    contact = max(assigned, key=lambda c: c.assigned_at) if assigned else held[0] if held else None
    if contact is None:
        return None
    return {"conversation_id": contact.conversation_id, "channel": contact.channel,
            "status": contact.status, "customer": names.get(contact.customer_id) if contact.customer_id else None,
            "address": contact.contact_address, "subject": contact.subject}


def waiting_rows(contacts: Iterable[ContactState], queue: str, *, now: float, names: Mapping[int, str],
                 agent_names: Mapping[int, str]) -> list[dict[str, Any]]:
    """The contacts waiting (or on offer) in *queue*, in the order the queue serves them."""
    rows = [c for c in contacts if c.queue == queue and c.status in (WAITING, OFFERED)]
    rows.sort(key=lambda c: (c.rank, c.enqueued_at, c.conversation_id))
    return [{
        "conversation_id": c.conversation_id, "channel": c.channel, "department": c.department, "queue": c.queue,
        "status": c.status, "priority": c.priority, "reason": c.reason, "enqueued_at": c.enqueued_at,
        "waited": round(max(0.0, now - c.enqueued_at), 1),
        "customer": {"id": c.customer_id, "name": names.get(c.customer_id)} if c.customer_id else None,
        "address": c.contact_address, "subject": c.subject,
        "offered_to": ({"user_id": c.offer_user, "display_name": agent_names.get(c.offer_user, "")}
                       if c.status == OFFERED and c.offer_user is not None else None),
    } for c in rows]
