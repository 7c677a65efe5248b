"""Routing's reads of the core store (the organisation, conversations) and its status writes.

Status writes go through the inbox's conversation state machine (:class:`ConversationStatus`),
whose conditional updates make a late or repeated write harmless.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from contact_center.channels import default_capacity
from contact_center.errors import Conflict, NotFound, ValidationError
from contact_center.inbox.conversations import Action
from contact_center.inbox.service import InboxService
from contact_center.org.hours import Hours, parse_hours
from contact_center.store.session import Database
from contact_center.store.tables import Call, Conversation, Customer, Department, Message, Queue, User
from routing.config import DepartmentWrapUp, StoreQueue
from routing.model import AgentState, ContactState

log = logging.getLogger(__name__)
TOTAL = "total"  # the key of a user's capacity that is their total across channels, not a channel


@dataclass(frozen=True)
class DepartmentInfo:
    id: int
    slug: str
    name: str
    phone_number: str | None
    numbers: tuple[str, ...] = ()  # what customers dial to reach it (DNIS)
    hours: Hours = field(default_factory=Hours)
    active: bool = True
    wrap_up: DepartmentWrapUp = field(default_factory=DepartmentWrapUp)  # after its calls


@dataclass(frozen=True)
class Org:
    """Departments, queues and agents as the store has them."""

    departments: dict[str, DepartmentInfo]
    queues: dict[str, StoreQueue]
    agents: list[AgentState]


@dataclass(frozen=True)
class ConversationInfo:
    """What routing reads about one conversation."""

    id: int
    channel: str
    status: str
    department: str | None
    queue: str | None
    priority: int
    customer_id: int | None
    subject: str | None
    contact_address: str | None
    assigned_user_id: int | None
    created_at: dt.datetime
    route_reason: str | None
    updated_at: dt.datetime | None = None


class RoutingRepository:
    """Store access for routing (one instance per application)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def load_org(self) -> Org:
        """Every department and queue, and every active agent with their skills and capacity."""
        async with self._db.session() as s:
            deps = (await s.execute(select(Department))).scalars().all()
            by_id = {d.id: d for d in deps}
            queues = (await s.execute(select(Queue))).scalars().all()
            users = (await s.execute(
                select(User).where(User.role == "agent", User.active.is_(True)).options(selectinload(User.departments))
            )).scalars().all()
        return Org(
            departments={d.slug: _department(d) for d in deps},
            queues={q.slug: StoreQueue(q.id, q.slug, by_id[q.department_id].slug, q.channel, q.strategy,
                                       q.service_level_seconds, q.offer_timeout_seconds, q.overflow_after_seconds,
                                       q.overflow_queue_slug)
                    for q in queues if q.department_id in by_id},
            agents=[_agent(u) for u in users],
        )

    async def conversation(self, conversation_id: int) -> ConversationInfo | None:
        async with self._db.session() as s:
            row = (await s.execute(_conversation_query().where(Conversation.id == conversation_id))).one_or_none()
        return _info(row) if row is not None else None

    async def customer_names(self, ids: Iterable[int]) -> dict[int, str]:
        """The display names of the customers *ids* (the supervisor's view of who is being served)."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        async with self._db.session() as s:
            rows = await s.execute(select(Customer.id, Customer.display_name).where(Customer.id.in_(wanted)))
            return {int(cid): name for cid, name in rows}

    async def open_conversations(self) -> list[ConversationInfo]:
        """Conversations routing still owns: waiting, offered, assigned or in wrap-up (rebuild after a restart)."""
        q = _conversation_query().where(Conversation.status.in_(("queued", "offered", "assigned", "wrap_up")))
        async with self._db.session() as s:
            rows = (await s.execute(q.order_by(Conversation.id))).all()
        return [_info(r) for r in rows]

    async def first_message(self, conversation_id: int) -> dict[str, Any]:
        """Subject, body and recipients of the conversation's first inbound message (empty if none)."""
        q = (select(Message.subject, Message.body_text, Message.recipients, Message.meta)
             .where(Message.conversation_id == conversation_id, Message.direction == "in")
             .order_by(Message.id).limit(1))
        async with self._db.session() as s:
            row = (await s.execute(q)).one_or_none()
        if row is None:
            return {}
        return {"subject": row.subject, "body": row.body_text, "recipients": row.recipients,
                "meta": row.meta or {}}

    async def call_info(self, conversation_id: int) -> dict[str, Any]:
        """The first call leg's numbers, IVR digits and PBX queue (empty if none)."""
        q = (select(Call.to_number, Call.from_number, Call.dtmf, Call.queue)
             .where(Call.conversation_id == conversation_id).order_by(Call.id).limit(1))
        async with self._db.session() as s:
            row = (await s.execute(q)).one_or_none()
        return {} if row is None else {"to": row.to_number, "from": row.from_number, "dtmf": row.dtmf,
                                       "queue": row.queue}


