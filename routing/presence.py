"""Agent presence: available / away (with a reason) / offline, and websocket connect/disconnect.

An agent whose last websocket closes (on every instance) goes offline after a grace period, so
a page reload or a short network blip does not throw them out of the queues. The grace timer
lives with the routing state, so any instance may fire it.

Each instance also remembers its own agents' websockets, so that after Redis lost the routing
state (a restart without persistence) it can register them again with the presence they had
(:meth:`PresenceService.restore`): agents who stayed connected get offers without reconnecting.
"""

from __future__ import annotations

import logging
from typing import Any

from contact_center.auth.roles import Principal
from contact_center.errors import NotFound, ValidationError
from routing.model import PRESENCES, AgentState
from routing.notifier import offer_frame, presence_frame
from routing.router import Router

log = logging.getLogger(__name__)


class PresenceService:
    """Changes agents' presence and follows their websockets."""

    def __init__(self, *, router: Router, instance: str) -> None:
        self._router = router
        self._instance = instance
        self._sockets: dict[int, int] = {}  # this instance's open agent websockets, per agent

    async def set(self, user_id: int, presence: str, reason: str | None = None) -> AgentState:
        """Set an agent's presence; going away or offline withdraws a pending offer.

        Raises:
            ValidationError: unknown presence. NotFound: the user takes no contacts (not an agent).
        """
        if presence not in PRESENCES:
            raise ValidationError("presence", f"presence must be one of {', '.join(PRESENCES)}")
        router = self._router
        agent = await router.reservations.set_presence(user_id, presence, reason, router.clock())
        if agent is None:
            await router.load_org()  # an agent created since the last load
            agent = await router.reservations.set_presence(user_id, presence, reason, router.clock())
        if agent is None:
            raise NotFound("only agents have a routing presence")
        router.update(agent)
        if presence != "available" and agent.offer is not None:
            await router.withdraw(agent, "presence")
            agent = await router.reservations.agent(user_id) or agent
            router.update(agent)
        await router.notifier.presence(agent)
        router.kick()
        return agent

    async def connected(self, principal: Principal, sockets: int) -> dict[str, Any] | None:
        """An agent's websocket opened: available if they were offline; send presence, replay a pending offer.

        Returns the presence frame (the agent websocket pushes it too, through the bus).
        """
        router = self._router
        self._count(principal.id, sockets)
        await router.reservations.connections(principal.id, self._instance, sockets)
        agent = await router.reservations.agent(principal.id)
        if agent is None:
            return None
        if agent.presence == "offline" and router.config.available_on_connect:
            agent = await self.set(principal.id, "available", None)  # publishes the presence frame
        else:
            await router.notifier.resend(agent.user_id, presence_frame(agent, router.clock()))
        if agent.offer is not None:
            contact = await router.reservations.contact(agent.offer)
            if contact is not None and contact.offer_user == agent.user_id:
                timeout = router.policy(contact.queue, contact.channel).offer_timeout
                await router.notifier.resend(agent.user_id, offer_frame(contact, timeout))
        return presence_frame(agent, router.clock())

    async def disconnected(self, principal: Principal, sockets: int) -> None:
        """An agent's websocket closed: with none left anywhere, start the grace period."""
        router = self._router
        self._count(principal.id, sockets)
        total = await router.reservations.connections(principal.id, self._instance, sockets)
        if total == 0:
            await router.reservations.add_timer(f"grace|{principal.id}", router.clock() + router.config.offline_grace)

    def _count(self, user_id: int, sockets: int) -> None:
        if sockets > 0:
            self._sockets[user_id] = sockets
        else:
            self._sockets.pop(user_id, None)

    async def restore(self, before: dict[int, AgentState]) -> int:
        """Register this instance's connected agents again after Redis lost them; returns how many
        were offline there and got back the presence *before* (the mirror's, from before the loss)
        says they had (or ``available_on_connect``'s). A presence Redis still holds is left alone."""
        router = self._router
        restored = 0
        for user_id, sockets in list(self._sockets.items()):
            await router.reservations.connections(user_id, self._instance, sockets)
            agent = await router.reservations.agent(user_id)
            if agent is None or agent.presence != "offline":
                continue
            had = before.get(user_id)
            if had is not None:
                presence, reason = had.presence, had.reason
            else:
                presence, reason = ("available" if router.config.available_on_connect else "offline"), None
            if presence != "offline":
                await self.set(user_id, presence, reason)
                restored += 1
        return restored

    async def grace_over(self, user_id: int) -> None:
        """The grace period ended: offline, unless a websocket came back meanwhile."""
        router = self._router
        if await router.reservations.connections(user_id, self._instance, None) > 0:
            return
        agent = await router.reservations.agent(user_id)
        if agent is not None and agent.presence != "offline":
            log.info("agent %s has no websocket left; offline", user_id)
            await self.set(user_id, "offline", "disconnected")
