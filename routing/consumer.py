"""Bus events in, router calls out: new contacts are routed, ends of contacts release agents.

Contact events (ring, answer, hang-up, IVR digits, email, chat, conversation changes) are
handled concurrently across conversations but in publication order within one conversation, so
its steps never overtake each other. Events about agents only mark this instance's mirror stale
and ask for a dispatch pass.
"""

from __future__ import annotations

import asyncio
import logging

from contact_center.bus.base import Bus
from contact_center.events import (
    AgentPresenceChanged,
    CallAnswered,
    CallEnded,
    CallRang,
    ContactRouted,
    ConversationUpdated,
    DtmfReceived,
    EmailReceived,
    MessageReceived,
    OfferAccepted,
    OfferDeclined,
    OfferMade,
    TaskQueued,
)
from routing.dnis import department_for_number
from routing.facts import FactsBuilder
from routing.locks import KeyedLocks
from routing.model import ASSIGNED, WAITING, ContactState
from routing.router import Router
from routing.rules import Decision, Facts, decide
from routing.store import ConversationInfo

log = logging.getLogger(__name__)
ROUTABLE = ("queued", "offered")


class RoutingConsumer:
    """Turns bus events into routing steps."""

    def __init__(self, *, router: Router, facts: FactsBuilder, concurrency: int = 32) -> None:
        self._router = router
        self._facts = facts
        self._order = KeyedLocks()
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task[None]] = set()

    def subscribe(self, bus: Bus) -> None:
        """Register the handlers (before the bus starts)."""
        bus.subscribe(self.on_contact_event, CallRang, CallAnswered, CallEnded, DtmfReceived, EmailReceived,
                      MessageReceived, ConversationUpdated, TaskQueued)
        bus.subscribe(self.on_agent_event, OfferMade, OfferAccepted, OfferDeclined, AgentPresenceChanged,
                      ContactRouted)

    async def on_agent_event(self, event: object) -> None:
        """Another instance (or this one) changed an agent or a queue: refresh and dispatch."""
        self._router.mark_dirty(getattr(event, "user_id", None))
        self._router.kick()

    async def on_contact_event(self, event: object) -> None:
        """Handle a contact event in its own task: conversations proceed side by side, while one
        conversation's events keep their order (a FIFO lock per conversation, taken in arrival order)."""
        task = asyncio.create_task(self._handle_in_order(event))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle_in_order(self, event: object) -> None:
        async with self._order.hold(getattr(event, "conversation_id", None)), self._slots:
            try:
                await self.handle(event)
            except Exception:
                log.exception("routing failed on %s", type(event).__name__)

    def pending(self) -> set[asyncio.Task[None]]:
        """The events being handled right now (stopped at shutdown)."""
        return set(self._tasks)

    async def handle(self, event: object) -> None:
        """Dispatch one contact event to its handler."""
        handlers = {
            CallRang: self.on_call_rang, CallAnswered: self.on_call_answered, CallEnded: self.on_call_ended,
            DtmfReceived: self.on_dtmf, EmailReceived: self.on_email, MessageReceived: self.on_message,
            ConversationUpdated: self.on_conversation_updated, TaskQueued: self.on_task,
        }
        await handlers[type(event)](event)  # type: ignore[operator]

    # ----------------------------------------------------------------------- routing new contacts

    async def _route(self, info: ConversationInfo, facts: Facts, *, suggested: str | None,
                     since: float, fixed: str | None = None) -> ContactState:
        # *since*: the event's time; a contact that ended after it is not brought back (see enqueue).
        config = self._router.config
        decision = decide(config.rules, facts, default=config.default_department,
                          suggested=suggested if suggested in config.departments else None,
                          fixed=fixed if fixed in config.departments else None)
        contact = self._router.contact_for(info, decision, now=self._router.clock())
        return await self._router.enqueue(contact, not_before=since)

    async def _routable(self, conversation_id: int, channel: str) -> ConversationInfo | None:
        if await self._router.reservations.contact(conversation_id) is not None:
            return None
        info = await self._router.repository.conversation(conversation_id)
        if info is None or info.status not in ROUTABLE or info.channel != channel:
            return None
        return info

    async def route_call(self, event: CallRang) -> ContactState | None:
        """Route an inbound call (at ``newCall``, from the hook or from the bus, whichever is first)."""
        tracked = await self._router.reservations.contact(event.conversation_id)
        if tracked is not None or event.direction != "in":
            return tracked
        info = await self._routable(event.conversation_id, "call")
        if info is None:
            await self._answered_unrouted(event)
            return None
        facts = await self._facts.call(event, info)
        # A PBX queue naming a department holds the call there already (its agents' phones ring):
        # the rules set its priority and skills but do not move it. Else the number dialled
        # suggests its department (DNIS), which the rules may overrule.
        suggested = department_for_number(event.to_number, self._router.org.departments)
        return await self._route(info, facts, suggested=suggested, since=event.at, fixed=event.queue)

    async def _answered_unrouted(self, event: CallRang) -> None:
        """A call answered before routing read it (the answer's write came first) is not queued, but
        its conversation still gets the department it would have: the wrap-up offers that
        department's outcomes, and it is listed under it."""
        if await self._router.reservations.contact(event.conversation_id) is not None:
            return
        info = await self._router.repository.conversation(event.conversation_id)
        if info is None or info.channel != "call" or info.department is not None or info.status == "closed":
            return
        config = self._router.config
        suggested = department_for_number(event.to_number, self._router.org.departments)
        decision = decide(config.rules, await self._facts.call(event, info), default=config.default_department,
                          suggested=suggested if suggested in config.departments else None,
                          fixed=event.queue if event.queue in config.departments else None)
        await self._router.conversations.record_routing(
            self._router.contact_for(info, decision, now=self._router.clock()))

    async def on_call_rang(self, event: CallRang) -> None:
        await self.route_call(event)

    async def on_email(self, event: EmailReceived) -> None:
        info = await self._routable(event.conversation_id, "email")
        if info is not None:
            await self._route(info, await self._facts.email(event, info), suggested=event.department, since=event.at)

    async def on_message(self, event: MessageReceived) -> None:
        """A message on a messaging channel (chat, a messaging bridge): route its conversation."""
        info = await self._routable(event.conversation_id, event.channel)
        if info is not None:
            await self._route(info, await self._facts.message(event, info), suggested=info.department,
                              since=event.at)

    async def on_task(self, event: TaskQueued) -> None:
        """A callback, or a follow-up that is due: route its conversation to the task's department
        (the rules decide when it has none), first to the agent it returns to when one is named."""
        info = await self._routable(event.conversation_id, event.channel)
        if info is None:
            return
        config = self._router.config
        source = await self._router.repository.conversation(event.source_conversation_id) \
            if event.source_conversation_id is not None else None
        department = event.department or info.department or (source.department if source else None)
        if department in config.departments:
            decision = Decision(department, info.priority, {}, f"{event.kind} for {department}")
        else:
            # The call it came from was not routed yet (the caller gave up within moments): its
            # department is what routing that call decides, from the number dialled and the rules.
            decision = await self._decide_stored(source or info)
        contact = self._router.contact_for(info, decision, now=self._router.clock())
        if event.user_id is not None:
            contact = self._router.reserved_for(contact, event.user_id)
        await self._router.enqueue(contact, not_before=event.at)

    async def _decide_stored(self, info: ConversationInfo, *, dtmf: str | None = None,
                             suggested: str | None = None) -> Decision:
        """The rules' decision for *info* from the store alone; a call without *suggested* is
        suggested the department of the number it dialled, as when it rang (:meth:`route_call`).
        A call's PBX queue holds it there, as at ring, unless *dtmf*: digits the caller pressed
        since are their own later choice and move it."""
        facts = await self._facts.stored(info, dtmf=dtmf)
        config = self._router.config
        fixed = facts.values.get("queue") if dtmf is None else None
        if suggested is None and info.channel == "call":
            suggested = department_for_number(facts.values.get("to"), self._router.org.departments)
        return decide(config.rules, facts, default=config.default_department,
                      suggested=suggested if suggested in config.departments else None,
                      fixed=fixed if fixed in config.departments else None)

    async def on_dtmf(self, event: DtmfReceived) -> None:
        """IVR digits: route the waiting call again with the digits known."""
        contact = await self._router.reservations.contact(event.conversation_id)
        info = await self._router.repository.conversation(event.conversation_id)
        if contact is None or contact.status != WAITING or info is None:
            return
        decision = await self._decide_stored(info, dtmf=event.digits, suggested=contact.department)
        if decision.department != contact.department:
            await self._router.reroute(contact, decision, why=f"IVR digits {event.digits}")

    # ----------------------------------------------------------------------- ends of contacts

    async def on_call_answered(self, event: CallAnswered) -> None:
        await self._router.answered(event.conversation_id, event.user_id)

    async def on_call_ended(self, event: CallEnded) -> None:
        contact = await self._router.reservations.contact(event.conversation_id)
        if contact is None:
            # An answered call routing no longer tracked (answered by someone it did not know of, or
            # tracked by a restarted instance) still gets its agent's wrap-up, from one instance only
            # (*since*: once one has finished it, the others' late adoption is refused).
            info = await self._router.repository.conversation(event.conversation_id)
            if info is not None and info.status == "wrap_up" and await self._adopt(info, since=event.at):
                await self._router.finish(event.conversation_id)
            return
        if contact.status == ASSIGNED:
            await self._router.finish(event.conversation_id)
        else:
            await self._router.abandon(event.conversation_id)

    async def on_conversation_updated(self, event: ConversationUpdated) -> None:
        """Someone else changed a tracked conversation: closed, wrapped up, assigned or requeued it.
        A conversation closed after its contact ended (its outcome chosen) ends its agent's wrap-up."""
        contact = await self._router.reservations.contact(event.conversation_id)
        if contact is None:
            if event.status == "closed" and event.user_id is not None:
                await self._router.wrap_up_done(event.user_id, event.conversation_id)
            return
        if event.status == "pending":  # a follow-up: the agent is free, the conversation waits outside routing
            await self._router.release(event.conversation_id)
        elif event.status in ("wrap_up", "closed"):
            if contact.status == ASSIGNED:
                await self._router.finish(event.conversation_id, closed=event.status == "closed")
            else:
                await self._router.abandon(event.conversation_id)  # the visitor left, or closed unanswered
        elif event.status == "assigned" and event.user_id is not None and contact.status != ASSIGNED:
            await self._router.answered(event.conversation_id, event.user_id)  # assigned by hand
        elif event.status == "queued" and contact.status == ASSIGNED and await self._requeued(event, contact):
            await self._router.requeue(event.conversation_id)  # put back in the queue by hand

    async def _requeued(self, event: ConversationUpdated, contact: ContactState) -> bool:
        """A real requeue of the assigned contact: made after it was assigned, and the store still
        says queued. Every instance hears every ``ConversationUpdated``, some late: a ``queued``
        from before the assignment (an earlier offer declined, the routing recorded) must not take
        the contact from the agent who has it now."""
        if event.at <= contact.assigned_at:
            return False
        info = await self._router.repository.conversation(event.conversation_id)
        return info is not None and info.status == "queued"

    # ----------------------------------------------------------------------- restart

    async def rebuild(self) -> int:
        """Track again every conversation the store says is waiting, offered or assigned.

        At start-up and after Redis lost the routing state. An offer the store records but routing
        no longer tracks is gone: its agent is told (``offer_cancelled``, reason ``withdrawn``)
        before the contact waits again, so it is never open for two agents (a call's ringing
        is the PBX's, so a call only waits again).
        """
        count = 0
        for info in await self._router.repository.open_conversations():
            if await self._router.reservations.contact(info.id) is not None:
                continue
            if info.status == "assigned":
                count += await self._adopt(info)
                continue
            if info.status == "wrap_up":
                count += await self._rewrap(info)
                continue
            if info.status == "offered" and info.assigned_user_id is not None and info.channel != "call":
                await self._router.notifier.cancelled(info.assigned_user_id, info.id, None, "withdrawn")
            decision = await self._decide_stored(info, suggested=info.department)
            if info.department:
                decision = type(decision)(info.department, info.priority, decision.skills,
                                          info.route_reason or decision.reason, decision.rules)
            contact = self._router.contact_for(info, decision, now=self._router.clock(),
                                               enqueued_at=info.created_at.timestamp())
            await self._router.enqueue(contact)
            count += 1
        log.info("routing rebuilt %d open conversations from the store", count)
        return count

    async def _rewrap(self, info: ConversationInfo) -> int:
        """A conversation in wrap-up whose after-call work routing lost (the in-process store restarted,
        Redis lost its data): its agent wraps it up again. Not when routing still has that wrap-up, or
        finished it after the conversation last changed (another instance did)."""
        if info.assigned_user_id is None:
            return 0
        agent = await self._router.reservations.agent(info.assigned_user_id)
        if agent is not None and agent.wrap_conversation == info.id:
            return 0
        since = info.updated_at.timestamp() if info.updated_at is not None else None
        if not await self._adopt(info, since=since):
            return 0
        return int(await self._router.finish(info.id))

    async def _adopt(self, info: ConversationInfo, *, since: float | None = None) -> int:
        if info.assigned_user_id is None:
            return 0
        department = info.department or self._router.config.default_department
        queue = info.queue or self._router.queue_slug(department, info.channel)
        contact = ContactState(conversation_id=info.id, channel=info.channel, department=department, queue=queue,
                               priority=info.priority, enqueued_at=info.created_at.timestamp(),
                               reason=info.route_reason or "", status=ASSIGNED, user_id=info.assigned_user_id,
                               dispatch=info.channel != "call", customer_id=info.customer_id)
        return int(await self._router.reservations.enqueue(contact, not_before=since))