class ConversationStatus:
    """Conversation status changes, applied through the inbox's state machine (its one writer).

    The inbox also applies routing's bus events (offer, accept, decline) to the same rows; the
    router applies them here too, in order and before its next step, and a repeated transition
    changes nothing. A transition the state machine refuses (the conversation moved on) is
    logged and ignored: routing's own state is what decides offers.
    """

    def __init__(self, inbox: InboxService) -> None:
        self._inbox = inbox

    async def record_routing(self, contact: ContactState) -> bool:
        """Record where *contact* was routed (department, queue, priority, reason) on its conversation;
        False when it is gone or the store failed (logged: routing's own state still decides offers)."""
        try:
            return await self._inbox.record_routing(contact.conversation_id, department=contact.department,
                                                    reason=contact.reason, priority=contact.priority,
                                                    queue=contact.queue)
        except Exception:
            log.exception("conversation %s: routing to %s not recorded", contact.conversation_id, contact.department)
            return False

    async def apply(self, conversation_id: int, action: Action, user_id: int | None = None) -> bool:
        """Apply *action*; False when the state machine refused it or the conversation is gone."""
        try:
            result = await self._inbox.apply(conversation_id, action, user_id)
        except (Conflict, NotFound) as exc:
            log.info("conversation %s: %s not applied (%s)", conversation_id, action.value, exc.message)
            return False
        return result.changed


def _department(d: Department) -> DepartmentInfo:
    try:
        hours = parse_hours(d.hours)
    except ValidationError as exc:  # validated when saved; never let one bad row stop routing
        log.error("department %s: opening hours ignored: %s", d.slug, exc.message)
        hours = Hours()
    wrap_up = DepartmentWrapUp(None if d.after_call_work_seconds is None else float(d.after_call_work_seconds),
                               bool(d.outcome_required), tuple(d.outcomes or ()))
    return DepartmentInfo(d.id, d.slug, d.name, d.phone_number, tuple(d.numbers or ()), hours, bool(d.active), wrap_up)


def _agent(user: User) -> AgentState:
    own = {str(k): int(v) for k, v in (user.capacity or {}).items()}
    total = own.pop(TOTAL, 0)  # a user's capacity may carry their own total across channels
    return AgentState(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        extension=user.extension,
        departments=tuple(sorted(d.slug for d in user.departments)),
        skills={str(k): int(v) for k, v in (user.skills or {}).items()},
        capacity={**default_capacity(), **own},
        total_capacity=total,
    )


def _conversation_query() -> Any:
    return (select(Conversation.id, Conversation.channel, Conversation.status, Department.slug.label("department"),
                   Queue.slug.label("queue"), Conversation.priority, Conversation.customer_id, Conversation.subject,
                   Conversation.contact_address, Conversation.assigned_user_id, Conversation.created_at,
                   Conversation.route_reason, Conversation.updated_at)
            .outerjoin(Department, Department.id == Conversation.department_id)
            .outerjoin(Queue, Queue.id == Conversation.queue_id))


def _info(row: Any) -> ConversationInfo:
    return ConversationInfo(row.id, row.channel, row.status, row.department, row.queue, row.priority or 0,
                            row.customer_id, row.subject, row.contact_address, row.assigned_user_id,
                            row.created_at, row.route_reason, row.updated_at)
