"""The call director: at ``newCall`` the telephony hook asks where the PBX should send the call.

The call is routed (rules -> department -> queue) right away. With ``call_dial = "agent"`` a
free, eligible agent is reserved atomically and the PBX dials their extension; the agent gets an
``offer`` frame (channel ``call``) on their desk, and answering the phone is accepting it. If
nobody is free (or ``call_dial = "department"``) the PBX dials the department's number and its
own hunt group rings; the router tracks the call until it is answered or abandoned, so waiting
time, service level and abandons are counted either way.
"""

from __future__ import annotations

import datetime as dt
import logging

from contact_center.events import CallRang, DtmfReceived
from routing.consumer import RoutingConsumer
from routing.dnis import plan_for
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
        closed = await self._out_of_hours(contact.conversation_id, contact.department)
        if closed is not None:
            return closed
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

    async def _out_of_hours(self, conversation_id: int, department: str) -> dict[str, str] | None:
        """The PBX's reply when the department is closed and sends calls to voicemail or rejects them
        (the contact then leaves the queue); None when the call is queued as usual."""
        plan = plan_for(department, self._router.org.departments, dt.datetime.now(dt.UTC))
        if plan.action == "queue":
            return None
        log.info("call %s for %s out of hours (%s): %s", conversation_id, department, plan.why, plan.action)
        await self._router.abandon(conversation_id)
        if plan.action == "voicemail" and plan.number:
            return {"action": "dial", "number": plan.number}
        return {"action": "reject", "reason": plan.reason or "busy"}

    def _department(self, slug: str) -> dict[str, str] | None:
        department = self._router.org.departments.get(slug)
        if department is None or not department.phone_number:
            return None
        return {"action": "dial", "number": department.phone_number}
