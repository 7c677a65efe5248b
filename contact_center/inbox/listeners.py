"""Routing's events applied to conversation rows, so the inbox stays the one writer of state.

The router publishes what it decided (``OfferMade``, ``OfferAccepted``, ``OfferDeclined``); these
handlers record it on the conversation through the state machine. (Where a contact was routed,
its department, the router records itself before announcing ``ContactRouted``: the agent offered
the contact must find it there.)
Updates are conditional, so with the Redis bus (every instance handles every event) the row
changes once and ``ConversationUpdated`` is published once. Events about conversations that do
not exist, or that the state machine refuses (an offer on a closed conversation), are logged and
skipped.
"""

from __future__ import annotations

import logging

from contact_center.bus.base import Bus
from contact_center.errors import Conflict, NotFound
from contact_center.events import OfferAccepted, OfferDeclined, OfferMade
from contact_center.inbox.conversations import Action
from contact_center.inbox.service import InboxService

log = logging.getLogger(__name__)


class RoutingListener:
    """Subscribes to routing events and applies them to conversations."""

    def __init__(self, *, inbox: InboxService, bus: Bus) -> None:
        self._inbox = inbox
        self._bus = bus

    def subscribe(self) -> None:
        """Register the handlers on the bus (call before the bus starts)."""
        self._bus.subscribe(self.on_offer, OfferMade, OfferAccepted, OfferDeclined)

    async def on_offer(self, event: OfferMade | OfferAccepted | OfferDeclined) -> None:
        """Offer → offered, accept → assigned, decline/timeout → queued."""
        action = {OfferMade: Action.OFFER, OfferAccepted: Action.ACCEPT, OfferDeclined: Action.DECLINE}[type(event)]
        try:
            await self._inbox.apply(event.conversation_id, action, event.user_id)
        except (NotFound, Conflict) as exc:
            log.info("ignoring %s for conversation %s: %s", type(event).__name__, event.conversation_id, exc)
