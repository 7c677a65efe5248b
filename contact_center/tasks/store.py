"""The tasks' store access: callbacks made or merged from missed calls, attempts linked to them,
follow-ups, due tasks claimed, missed-call notices.

Every write that two instances may make at once (each hears every bus event) is guarded by a
unique key: ``task_call.call_id`` (a call counts once), ``task.open_key`` (one open callback per
number, one open follow-up per conversation) and ``missed_call_notice (user, call)``; the loser of
such a race rolls back and reads what the winner wrote. Due tasks are claimed with ``SELECT … FOR
UPDATE SKIP LOCKED`` on PostgreSQL and a conditional update on both stores, in the same
transaction that queues their conversation again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from contact_center.errors import Conflict, NotFound
from contact_center.inbox.conversations import Action, ConversationState, transition
from contact_center.store.session import Database
from contact_center.store.tables import (
    Call,
    Conversation,
    Customer,
    Department,
    MissedCallNotice,
    Task,
    TaskCall,
    User,
    utcnow,
)
from contact_center.tasks.decide import (
    OutcomeStep,
    callable_number,
    callback_key,
    follow_up_key,
    returns_to,
    wants_callback,
)

T = TypeVar("T")
_RACE_RETRIES = 3
CALLBACK = "callback"


@dataclass(frozen=True)
class CallFacts:
    """One inbound leg as a callback needs it: the caller's number, who they are, the call's conversation."""

    direction: str | None
    number: str | None
    customer_id: int | None
    conversation_id: int | None


@dataclass(frozen=True)
class Missed:
    """A missed call taken into a callback: a new one (``created``) or an open one it merged into."""

    task: dict[str, Any]
    created: bool
    woken: bool  # a rescheduled callback the caller's new call made due now


@dataclass(frozen=True)
class Due:
    """A task whose time came: its conversation is queued again (``woken``) for ``user_id`` first."""

    task: dict[str, Any]
    channel: str
    user_id: int | None
    woken: bool


def task_view(task: Task, department: str | None, calls: Iterable[TaskCall] = ()) -> dict[str, Any]:
    """A task as the REST API and the desk's frames carry it."""
    return {
        "id": task.id, "kind": task.kind, "status": task.status, "conversation_id": task.conversation_id,
        "source_conversation_id": task.source_conversation_id, "customer_id": task.customer_id,
        "department": department, "user_id": task.user_id, "number": task.number, "note": task.note,
        "outcome": task.outcome, "attempts": task.attempts, "missed_calls": task.missed_calls,
        "due_at": _iso(task.due_at), "created_at": _iso(task.created_at), "closed_at": _iso(task.closed_at),
        "calls": [{"call_id": c.call_id, "role": c.role, "state": c.state, "user_id": c.user_id, "at": _iso(c.at)}
                  for c in sorted(calls, key=lambda c: c.at)],
    }


def notice_view(n: MissedCallNotice, customer_name: str | None) -> dict[str, Any]:
    """A missed-call notice for the desk."""
    return {"id": n.id, "call_id": n.call_id, "conversation_id": n.conversation_id, "number": n.number,
            "customer_id": n.customer_id, "customer_name": customer_name, "at": _iso(n.at)}


def callback_subject(number: str) -> str:
    """A callback's title, as calls get "Call from …" (the desk shows both in the UI language)."""
    return f"Callback to {number}"


