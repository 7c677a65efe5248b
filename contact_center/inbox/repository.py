"""Reading and changing conversations and messages in the core store.

Inbound messages are written by :class:`contact_center.inbox.ingest.InboundWriter` (batched,
idempotent). This repository serves the rest: listing and reading conversations, agent messages
and notes, state transitions (conditional updates, so concurrent instances apply one change
once), outbound delivery claims for channel senders, and IMAP checkpoints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from contact_center.errors import NotFound
from contact_center.inbox.conversations import Action, ConversationState, transition
from contact_center.inbox.ingest import department_slugs
from contact_center.inbox.records import ConversationFilter
from contact_center.inbox.views import conversation_view, message_view
from contact_center.store.session import Database
from contact_center.store.tables import (
    Attachment,
    Conversation,
    Customer,
    Department,
    MailboxCheckpoint,
    Message,
    Queue,
    User,
    utcnow,
)

_TRANSITION_RETRIES = 5
PREVIEW_CHARS = 140
# The conversation's owner, joined beside the message authors' User rows.
Owner = aliased(User, name="owner")


@dataclass(frozen=True)
class Transitioned:
    """The outcome of a state change: before, after, and the conversation as it now is."""

    before: ConversationState
    after: ConversationState
    conversation: dict[str, Any]

    @property
    def changed(self) -> bool:
        return self.before != self.after


class ConversationRepository:
    """Store access for conversations and messages."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # ------------------------------------------------------------------ reads

    async def get(self, conversation_id: int) -> dict[str, Any]:
        """The conversation as :func:`conversation_view` shapes it.

        Raises:
            NotFound: no such conversation.
        """
        async with self._db.session() as s:
            return await _view(s, await require_conversation(s, conversation_id))

    async def search(self, f: ConversationFilter) -> list[dict[str, Any]]:
        """Conversations matching *f*, newest first (keyset paginated by ``before_id``)."""
        async with self._db.session() as s:
            query = _filtered(named_conversations(), f)
            rows = (await s.execute(query.order_by(Conversation.id.desc()).limit(f.limit))).all()
            return [conversation_view(*row) for row in rows]

    async def messages(
        self, conversation_id: int, *, after_id: int | None = None, limit: int = 200, include_notes: bool = True
    ) -> list[dict[str, Any]]:
        """The conversation's messages, oldest first, optionally only those after *after_id*
        (each with ``author_name``, the agent's display name, on replies and notes)."""
        async with self._db.session() as s:
            query = select(Message, User.display_name).outerjoin(User, User.id == Message.author_user_id) \
                .where(Message.conversation_id == conversation_id)
            if after_id is not None:
                query = query.where(Message.id > after_id)
            if not include_notes:
                query = query.where(Message.direction != "note")
            rows = (await s.execute(query.order_by(Message.id).limit(limit))).all()
            return [{**message_view(m), "author_name": name} for m, name in rows]

    async def find_by_ref(self, channel: str, ref: str) -> int | None:
        """The id of the *channel* conversation keyed *ref* (e.g. a chat visitor's), if any."""
        async with self._db.session() as s:
            return (await s.execute(select(Conversation.id).where(
                Conversation.channel == channel, Conversation.external_ref == ref))).scalar()

    async def find_message(self, channel: str, external_id: str) -> tuple[int, int] | None:
        """``(message id, conversation id)`` of the *channel* message stored under *external_id*
        (what a channel answers when a sender repeats a message it stored before)."""
        async with self._db.session() as s:
            row = (await s.execute(select(Message.id, Message.conversation_id).where(
                Message.channel == channel, Message.external_id == external_id))).first()
            return (row[0], row[1]) if row else None

    async def message(self, message_id: int) -> dict[str, Any]:
        """One message with the fields channel senders need (``meta`` and ``raw`` included).

        Raises:
            NotFound: no such message.
        """
        async with self._db.session() as s:
            m = await s.get(Message, message_id)
            if m is None:
                raise NotFound(f"message {message_id} does not exist")
            return {**message_view(m), "meta": dict(m.meta or {}), "raw": m.raw}

    async def raw(self, conversation_id: int, message_id: int) -> bytes:
        """The original bytes of an inbound message (for agents to inspect an unparseable mail).

        Raises:
            NotFound: no such message on that conversation, or it has no raw form.
        """
        async with self._db.session() as s:
            m = await s.get(Message, message_id)
            if m is None or m.conversation_id != conversation_id or m.raw is None:
                raise NotFound(f"message {message_id} has no original on conversation {conversation_id}")
            return m.raw

    async def attachment(self, conversation_id: int, message_id: int, position: int) -> tuple[str, str, bytes]:
        """``(filename, content type, bytes)`` of one kept attachment.

        Raises:
            NotFound: no such attachment on that conversation's message.
        """
        async with self._db.session() as s:
            row = (await s.execute(
                select(Attachment.filename, Attachment.content_type, Attachment.data)
                .join(Message, Message.id == Attachment.message_id)
                .where(Attachment.message_id == message_id, Attachment.position == position,
                       Message.conversation_id == conversation_id)
            )).first()
            if row is None:
                raise NotFound(f"attachment {position} of message {message_id} does not exist")
            return row[0], row[1], row[2]

    async def thread_ids(self, conversation_id: int) -> list[str]:
        """External ids (email Message-IDs) of the conversation's messages, oldest first."""
        async with self._db.session() as s:
            rows = await s.execute(
                select(Message.external_id).where(
                    Message.conversation_id == conversation_id, Message.external_id.is_not(None),
                    Message.direction != "note",
                ).order_by(Message.id)
            )
            return [r for r in rows.scalars().all() if r]

    # ------------------------------------------------------------------ writes

    async def add_message(
        self,
        conversation_id: int,
        *,
        direction: str,
        body_text: str,
        author_user_id: int | None,
        delivery_status: str | None,
        body_html: str | None = None,
        meta: dict[str, Any] | None = None,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Store an agent's reply or note; returns ``(message view, conversation view)``.

        A reply (not a note) sets the conversation's first response time.

        Raises:
            NotFound: no such conversation.
        """
        async with self._db.session() as s:
            conv = await require_conversation(s, conversation_id)
            now = utcnow()
            msg = Message(
                conversation_id=conv.id, channel=conv.channel, direction=direction, author_user_id=author_user_id,
                recipients=conv.contact_address if direction == "out" else None, subject=conv.subject,
                body_text=body_text, body_html=body_html, meta=meta or {}, delivery_status=delivery_status,
                next_attempt_at=now if delivery_status == "queued" else None, created_at=now,
            )
            s.add(msg)
            if direction == "out" and conv.first_response_at is None:
                conv.first_response_at = now
            conv.updated_at = now
            await s.flush()
            return message_view(msg), await _view(s, conv)

    async def transition(self, conversation_id: int, action: Action, user_id: int | None = None) -> Transitioned:
        """Apply *action* with a conditional update (compare-and-set on status and owner).

        Raises:
            NotFound: no such conversation.
            Conflict: the state machine does not allow *action* now.
        """
        for _ in range(_TRANSITION_RETRIES):
            async with self._db.session() as s:
                conv = await require_conversation(s, conversation_id)
                before = ConversationState(conv.status, conv.assigned_user_id)
                after = transition(before, action, user_id)
                if after == before:
                    return Transitioned(before, after, await _view(s, conv))
                values: dict[str, Any] = {"status": after.status, "assigned_user_id": after.user_id,
                                          "updated_at": utcnow()}
                if after.status == "closed":
                    values["closed_at"] = utcnow()
                elif before.status == "closed":
                    values["closed_at"] = None
                result = await s.execute(
                    update(Conversation)
                    .where(Conversation.id == conv.id, Conversation.status == before.status,
                           _same_user(before.user_id))
                    .values(**values)
                    .execution_options(synchronize_session=False)
                )
                if result.rowcount == 1:  # type: ignore[attr-defined]
                    await s.refresh(conv)
                    return Transitioned(before, after, await _view(s, conv))
        raise NotFound(f"conversation {conversation_id} kept changing; try again")

    async def set_routing(
        self, conversation_id: int, *, department: str, reason: str, priority: int, queue: str | None = None
    ) -> bool:
        """Record the routing decision (department, queue, priority, reason); False when unknown."""
        async with self._db.session() as s:
            dep = (await s.execute(select(Department.id).where(Department.slug == department))).scalar()
            values: dict[str, Any] = {"department_id": dep, "route_reason": reason, "priority": priority}
            if queue is not None:
                values["queue_id"] = (await s.execute(select(Queue.id).where(Queue.slug == queue))).scalar()
            result = await s.execute(update(Conversation).where(Conversation.id == conversation_id).values(**values))
            return bool(result.rowcount)  # type: ignore[attr-defined]

    # ------------------------------------------------------------------ IMAP checkpoints

    async def checkpoint(self, mailbox: str) -> tuple[int, int] | None:
        """``(uidvalidity, last_uid)`` committed for *mailbox*, or ``None`` before its first mail."""
        async with self._db.session() as s:
            row = await s.get(MailboxCheckpoint, mailbox)
            return (row.uidvalidity, row.last_uid) if row else None


def _same_user(user_id: int | None) -> Any:
    return Conversation.assigned_user_id.is_(None) if user_id is None else Conversation.assigned_user_id == user_id


async def require_conversation(s: AsyncSession, conversation_id: int) -> Conversation:
    """The conversation row, or :class:`NotFound`."""
    conv = await s.get(Conversation, conversation_id)
    if conv is None:
        raise NotFound(f"conversation {conversation_id} does not exist")
    return conv


async def _view(s: AsyncSession, conv: Conversation) -> dict[str, Any]:
    slugs = await department_slugs(s, {conv.department_id} if conv.department_id else set())
    name = (await s.execute(select(Customer.display_name).where(Customer.id == conv.customer_id))).scalar() \
        if conv.customer_id else None
    owner = (await s.execute(select(User.display_name).where(User.id == conv.assigned_user_id))).scalar() \
        if conv.assigned_user_id else None
    return conversation_view(conv, slugs.get(conv.department_id or -1), name, owner)


def with_names(query: Any) -> Any:
    """*query* over conversations joined to what their views name: department, customer, owner."""
    return query.outerjoin(Department, Department.id == Conversation.department_id) \
        .outerjoin(Customer, Customer.id == Conversation.customer_id) \
        .outerjoin(Owner, Owner.id == Conversation.assigned_user_id)


def named_conversations() -> Any:
    """``SELECT conversation, department slug, customer name, owner name, preview`` with the joins made
    (the preview: the start of the latest message that is not an internal note)."""
    latest = select(func.substr(Message.body_text, 1, PREVIEW_CHARS)) \
        .where(Message.conversation_id == Conversation.id, Message.direction != "note") \
        .order_by(Message.id.desc()).limit(1).scalar_subquery()
    return with_names(select(Conversation, Department.slug, Customer.display_name, Owner.display_name, latest))


def visibility(departments: tuple[str, ...] | None, owner: int | None) -> Any:
    """The condition a user's conversations meet: their departments', unrouted ones and their own.

    ``None`` for *departments* (supervisors and admins) sees everything. Needs :func:`with_names`.
    """
    if departments is None:
        return true()
    visible: list[Any] = [Conversation.department_id.is_(None), Department.slug.in_(departments)]
    if owner is not None:
        visible.append(Conversation.assigned_user_id == owner)
    return or_(*visible)


def _filtered(query: Any, f: ConversationFilter) -> Any:
    conditions: list[Any] = [visibility(f.visible_departments, f.visible_owner)]
    for column, value in ((Conversation.channel, f.channel), (Conversation.status, f.status),
                          (Department.slug, f.department), (Conversation.assigned_user_id, f.assigned_user_id),
                          (Conversation.customer_id, f.customer_id)):
        if value is not None:
            conditions.append(column == value)
    if f.before_id is not None:
        conditions.append(Conversation.id < f.before_id)
    return query.where(and_(*conditions))


__all__: Sequence[str] = ("ConversationRepository", "Transitioned")
