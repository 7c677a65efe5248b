"""Outbound delivery bookkeeping for channel senders (email over SMTP, chat over websockets).

A reply is stored ``queued`` before anything is sent. A sender claims due messages
(``sending`` with a lease), fixes their channel id before the first attempt, and records each
attempt: ``sent``, back to ``queued`` with the next attempt time, or ``failed``. A sender that
dies mid-send leaves its claim to lapse, and the message is claimed again: a restart loses no
reply.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from contact_center.inbox.records import OutboundDue
from contact_center.inbox.repository import require_conversation
from contact_center.store.session import Database
from contact_center.store.tables import Department, Message, utcnow


@dataclass(frozen=True)
class ReplyContext:
    """Addressing facts for an outbound reply (see :meth:`OutboundRepository.reply_context`)."""

    conversation_id: int
    channel: str
    key: str | None  # the conversation's external_ref (email: the subject token's key)
    subject: str | None
    customer_address: str | None  # Reply-To of the last inbound message, else its sender
    department_name: str | None
    department_address: str | None
    thread: list[str]  # external ids (Message-IDs) of the conversation's messages, oldest first
    last_inbound_id: str | None


class OutboundRepository:
    """Store access for channel senders."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def reply_context(self, conversation_id: int) -> ReplyContext:
        """What a channel sender needs to address a reply on *conversation_id*.

        Raises:
            NotFound: no such conversation.
        """
        async with self._db.session() as s:
            conv = await require_conversation(s, conversation_id)
            dep = await s.get(Department, conv.department_id) if conv.department_id else None
            rows = (await s.execute(
                select(Message.direction, Message.external_id, Message.sender, Message.meta)
                .where(Message.conversation_id == conv.id, Message.direction != "note").order_by(Message.id)
            )).all()
            last_in = next((r for r in reversed(rows) if r[0] == "in"), None)
            reply_to = (last_in[3] or {}).get("reply_to") if last_in else None
            return ReplyContext(
                conversation_id=conv.id, channel=conv.channel, key=conv.external_ref, subject=conv.subject,
                customer_address=reply_to or (last_in[2] if last_in else None) or conv.contact_address,
                department_name=dep.name if dep else None, department_address=dep.email_address if dep else None,
                thread=[r[1] for r in rows if r[1]], last_inbound_id=last_in[1] if last_in else None,
            )

    async def claim_outbound(self, channel: str, *, lease_seconds: float, limit: int = 20) -> list[OutboundDue]:
        """Claim queued outbound messages that are due (or whose earlier claim lapsed).

        A claim moves the message to ``sending`` until ``claimed_until``; a sender that dies
        mid-send leaves it to be claimed again after the lease, so a restart loses nothing.
        """
        now = utcnow()
        until = now + dt.timedelta(seconds=lease_seconds)
        claimed: list[OutboundDue] = []
        async with self._db.session() as s:
            rows = (await s.execute(
                select(Message.id, Message.conversation_id, Message.delivery_attempts, Message.delivery_status)
                .where(Message.channel == channel, Message.direction == "out",
                       Message.delivery_status.in_(("queued", "sending")), Message.next_attempt_at <= now)
                .order_by(Message.next_attempt_at).limit(limit)
            )).all()
            for message_id, conversation_id, attempts, status in rows:
                result = await s.execute(
                    update(Message)
                    .where(Message.id == message_id, Message.delivery_status == status,
                           Message.delivery_attempts == attempts, Message.next_attempt_at <= now)
                    .values(delivery_status="sending", next_attempt_at=until, delivery_attempts=attempts + 1)
                )
                if result.rowcount == 1:  # type: ignore[attr-defined]
                    claimed.append(OutboundDue(message_id, conversation_id, attempts + 1, until))
        return claimed

    async def record_delivery(
        self, message_id: int, *, ok: bool, error: str | None = None, retry_at: dt.datetime | None = None,
        external_id: str | None = None, meta: dict[str, Any] | None = None,
    ) -> str:
        """Record a send attempt: ``sent``, back to ``queued`` for *retry_at*, or ``failed``.

        Returns the new delivery status.
        """
        status = "sent" if ok else ("queued" if retry_at is not None else "failed")
        values: dict[str, Any] = {"delivery_status": status, "delivery_error": None if ok else error,
                                  "next_attempt_at": retry_at}
        if external_id is not None:
            values["external_id"] = external_id
        async with self._db.session() as s:
            if meta is not None:
                m = await s.get(Message, message_id)
                if m is not None:
                    values["meta"] = {**(m.meta or {}), **meta}
            await s.execute(update(Message).where(Message.id == message_id).values(**values))
        return status

    async def prepare_outbound(self, message_id: int, *, external_id: str, meta: dict[str, Any]) -> None:
        """Fix a claimed message's channel id (e.g. its ``Message-ID``) before the first send."""
        async with self._db.session() as s:
            m = await s.get(Message, message_id)
            if m is not None:
                m.external_id = external_id
                m.meta = {**(m.meta or {}), **meta}

    async def pending_for(self, conversation_id: int, channel: str) -> list[int]:
        """Ids of outbound messages on a conversation not yet delivered (for chat resend)."""
        async with self._db.session() as s:
            rows = await s.execute(select(Message.id).where(
                Message.conversation_id == conversation_id, Message.channel == channel,
                Message.direction == "out", Message.delivery_status.in_(("queued", "sending")),
            ).order_by(Message.id))
            return list(rows.scalars().all())
