"""Everything routing tells the rest of the product: bus events and the frames agents see.

(``ConversationUpdated`` is published by the inbox whenever a status change lands in the store.)

Frames for one agent travel as ``UserNotified(user_id, frame)``; the agent websocket delivers
them on whichever instance the agent is connected. Frame shapes (the desk renders these):

* ``offer`` — ``{"type": "offer", "offer_id", "conversation_id", "channel", "department",
  "queue", "priority", "reason", "subject", "contact_address", "customer_id", "expires_at",
  "timeout_seconds"}``
* ``offer_cancelled`` — ``{"type": "offer_cancelled", "offer_id", "conversation_id", "reason"}``
  (``timeout``, ``unreachable`` (timed out while the agent had no websocket), ``rejected``,
  ``abandoned``, ``answered_elsewhere``, ``presence``)
* ``assigned`` — ``{"type": "assigned", "conversation_id", "channel", "department", "queue",
  "offer_id"}``
* ``presence`` — ``{"type": "presence", "presence", "state", "reason", "load", "capacity",
  "wrap_up_until", "wrap_up"}`` (``state`` adds busy/wrap_up to the chosen presence; ``wrap_up``:
  ``{"conversation_id", "until", "outcome_required"}`` while the agent wraps a contact up, else null)
"""

from __future__ import annotations

import time
from typing import Any

from contact_center.bus.base import Bus
from contact_center.events import (
    AgentPresenceChanged,
    ContactRouted,
    OfferAccepted,
    OfferDeclined,
    OfferMade,
    UserNotified,
)
from routing.model import AgentState, ContactState
from routing.wrapup import offer_outcome


def offer_frame(contact: ContactState, offer_seconds: float) -> dict[str, Any]:
    return {
        "type": "offer",
        "offer_id": contact.offer_id,
        "conversation_id": contact.conversation_id,
        "channel": contact.channel,
        "department": contact.department,
        "queue": contact.queue,
        "priority": contact.priority,
        "reason": contact.reason,
        "subject": contact.subject,
        "contact_address": contact.contact_address,
        "customer_id": contact.customer_id,
        "expires_at": contact.offer_expires,
        "timeout_seconds": offer_seconds,
    }


def presence_frame(agent: AgentState, now: float) -> dict[str, Any]:
    return {
        "type": "presence",
        "presence": agent.presence,
        "state": agent.state(now),
        "reason": agent.reason,
        "load": dict(agent.load),
        "capacity": dict(agent.capacity),
        "wrap_up_until": agent.wrap_until if agent.wrap_until > now else None,
        "wrap_up": wrap_up_view(agent, now),
    }


def wrap_up_view(agent: AgentState, now: float) -> dict[str, Any] | None:
    """The agent's wrap-up as the desk and the wallboard show it, or None when not wrapping up."""
    if agent.wrap_conversation is None or not agent.in_wrap_up(now):
        return None
    return {"conversation_id": agent.wrap_conversation, "until": agent.wrap_until,
            "outcome_required": agent.wrap_hold}


class RoutingNotifier:
    """Publishes routing's events and agent frames on the bus."""

    def __init__(self, bus: Bus) -> None:
        self._bus = bus

    async def routed(self, contact: ContactState) -> None:
        await self._bus.publish(ContactRouted(contact.conversation_id, contact.channel, contact.department,
                                              contact.queue, contact.priority, contact.reason))

    async def offered(self, contact: ContactState, offer_seconds: float) -> None:
        assert contact.offer_user is not None
        assert contact.offer_id is not None
        await self._bus.publish(OfferMade(contact.conversation_id, contact.offer_user, contact.offer_id,
                                          contact.channel, contact.offer_expires))
        await self._bus.publish(UserNotified(contact.offer_user, offer_frame(contact, offer_seconds)))

    async def accepted(self, contact: ContactState, offer_id: str) -> None:
        assert contact.user_id is not None
        await self._bus.publish(OfferAccepted(contact.conversation_id, contact.user_id, offer_id))
        await self._bus.publish(UserNotified(contact.user_id, {
            "type": "assigned", "conversation_id": contact.conversation_id, "channel": contact.channel,
            "department": contact.department, "queue": contact.queue, "offer_id": offer_id}))

    async def declined(self, contact: ContactState, user_id: int, offer_id: str, *, timed_out: bool,
                       reachable: bool = True) -> None:
        outcome = offer_outcome(timed_out=timed_out, reachable=reachable)
        await self._bus.publish(OfferDeclined(contact.conversation_id, user_id, offer_id, timed_out, outcome=outcome))
        await self.cancelled(user_id, contact.conversation_id, offer_id,
                             {"rejected": "rejected", "ignored": "timeout"}.get(outcome, outcome))

    async def cancelled(self, user_id: int, conversation_id: int, offer_id: str | None, reason: str) -> None:
        await self._bus.publish(UserNotified(user_id, {
            "type": "offer_cancelled", "offer_id": offer_id, "conversation_id": conversation_id, "reason": reason}))

    async def presence(self, agent: AgentState, now: float | None = None) -> None:
        now = time.time() if now is None else now
        await self._bus.publish(AgentPresenceChanged(agent.user_id, agent.state(now), agent.reason))
        await self._bus.publish(UserNotified(agent.user_id, presence_frame(agent, now)))

    async def resend(self, user_id: int, frame: dict[str, Any]) -> None:
        """Send a frame again (a pending offer to an agent who reconnected)."""
        await self._bus.publish(UserNotified(user_id, frame))
