"""The call director: at ``newCall`` the telephony hook asks where the PBX should send the call.

The call is routed (rules -> department -> queue) right away. With ``call_dial = "agent"`` a
free, eligible agent is reserved atomically and the PBX dials their extension; the agent gets an
``offer`` frame (channel ``call``) on their desk, and answering the phone is accepting it. If
nobody is free (or ``call_dial = "department"``) the PBX dials the department's number and its
own hunt group rings; the router tracks the call until it is answered or abandoned, so waiting
time, service level and abandons are counted either way.
"""

from __future__ import annotations

import logging

from contact_center.events import CallRang, DtmfReceived
from routing.consumer import RoutingConsumer
from routing.router import Router

log = logging.getLogger(__name__)


class RoutingCallDirector:
    """Implements :class:`contact_center.ports.CallDirector`."""

    def __init__(self, *, router: Router, consumer: RoutingConsumer) -> None:
        self._router = router
        self._consumer = consumer

    async def direct_call(self, event: CallRang) -> dict[str, str] | None:
        """``{"action": "dial", "number": …}`` (agent extension or department number), or None."""
        contact = await self._consumer.route_call(event)
        if contact is None:
            return None
        if contact.status == "offered" and contact.offer_user is not None:
            agent = self._router.agents.get(contact.offer_user)
            if agent is not None and agent.extension:
                return {"action": "dial", "number": agent.extension}
        if self._router.config.call_dial == "agent" and contact.status == "waiting":
            agent = await self._router.reserve_call(contact)
            if agent is not None and agent.extension:
                return {"action": "dial", "number": agent.extension}
        return self._department(contact.department)

    async def direct_dtmf(self, event: DtmfReceived) -> dict[str, str] | None:
        """After IVR digits: route again and say where to dial now (for hooks that can act on it)."""
        await self._consumer.on_dtmf(event)
        contact = await self._router.reservations.contact(event.conversation_id)
        if contact is None or contact.status != "waiting":
            return None
        if self._router.config.call_dial == "agent":
            agent = await self._router.reserve_call(contact)
            if agent is not None and agent.extension:
                return {"action": "dial", "number": agent.extension}
        return self._department(contact.department)

    def _department(self, slug: str) -> dict[str, str] | None:
        department = self._router.org.departments.get(slug)
        if department is None or not department.phone_number:
            return None
        return {"action": "dial", "number": department.phone_number}
