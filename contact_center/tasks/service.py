"""The task service: callbacks from missed calls, their attempts and outcomes, follow-ups, and the
scheduler that brings due ones back.

* A missed or abandoned inbound call (``CallEnded`` with ``missed``: nobody answered, the caller
  hung up in the queue or while ringing, or a voicemail box took it) becomes a callback, a
  conversation on the ``callback`` channel announced by ``TaskQueued`` and routed like any
  contact to the call's department; further missed calls from the number while it is open merge
  into it. The agents the call rang (or was offered to) get a "missed call" notice.
* An outbound call (``CallRang`` out) to the number of an open callback is an attempt: linked to
  it, and its answer and hang-up are shown to the agent working the callback. The agent records
  the outcome; an unreached customer may be tried again at a later time.
* A follow-up makes a conversation pending until a time (a call's: a callback at that time).
* :meth:`TaskService.run_scheduler` claims due tasks (:meth:`.TaskStore.claim_due`, safe with
  several instances) and queues them again, first for the agent who set them.

Every instance hears every call event; the store's unique keys make one of them do each write,
and only that one publishes what follows.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from contact_center.auth.roles import Principal
from contact_center.bus.base import Bus
from contact_center.channels import Presentation, channel, is_channel
from contact_center.errors import Conflict, Forbidden, NotFound
from contact_center.events import CallAnswered, CallEnded, CallRang, ConversationUpdated, TaskQueued, UserNotified
from contact_center.inbox.conversations import Action
from contact_center.inbox.service import InboxService
from contact_center.store.session import Database
from contact_center.store.tables import utcnow
from contact_center.tasks.decide import (
    MAX_NOTE,
    can_follow_up,
    check_future,
    outcome_step,
    parse_time,
)
from contact_center.tasks.store import CALLBACK, CallFacts, Missed, TaskStore

log = logging.getLogger(__name__)
_REMEMBERED_RINGS = 10_000
_STORE_WAITS, _STORE_WAIT_SECONDS = 20, 0.1


class TaskService:
    """Tasks for one application (see the module docstring)."""

    def __init__(self, *, db: Database, bus: Bus, inbox: InboxService,
                 blocked: Callable[[str], bool] = lambda _number: False, callbacks: bool = True) -> None:
        self.store = TaskStore(db)
        self._bus = bus
        self._inbox = inbox
        self._blocked = blocked
        self._callbacks = callbacks
        # Inbound legs as CallRang told them (the caller, the agents rung), for the missed-call step.
        self._ringing: OrderedDict[str, tuple[CallFacts, tuple[int, ...]]] = OrderedDict()

    def subscribe(self) -> None:
        """Listen to the call events (before the bus starts)."""
        self._bus.subscribe(self.on_call_event, CallRang, CallAnswered, CallEnded)

    async def on_call_event(self, event: object) -> None:
        """One call event: remember who rang, link attempts, take missed calls into callbacks."""
        try:
            if isinstance(event, CallRang):
                await self._rang(event)
            # An inbound leg seen ringing is never a callback attempt (those are outbound): its
            # answer and hang-up need no look-up, the bulk of the traffic costs the store nothing.
            elif isinstance(event, CallAnswered):
                if event.call_id not in self._ringing:
                    await self._progress(event.call_id, "answered")
            elif isinstance(event, CallEnded):
                if event.call_id not in self._ringing:
                    await self._progress(event.call_id, "ended")
                if event.missed:
                    await self._missed(event)
                else:
                    self._ringing.pop(event.call_id, None)
        except Exception:
            log.exception("tasks: %s of call %s not handled", type(event).__name__, getattr(event, "call_id", "?"))

    async def _rang(self, event: CallRang) -> None:
        if event.direction == "in":
            facts = CallFacts("in", event.from_number, event.customer_id, event.conversation_id)
            self._ringing[event.call_id] = (facts, tuple(event.ringing_user_ids))
            while len(self._ringing) > _REMEMBERED_RINGS:
                self._ringing.popitem(last=False)
            return
        caller = event.ringing_user_ids[0] if event.ringing_user_ids else None
        task = await self.store.link_attempt(event.call_id, event.to_number, caller)
        if task is not None:
            await self._tell_task(task, extra=(caller,))

    async def _progress(self, call_id: str, state: str) -> None:
        task = await self.store.attempt_progress(call_id, state)
        if task is not None:
            await self._tell_task(task)

    async def _missed(self, event: CallEnded) -> None:
        remembered = self._ringing.pop(event.call_id, None)
        facts = remembered[0] if remembered else await self._stored_facts(event.call_id)
        if facts is None or facts.direction != "in":
            return
        owner = await self.store.owner_of(event.conversation_id)  # the agent it was offered to, if any
        users = set(remembered[1] if remembered else ()) | {u for u in (owner, event.user_id) if u is not None}
        for user_id, notice in await self.store.add_notices(
                call_id=event.call_id, conversation_id=facts.conversation_id, number=facts.number,
                customer_id=facts.customer_id, user_ids=users):
            await self._bus.publish(UserNotified(user_id, {"type": "missed_call", "notice": notice}))
        if self._callbacks:
            missed = await self.store.add_missed_call(event.call_id, facts, blocked=self._blocked)
            if missed is not None:
                await self._announce(missed)

    async def _stored_facts(self, call_id: str) -> CallFacts | None:
        """The leg's facts from the store (a hang-up heard without its ring: another instance's call,
        or one that rang before a restart); its ``newCall`` may still be on its way to the store."""
        for _ in range(_STORE_WAITS):
            facts = await self.store.call_facts(call_id)
            if facts is not None and facts.direction is not None:
                return facts
            await asyncio.sleep(_STORE_WAIT_SECONDS)
        return None

    async def _announce(self, missed: Missed) -> None:
        task = missed.task
        if missed.created:
            await self._bus.publish(TaskQueued(
                conversation_id=task["conversation_id"], task_id=task["id"], kind=task["kind"], channel=CALLBACK,
                department=task["department"], customer_id=task["customer_id"],
                source_conversation_id=task["source_conversation_id"]))
        else:
            await self._tell_task(task)

    async def _tell_task(self, task: dict[str, Any], *, extra: tuple[int | None, ...] = ()) -> None:
        """The task's new state to whoever works on it (its conversation's owner, the task's owner)."""
        try:
            conv = await self._inbox.conversations.get(task["conversation_id"])
        except NotFound:
            return
        for user_id in {conv["assigned_user_id"], task["user_id"], *extra} - {None}:
            assert user_id is not None
            await self._bus.publish(UserNotified(user_id, {"type": "task", "task": task}))

    # ------------------------------------------------------------------ agents' actions

    async def tasks_of(self, principal: Principal, conversation_id: int) -> list[dict[str, Any]]:
        """The tasks of a conversation *principal* may see.

        Raises:
            NotFound: no such conversation, or not visible to *principal*.
        """
        await self._inbox.visible(principal, conversation_id)
        tasks = await self.store.of_conversation(conversation_id)
        # A callback made from this call lives on a conversation of its own: shown when that one is visible too.
        return [t for t in tasks if t["conversation_id"] == conversation_id
                or await self._sees(principal, t["conversation_id"])]

    async def _sees(self, principal: Principal, conversation_id: int) -> bool:
        try:
            await self._inbox.visible(principal, conversation_id)
        except NotFound:
            return False
        return True

    async def record_outcome(self, principal: Principal, task_id: int, *, outcome: str, retry_at: str | None,
                             note: str | None) -> dict[str, Any]:
        """The agent called (or tried to call) the customer back: record how it went; close the
        callback, or (not reached, with *retry_at*) make it pending until then.

        Raises:
            NotFound: no such task, or one of a conversation *principal* may not see.
            Forbidden: another agent's callback (supervisors may). Conflict: not a callback, closed
                already, or still waiting for an agent (a retry needs the callback taken).
            ValidationError: a bad outcome, time or note.
        """
        task = await self.store.get(task_id)
        conv = await self._inbox.visible(principal, task["conversation_id"])
        if task["kind"] != "callback":
            raise Conflict("only a callback has an outcome; a follow-up ends when it is due")
        if conv["assigned_user_id"] not in (None, principal.id) and not principal.at_least("supervisor"):
            raise Forbidden("only the agent who has this callback (or a supervisor) can record its outcome")
        now = utcnow()
        step = outcome_step(outcome, parse_time("retry_at", retry_at) if retry_at is not None else None, now=now)
        if not step.close and not can_follow_up(conv["status"]):
            raise Conflict("take the callback first, then record the attempt and when to try again")
        view = await self.store.record_outcome(task_id, step, user_id=principal.id)
        if note:
            await self._inbox.reply(principal, conv["id"], text=note[:MAX_NOTE], direction="note")
        if step.close:
            await self._inbox.apply(conv["id"], Action.CLOSE)
        else:
            await self._inbox.apply(conv["id"], Action.SNOOZE, principal.id)
        return view

    async def follow_up(self, principal: Principal, conversation_id: int, *, at: str,
                        note: str | None) -> dict[str, Any]:
        """Set a follow-up: the conversation waits (pending) until *at*, then comes back to this agent
        (or the department). On a call, the follow-up is a callback to the caller at *at*.

        Raises:
            NotFound: no such conversation, or not visible. Conflict: waiting or on offer (take it
            first), a callback (record its outcome instead), a call without a number.
            ValidationError: *at* not a future time within a year.
        """
        when = check_future("at", parse_time("at", at), now=utcnow())
        conv = await self._inbox.visible(principal, conversation_id)
        if conv["channel"] == CALLBACK:
            raise Conflict("a callback is tried again by recording its outcome with a time")
        if not can_follow_up(conv["status"]):
            raise Conflict(f"this conversation is {conv['status']}; take it first, then set a follow-up")
        note = note[:MAX_NOTE] if note else None
        if is_channel(conv["channel"]) and channel(conv["channel"]).presentation is Presentation.VOICE:
            return await self.store.schedule_callback(conversation_id, at=when, note=note, user_id=principal.id)
        view = await self.store.set_follow_up(conversation_id, at=when, note=note, user_id=principal.id)
        await self._inbox.apply(conversation_id, Action.SNOOZE, principal.id)
        return view

    async def cancel_follow_up(self, principal: Principal, conversation_id: int) -> dict[str, Any]:
        """Cancel a conversation's follow-up; a pending conversation is queued again at once.

        Raises:
            NotFound: no such conversation, not visible, or no open follow-up.
        """
        await self._inbox.visible(principal, conversation_id)
        view = await self.store.cancel_follow_up(conversation_id)
        if view is None:
            raise NotFound(f"conversation {conversation_id} has no open follow-up")
        result = await self._inbox.apply(conversation_id, Action.WAKE)
        if result.changed:
            c = result.conversation
            await self._bus.publish(TaskQueued(conversation_id=conversation_id, task_id=view["id"], kind="follow_up",
                                               channel=c["channel"], department=c["department"],
                                               user_id=principal.id, customer_id=c["customer_id"]))
        return view

    # ------------------------------------------------------------------ the scheduler

    async def wake_due(self) -> int:
        """Queue every task that is due again (claimed by this instance only); the number woken."""
        woken = 0
        for due in await self.store.claim_due(utcnow()):
            task = due.task
            if due.woken:
                woken += 1
                await self._bus.publish(ConversationUpdated(task["conversation_id"], "queued", task["department"],
                                                            None))
                await self._bus.publish(TaskQueued(
                    conversation_id=task["conversation_id"], task_id=task["id"], kind=task["kind"],
                    channel=due.channel, department=task["department"], user_id=due.user_id,
                    customer_id=task["customer_id"], source_conversation_id=task["source_conversation_id"]))
            if task["user_id"] is not None:
                await self._bus.publish(UserNotified(task["user_id"], {"type": "task_due", "task": task}))
        return woken

    async def run_scheduler(self, interval: float) -> None:
        """Wake due tasks every *interval* seconds until cancelled."""
        while True:
            try:
                await self.wake_due()
            except Exception:
                log.exception("tasks: waking due tasks failed")
            await asyncio.sleep(interval)

    # ------------------------------------------------------------------ missed-call notices

    async def notices(self, principal: Principal) -> list[dict[str, Any]]:
        """The user's missed-call notices not dismissed yet."""
        return await self.store.notices(principal.id)

    async def dismiss(self, principal: Principal, notice_id: int) -> None:
        """Dismiss one of the user's notices.

        Raises:
            NotFound: not theirs, or gone.
        """
        if not await self.store.dismiss(principal.id, notice_id):
            raise NotFound(f"no missed-call notice {notice_id}")