def _iso(at: dt.datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


class TaskStore:
    """Store access for tasks (one per application)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def _raced(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run *work* in a transaction; when another instance won a unique-key race, run it again."""
        for attempt in range(_RACE_RETRIES):
            try:
                async with self._db.session() as s:
                    return await work(s)
            except IntegrityError:
                if attempt == _RACE_RETRIES - 1:
                    raise
        raise AssertionError("unreachable")

    # ------------------------------------------------------------------ callbacks from missed calls

    async def add_missed_call(self, call_id: str, facts: CallFacts, *,
                              blocked: Callable[[str], bool] = lambda _n: False) -> Missed | None:
        """Take the missed call *call_id* (its *facts*: the hook announces a hang-up before its store
        write commits, so the leg's row may not say "missed" yet) into a callback: a new one, or the
        open callback to the same number (a rescheduled one becomes due now). None when the call asks
        for none (outbound, no number to call, blocked) or was taken already."""
        number = callable_number(facts.number)
        if number is None or not wants_callback(direction=facts.direction, missed=True, number=number,
                                                blocked=blocked(number)):
            return None

        async def work(s: AsyncSession) -> Missed | None:
            if await s.get(TaskCall, call_id) is not None:
                return None
            call = facts
            now = utcnow()
            task = (await s.execute(select(Task).where(Task.open_key == callback_key(number))
                                    .with_for_update())).scalar_one_or_none()
            if task is not None:
                task.missed_calls += 1
                task.customer_id = task.customer_id or call.customer_id
                woken = task.due_at is not None and task.due_at > now
                if woken:
                    task.due_at = now  # the caller tried again: call them back now
                s.add(TaskCall(call_id=call_id, task_id=task.id, role="missed", state="ended", at=now))
                await s.flush()
                return Missed(await self._view(s, task), created=False, woken=woken)
            source = await s.get(Conversation, call.conversation_id) if call.conversation_id else None
            conv = Conversation(channel=CALLBACK, external_ref=call_id, customer_id=call.customer_id,
                                department_id=source.department_id if source else None,
                                priority=source.priority if source else 0, contact_address=number,
                                subject=callback_subject(number),
                                status="queued", created_at=now, updated_at=now)
            s.add(conv)
            await s.flush()
            task = Task(kind="callback", open_key=callback_key(number), conversation_id=conv.id,
                        source_conversation_id=call.conversation_id, customer_id=call.customer_id,
                        department_id=conv.department_id, number=number, missed_calls=1, attempts=0,
                        created_at=now, updated_at=now)
            s.add(task)
            await s.flush()
            s.add(TaskCall(call_id=call_id, task_id=task.id, role="missed", state="ended", at=now))
            await s.flush()
            return Missed(await self._view(s, task), created=True, woken=False)

        return await self._raced(work)

    async def schedule_callback(self, source_id: int, *, at: dt.datetime, note: str | None,
                                user_id: int) -> dict[str, Any]:
        """A follow-up on call *source_id*: call the customer back at *at* (the open callback to that
        number gets the time and note; otherwise a new one, pending for *user_id* until then).

        Raises:
            NotFound: no such conversation. Conflict: the call has no number to call back.
        """

        async def work(s: AsyncSession) -> dict[str, Any]:
            source = await s.get(Conversation, source_id)
            if source is None:
                raise NotFound(f"conversation {source_id} does not exist")
            number = callable_number(source.contact_address)
            if number is None:
                raise Conflict("this call has no number to call back")
            now = utcnow()
            task = (await s.execute(select(Task).where(Task.open_key == callback_key(number))
                                    .with_for_update())).scalar_one_or_none()
            if task is None:
                conv = Conversation(channel=CALLBACK, external_ref=f"follow-up:{source_id}:{now.timestamp()}",
                                    customer_id=source.customer_id, department_id=source.department_id,
                                    contact_address=number, subject=callback_subject(number), status="pending",
                                    assigned_user_id=user_id,
                                    priority=source.priority, created_at=now, updated_at=now)
                s.add(conv)
                await s.flush()
                task = Task(kind="callback", open_key=callback_key(number), conversation_id=conv.id,
                            source_conversation_id=source_id, customer_id=source.customer_id,
                            department_id=source.department_id, number=number, attempts=0, missed_calls=0,
                            created_at=now, updated_at=now, created_by_user_id=user_id)
                s.add(task)
            task.user_id, task.note, task.due_at = user_id, note or task.note, at
            await s.flush()
            return await self._view(s, task)

        return await self._raced(work)

    # ------------------------------------------------------------------ attempts

    async def link_attempt(self, call_id: str, number: str | None, user_id: int | None) -> dict[str, Any] | None:
        """Link the outbound call *call_id* to the open callback to *number* (an attempt); None if none."""
        dialled = callable_number(number)
        if dialled is None:
            return None

        async def work(s: AsyncSession) -> dict[str, Any] | None:
            if await s.get(TaskCall, call_id) is not None:
                return None
            task = (await s.execute(select(Task).where(Task.open_key == callback_key(dialled))
                                    .with_for_update())).scalar_one_or_none()
            if task is None:
                return None
            task.attempts += 1
            s.add(TaskCall(call_id=call_id, task_id=task.id, role="attempt", user_id=user_id, state="ringing",
                           at=utcnow()))
            await s.flush()
            return await self._view(s, task)

        return await self._raced(work)

    async def attempt_progress(self, call_id: str, state: str) -> dict[str, Any] | None:
        """An attempt was answered or ended: its state recorded; the task's view, or None if not an attempt."""
        async with self._db.session() as s:
            link = await s.get(TaskCall, call_id)
            if link is None or link.role != "attempt" or link.state == state or link.state == "ended":
                return None
            link.state = state
            task = await s.get(Task, link.task_id)
            if task is None:
                return None
            await s.flush()
            return await self._view(s, task)

    # ------------------------------------------------------------------ outcomes and follow-ups

    async def record_outcome(self, task_id: int, step: OutcomeStep, *, user_id: int) -> dict[str, Any]:
        """Record a callback's outcome: closed, or waiting until ``step.retry_at``; the conversation's
        disposition is the outcome.

        Raises:
            NotFound: no such task. Conflict: it is closed already.
        """
        async with self._db.session() as s:
            task = (await s.execute(select(Task).where(Task.id == task_id).with_for_update())).scalar_one_or_none()
            if task is None:
                raise NotFound(f"task {task_id} does not exist")
            if task.status != "open":
                raise Conflict(f"this task is {task.status} already")
            now = utcnow()
            task.outcome, task.user_id, task.updated_at = step.outcome, user_id, now
            if step.close:
                task.status, task.open_key, task.closed_at, task.due_at = "done", None, now, None
            else:
                task.due_at = step.retry_at
            await s.execute(update(Conversation).where(Conversation.id == task.conversation_id)
                            .values(disposition=step.outcome))
            await s.flush()
            return await self._view(s, task)

    async def set_follow_up(self, conversation_id: int, *, at: dt.datetime, note: str | None,
                            user_id: int) -> dict[str, Any]:
        """Set (or move) the follow-up of a conversation to *at* for *user_id*.

        Raises:
            NotFound: no such conversation.
        """

        async def work(s: AsyncSession) -> dict[str, Any]:
            conv = await s.get(Conversation, conversation_id)
            if conv is None:
                raise NotFound(f"conversation {conversation_id} does not exist")
            now = utcnow()
            task = (await s.execute(select(Task).where(Task.open_key == follow_up_key(conversation_id))
                                    .with_for_update())).scalar_one_or_none()
            if task is None:
                task = Task(kind="follow_up", open_key=follow_up_key(conversation_id), conversation_id=conversation_id,
                            customer_id=conv.customer_id, department_id=conv.department_id, attempts=0,
                            missed_calls=0, created_at=now, created_by_user_id=user_id)
                s.add(task)
            task.user_id, task.note, task.due_at, task.updated_at = user_id, note, at, now
            await s.flush()
            return await self._view(s, task)

        return await self._raced(work)

    async def cancel_follow_up(self, conversation_id: int) -> dict[str, Any] | None:
        """Cancel the open follow-up of a conversation; its view, or None when there was none."""
        async with self._db.session() as s:
            task = (await s.execute(select(Task).where(Task.open_key == follow_up_key(conversation_id))
                                    .with_for_update())).scalar_one_or_none()
            if task is None:
                return None
            task.status, task.open_key, task.due_at, task.closed_at = "cancelled", None, None, utcnow()
            await s.flush()
            return await self._view(s, task)

    # ------------------------------------------------------------------ the scheduler's claims

    async def claim_due(self, now: dt.datetime, *, limit: int = 50) -> list[Due]:
        """Claim the tasks due by *now* and queue their pending conversations again, in one
        transaction (so a crash after the commit leaves queued conversations, which routing's
        rebuild takes up). Each task is claimed by one caller: rows another instance holds are
        skipped (PostgreSQL), and the conditional update of ``due_at`` loses on both stores."""
        async with self._db.session() as s:
            rows = (await s.execute(
                select(Task).where(Task.status == "open", Task.due_at.is_not(None), Task.due_at <= now)
                .order_by(Task.due_at).limit(limit).with_for_update(skip_locked=True))).scalars().all()
            claimed = []
            for task in rows:
                won = await s.execute(update(Task).where(Task.id == task.id, Task.due_at == task.due_at)
                                      .values(due_at=None, updated_at=now)
                                      .execution_options(synchronize_session=False))
                if won.rowcount != 1:  # type: ignore[attr-defined]
                    continue
                await s.refresh(task)
                if task.kind == "follow_up":  # done when it fires; a callback stays open until an outcome
                    task.status, task.open_key, task.closed_at, task.outcome = "done", None, now, "due"
                claimed.append(await self._wake(s, task))
            return claimed

    async def _wake(self, s: AsyncSession, task: Task) -> Due:
        conv = await s.get(Conversation, task.conversation_id)
        woken = False
        if conv is not None:
            before = ConversationState(conv.status, conv.assigned_user_id)
            after = transition(before, Action.WAKE)
            if after != before:
                result = await s.execute(
                    update(Conversation)
                    .where(Conversation.id == conv.id, Conversation.status == before.status)
                    .values(status=after.status, assigned_user_id=after.user_id, closed_at=None,
                            updated_at=utcnow())
                    .execution_options(synchronize_session=False))
                woken = result.rowcount == 1  # type: ignore[attr-defined]
        view = await self._view(s, task)
        owner = await s.get(User, task.user_id) if task.user_id else None
        departments: tuple[str, ...] = ()
        if owner is not None:
            await s.refresh(owner, ["departments"])
            departments = tuple(d.slug for d in owner.departments)
        user = returns_to(task.user_id, owner_active=bool(owner and owner.active and owner.role == "agent"),
                          owner_departments=departments, department=view["department"])
        return Due(view, conv.channel if conv is not None else CALLBACK, user, woken)

    # ------------------------------------------------------------------ reads

    async def get(self, task_id: int) -> dict[str, Any]:
        """One task's view.

        Raises:
            NotFound: no such task.
        """
        async with self._db.session() as s:
            task = await s.get(Task, task_id)
            if task is None:
                raise NotFound(f"task {task_id} does not exist")
            return await self._view(s, task)

    async def of_conversation(self, conversation_id: int) -> list[dict[str, Any]]:
        """The tasks of a conversation, newest first: a callback's own, follow-ups set on it, and the
        callback a missed call (or a follow-up on a call) made."""
        async with self._db.session() as s:
            rows = (await s.execute(select(Task).where(or_(Task.conversation_id == conversation_id,
                                                           Task.source_conversation_id == conversation_id))
                                    .order_by(Task.id.desc()).limit(20))).scalars().all()
            return [await self._view(s, t) for t in rows]

    async def _view(self, s: AsyncSession, task: Task) -> dict[str, Any]:
        # A callback made before its call was routed has the department routing gave its conversation.
        department_id = task.department_id or (await s.execute(
            select(Conversation.department_id).where(Conversation.id == task.conversation_id))).scalar()
        slug = (await s.execute(select(Department.slug).where(Department.id == department_id))).scalar() \
            if department_id else None
        calls = (await s.execute(select(TaskCall).where(TaskCall.task_id == task.id))).scalars().all()
        return task_view(task, slug, calls)

    # ------------------------------------------------------------------ missed-call notices

    async def add_notices(self, *, call_id: str, conversation_id: int | None, number: str | None,
                          customer_id: int | None, user_ids: Iterable[int]) -> list[tuple[int, dict[str, Any]]]:
        """A "missed call" notice for each of *user_ids* that has none for this call yet:
        ``(user, notice)`` for those this call added (another instance may have added the rest)."""
        added: list[tuple[int, dict[str, Any]]] = []
        async with self._db.session() as s:
            name = (await s.execute(select(Customer.display_name).where(Customer.id == customer_id))).scalar() \
                if customer_id else None
            for user_id in sorted(set(user_ids)):
                try:
                    async with s.begin_nested():
                        notice = MissedCallNotice(user_id=user_id, call_id=call_id, conversation_id=conversation_id,
                                                  number=number, customer_id=customer_id, at=utcnow())
                        s.add(notice)
                        await s.flush()
                except IntegrityError:
                    continue
                added.append((user_id, notice_view(notice, name)))
        return added

    async def notices(self, user_id: int, *, limit: int = 50) -> list[dict[str, Any]]:
        """The user's missed-call notices not dismissed yet, newest first."""
        async with self._db.session() as s:
            rows = (await s.execute(
                select(MissedCallNotice, Customer.display_name)
                .outerjoin(Customer, Customer.id == MissedCallNotice.customer_id)
                .where(MissedCallNotice.user_id == user_id, MissedCallNotice.seen_at.is_(None))
                .order_by(MissedCallNotice.id.desc()).limit(limit))).all()
        return [notice_view(n, name) for n, name in rows]

    async def dismiss(self, user_id: int, notice_id: int) -> bool:
        """Mark the user's notice seen; False when it is not theirs (or gone)."""
        async with self._db.session() as s:
            result = await s.execute(
                update(MissedCallNotice)
                .where(MissedCallNotice.id == notice_id, MissedCallNotice.user_id == user_id)
                .values(seen_at=utcnow()))
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def call_facts(self, call_id: str) -> CallFacts | None:
        """Leg *call_id* as the store has it (None before its first event is stored)."""
        async with self._db.session() as s:
            row = (await s.execute(
                select(Call.direction, Call.from_number, Call.from_raw, Call.customer_id, Call.conversation_id)
                .where(Call.call_id == call_id))).one_or_none()
        if row is None:
            return None
        return CallFacts(row.direction, row.from_number or row.from_raw, row.customer_id, row.conversation_id)

    async def owner_of(self, conversation_id: int) -> int | None:
        """The agent a conversation is (or was last) assigned or offered to."""
        async with self._db.session() as s:
            return (await s.execute(select(Conversation.assigned_user_id)
                                    .where(Conversation.id == conversation_id))).scalar_one_or_none()


