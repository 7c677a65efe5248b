"""Values passed in and out of the inbox: what a channel hands over, what the store answers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from contact_center.channels import NAMES, channel, is_channel
from contact_center.inbox.placement import NO_HINTS, Identity, Incoming, ThreadHints


@dataclass(frozen=True)
class InboundMessage:
    """One inbound message as a channel connector hands it to the inbox.

    ``external_id`` makes ingest idempotent: email uses the normalised ``Message-ID`` (or a digest
    of the raw bytes when there is none), chat the visitor's client message id. ``body_html`` must
    already be sanitised (:func:`contact_center.inbox.sanitise.clean_html`).
    """

    channel: str  # a registered channel (contact_center.channels): "email", "chat", "api"
    external_id: str
    identity: Identity | None  # ("email", "ann@example.org"), ("chat", visitor id); None: no customer
    sender: str | None = None
    sender_name: str | None = None
    department: str | None = None  # slug of the department this channel usually feeds
    subject: str | None = None
    body_text: str = ""
    body_html: str | None = None
    recipients: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    raw: bytes | None = None
    parse_error: str | None = None
    automated: bool = False
    reply_to: tuple[str, ...] = ()  # external ids this message answers
    conversation_id: int | None = None  # from a subject token; verified against token_check
    token_check: str | None = None
    conversation_ref: str | None = None  # chat: the visitor's conversation key
    source: str | None = None  # which mailbox / chat endpoint it came from
    attachments: tuple[AttachmentData, ...] = ()
    hints: ThreadHints = NO_HINTS  # email: Thread-Index and subject threading

    def __post_init__(self) -> None:
        if not is_channel(self.channel):
            raise ValueError(f"unknown channel {self.channel!r}; known: {', '.join(NAMES)}")

    def incoming(self, valid_token: bool) -> Incoming:
        """The threading facts :func:`contact_center.inbox.placement.place` works on."""
        return Incoming(
            external_id=self.external_id,
            identity=self.identity,
            reply_to=self.reply_to,
            conversation_id=self.conversation_id if valid_token else None,
            conversation_ref=self.conversation_ref,
            hints=self.hints,
            identification=channel(self.channel).identification,
        )


@dataclass(frozen=True)
class AttachmentData:
    """An attachment kept with its message (under the configured size limit)."""

    filename: str
    content_type: str
    data: bytes
    content_id: str | None = None  # inline images are referenced as cid:<content_id>
    inline: bool = False


@dataclass(frozen=True)
class StoredMessage:
    """What ingest did with one inbound message."""

    external_id: str
    duplicate: bool
    message_id: int | None = None
    conversation_id: int | None = None
    customer_id: int | None = None
    new_conversation: bool = False
    department: str | None = None
    status: str | None = None
    assigned_user_id: int | None = None
    reopened: bool = False


@dataclass(frozen=True)
class Checkpoint:
    """IMAP progress to commit in the same transaction as the messages it covers."""

    mailbox: str
    uidvalidity: int
    last_uid: int


@dataclass(frozen=True)
class ConversationFilter:
    """Filters for listing conversations; ``departments`` limits what an agent may see."""

    channel: str | None = None
    status: str | None = None
    department: str | None = None
    assigned_user_id: int | None = None
    customer_id: int | None = None
    visible_departments: tuple[str, ...] | None = None  # None: every department (supervisors)
    visible_owner: int | None = None  # with visible_departments: this agent's own contacts are visible too
    limit: int = 50
    before_id: int | None = None  # keyset pagination: conversations with a smaller id


@dataclass(frozen=True)
class OutboundDue:
    """An outbound message claimed for delivery by a channel sender."""

    message_id: int
    conversation_id: int
    attempts: int
    claimed_until: dt.datetime
