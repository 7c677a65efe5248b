"""The inbox service: stores what channels receive and agents write, and tells the bus.

Channels call :meth:`InboxService.receive` with batches of inbound messages (mail, with the
mailbox's IMAP checkpoint), or :meth:`InboxService.receive_one` with one message at a time (chat,
the API channel). Both go through the spine's one group-commit primitive
(:class:`~contact_center.ingest.group_commit.GroupCommit`): whatever is waiting is stored in one
transaction by one batch function on every store (:class:`~contact_center.inbox.ingest.InboundWriter`),
and a failed group is written again item by item (a mail batch stays whole, with its checkpoint).
Agents' replies and
notes (REST and the agent websocket) go through :meth:`InboxService.reply`; routing and agents
change conversation state through :meth:`InboxService.apply`. Every change is published:

* the event its channel announces (:mod:`contact_center.channels`: ``EmailReceived`` or
  ``MessageReceived``) for each newly stored inbound message,
* ``ReplyQueued`` for a reply the channel's sender must deliver,
* ``ConversationUpdated`` when status, owner or department changed,
* ``UserNotified(user, {"type": "message", "conversation_id", "message"})`` to the agent a
  conversation is assigned to when a message arrives on it (so the desk updates live).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from contact_center.auth.roles import Principal
from contact_center.bus.base import Bus
from contact_center.channels import Announcement, channel
from contact_center.errors import Forbidden, NotFound, ValidationError
from contact_center.events import ConversationUpdated, EmailReceived, MessageReceived, ReplyQueued, UserNotified
from contact_center.inbox.conversations import Action
from contact_center.inbox.ingest import InboundWriter, Part
from contact_center.inbox.outbound import OutboundRepository
from contact_center.inbox.packed import PackedBatch, free
from contact_center.inbox.records import Checkpoint, InboundMessage, StoredMessage
from contact_center.inbox.repository import ConversationRepository, Transitioned
from contact_center.ingest.group_commit import GroupCommit
from contact_center.store.session import Database

if TYPE_CHECKING:
    from contact_center.ingest.writer_process import WriterProcess

MAX_REPLY_CHARS = 100_000
DIRECTIONS = ("out", "note")


@dataclass(frozen=True)
class _Inbound:
    """One group-commit item: messages stored together (a mail batch, maybe packed by the process
    that parsed it, or one chat message) and the checkpoint that commits with them."""

    messages: Part
    checkpoint: Checkpoint | None

    @property
    def count(self) -> int:
        return self.messages.count if isinstance(self.messages, PackedBatch) else len(self.messages)


class InboxService:
    """Inbound ingest, agent replies and state changes, each followed by its events.

    Args:
        process: the spine's SQLite writer process (a store in a SQLite file), which then runs the
            inbound batches; None: they run through ``run_sync`` on the store's engine.
    """

    def __init__(self, *, db: Database, bus: Bus, process: WriterProcess | None = None) -> None:
        self.conversations = ConversationRepository(db)
        self.writer = InboundWriter(db, process=process)
        self.outbound = OutboundRepository(db)
        self._bus = bus
        self._commit: GroupCommit[_Inbound, tuple[list[InboundMessage], list[StoredMessage]]] = GroupCommit(
            self._write, name="inbox-group-commit", max_batch=200)

    async def receive_one(self, message: InboundMessage) -> StoredMessage:
        """Store one message (in a batch with whatever else is waiting), then publish it if new."""
        return (await self.receive([message]))[0]

    async def close(self) -> None:
        """Write what is queued, then stop the group-commit writer."""
        await self._commit.close()

    async def receive(
        self, batch: Part, *, checkpoint: Checkpoint | None = None
    ) -> list[StoredMessage]:
        """Store *batch* exactly once (with *checkpoint*, in the same transaction), then publish what
        was new. A packed batch is the caller's no more: it is freed here once stored (or failed)."""
        self._commit.start()
        try:
            views, results = await self._commit.submit(_Inbound(batch, checkpoint))
        finally:
            if isinstance(batch, PackedBatch):
                free(batch)
        await self.announce(views, results)
        return results

    async def _write(self, items: list[_Inbound]) -> list[tuple[list[InboundMessage], list[StoredMessage]]]:
        """One group commit: every waiting item's messages and checkpoints in one transaction."""
        views, results = await self.writer.store_parts(
            [item.messages for item in items],
            checkpoints=[item.checkpoint for item in items if item.checkpoint is not None])
        out, start = [], 0
        for item in items:
            out.append((views[start:start + item.count], results[start:start + item.count]))
            start += item.count
        return out

    async def announce(self, batch: Sequence[InboundMessage], results: Sequence[StoredMessage]) -> None:
        """Publish the events for the newly stored messages of a stored *batch* (duplicates: none)."""
        for message, stored in zip(batch, results, strict=True):
            if not stored.duplicate:
                await self._announce(message, stored)

    async def _announce(self, m: InboundMessage, r: StoredMessage) -> None:
        assert r.conversation_id is not None
        assert r.message_id is not None
        if channel(m.channel).event is Announcement.EMAIL_RECEIVED:
            await self._bus.publish(EmailReceived(
                conversation_id=r.conversation_id, message_id=r.message_id, mailbox=m.source or "",
                customer_id=r.customer_id, department=r.department, subject=m.subject or "",
                new_conversation=r.new_conversation or r.reopened, automated=m.automated,
            ))
        else:
            await self._bus.publish(MessageReceived(
                conversation_id=r.conversation_id, message_id=r.message_id, channel=m.channel,
                sender_id=m.identity[1] if m.identity else "",
                text=m.body_text, customer_id=r.customer_id, topic=m.meta.get("topic"),
                new_conversation=r.new_conversation or r.reopened,
            ))
        if r.reopened:
            await self._bus.publish(ConversationUpdated(r.conversation_id, r.status or "queued", r.department, None))
        if r.assigned_user_id is not None and not r.new_conversation:
            await self._bus.publish(UserNotified(r.assigned_user_id, {
                "type": "message", "conversation_id": r.conversation_id, "message": inbound_view(m, r),
            }))

    async def visible(self, principal: Principal, conversation_id: int) -> dict[str, Any]:
        """The conversation if *principal* may see it.

        Raises:
            NotFound: no such conversation, or one of a department the agent does not belong to
                and is not assigned to (the same answer, so ids do not leak).
        """
        conv = await self.conversations.get(conversation_id)
        if not principal.sees_department(conv["department"]) and conv["assigned_user_id"] != principal.id:
            raise NotFound(f"conversation {conversation_id} does not exist")
        return conv

    async def reply(
        self, principal: Principal, conversation_id: int, *, text: str, direction: str = "out",
        html: str | None = None, client_id: str | None = None,
    ) -> dict[str, Any]:
        """Store an agent's reply (delivered by the channel) or internal note; returns the message.

        Raises:
            ValidationError: empty or oversized text, or an unknown direction.
            NotFound: the conversation does not exist or is not visible to *principal*.
            Forbidden: replying on a call (calls have notes only).
        """
        if direction not in DIRECTIONS:
            raise ValidationError("direction", "'direction' must be 'out' (a reply) or 'note'")
        if not text.strip():
            raise ValidationError("text", "'text' is required")
        if len(text) > MAX_REPLY_CHARS:
            raise ValidationError("text", f"'text' is longer than {MAX_REPLY_CHARS} characters")
        conv = await self.visible(principal, conversation_id)
        if direction == "out" and not channel(conv["channel"]).can_reply:
            raise Forbidden("a call cannot be answered in writing; add a note instead")
        meta = {"client_id": client_id} if client_id else {}
        message, conv = await self.conversations.add_message(
            conversation_id, direction=direction, body_text=text, body_html=html, author_user_id=principal.id,
            delivery_status="queued" if direction == "out" else None, meta=meta,
        )
        if direction == "out":
            await self._bus.publish(ReplyQueued(conversation_id, message["id"], conv["channel"], principal.id))
        owner = conv["assigned_user_id"]
        if owner is not None and owner != principal.id:
            await self._bus.publish(UserNotified(owner, {
                "type": "message", "conversation_id": conversation_id, "message": message,
            }))
        return message

    async def apply(self, conversation_id: int, action: Action, user_id: int | None = None) -> Transitioned:
        """Change a conversation's state; publishes ``ConversationUpdated`` when it changed."""
        result = await self.conversations.transition(conversation_id, action, user_id)
        if result.changed:
            c = result.conversation
            await self._bus.publish(ConversationUpdated(c["id"], c["status"], c["department"], c["assigned_user_id"]))
        return result

    async def record_routing(self, conversation_id: int, *, department: str, reason: str, priority: int,
                             queue: str | None = None) -> bool:
        """Record routing's decision (department, queue, priority, reason) on the conversation and
        publish ``ConversationUpdated``; False when the conversation is gone."""
        if not await self.conversations.set_routing(conversation_id, department=department, reason=reason,
                                                    priority=priority, queue=queue):
            return False
        try:
            c = await self.conversations.get(conversation_id)
        except NotFound:
            return False
        await self._bus.publish(ConversationUpdated(c["id"], c["status"], c["department"], c["assigned_user_id"]))
        return True

    async def delivered(self, message_id: int, *, channel: str, ok: bool, error: str | None = None) -> None:
        """Tell the author (and the owner) of a reply whether it left; used by channel senders."""
        try:
            m = await self.conversations.message(message_id)
        except NotFound:
            return
        frame = {
            "type": "message_status", "conversation_id": m["conversation_id"], "message_id": message_id,
            "channel": channel, "delivery_status": m["delivery_status"], "error": error,
        }
        for user in {m["author_user_id"]} - {None}:
            await self._bus.publish(UserNotified(user, frame))


def inbound_view(m: InboundMessage, r: StoredMessage) -> dict[str, Any]:
    """The message frame for an inbound message, built without reading it back."""
    return {
        "id": r.message_id,
        "conversation_id": r.conversation_id,
        "channel": m.channel,
        "direction": "in",
        "sender": m.sender,
        "subject": m.subject,
        "body_text": m.body_text,
        "body_html": m.body_html,
        "automated": m.automated,
        "parse_error": m.parse_error,
        "client_id": m.meta.get("client_id"),
        "attachments": m.meta.get("attachments", []),
    }
