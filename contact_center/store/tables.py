"""The core store: SQLAlchemy 2 models for everything the product owns.

Source databases (sales, accounting, credit) are *not* here: the product only reads them, see
:mod:`contact_center.sources`. Every table works on SQLite and PostgreSQL; times are stored as
UTC and always come back timezone-aware.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates

from contact_center import channels

ROLES = ("agent", "supervisor", "admin")
CHANNELS = channels.NAMES  # the registry's; not a database constraint, so a new channel needs no migration
CONVERSATION_STATUSES = ("queued", "offered", "assigned", "wrap_up", "closed", "pending")
DIRECTIONS = ("in", "out", "note")

# BigInteger primary keys that still autoincrement on SQLite (which needs INTEGER PRIMARY KEY).
BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _sqlite_utc_text(value: dt.datetime | None) -> str | None:
    """*value* as SQLite ``DATETIME`` text in UTC (``YYYY-MM-DD HH:MM:SS.ffffff``, SQLAlchemy's format)."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return value.astimezone(dt.UTC).isoformat(" ", "microseconds")[:26]


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored as UTC and returned timezone-aware on every engine."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC)

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        """On SQLite, the text SQLAlchemy's ``DATETIME`` stores, made in one step (the composed
        processors cost ~5 µs a value, a measurable share of every batch the bulk writers insert)."""
        if dialect.name == "sqlite":
            return _sqlite_utc_text
        return super().bind_processor(dialect)

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dt.datetime: UTCDateTime, dict[str, Any]: JSON}


class _OnChannel:
    """Rows that belong to one channel: the ORM refuses a channel the registry does not know."""

    @validates("channel")
    def _registered_channel(self, key: str, value: str) -> str:
        if not channels.is_channel(value):
            raise ValueError(f"{key} {value!r} is not a registered channel; known: {', '.join(channels.NAMES)}")
        return value


class Customer(Base):
    __tablename__ = "customer"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    company: Mapped[str | None] = mapped_column(String(200))
    # The key the external source databases know this customer by (bound as :customer_key).
    external_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    country: Mapped[str | None] = mapped_column(String(2))
    language: Mapped[str | None] = mapped_column(String(16))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    # The database cascades the delete; the ORM must not try to orphan identities (customer_id NOT NULL).
    identities: Mapped[list[Identity]] = relationship(
        back_populates="customer", foreign_keys="Identity.customer_id", cascade="all, delete-orphan",
        passive_deletes=True,
    )


class CustomerMerge(Base):
    """One merge of customer ``merged_id`` into ``into_id``, with what moved, so it can be undone."""

    __tablename__ = "customer_merge"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    merged_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    into_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # identities (moved ids, dropped duplicates), conversations, calls, redirected customers, external_key
    moved: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    undone_at: Mapped[dt.datetime | None] = mapped_column()


class Identity(Base):
    """One way to recognise a customer: a normalised phone (E.164), email or chat visitor id.

    One value may belong to several customers (a family or company landline), which is what
    makes a caller ambiguous; it is unique per customer, and looked up by ``(kind, value)``.
    """

    __tablename__ = "identity"
    __table_args__ = (
        UniqueConstraint("kind", "value", "customer_id", name="uq_identity_kind_value_customer"),
        Index("ix_identity_kind_value", "kind", "value"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # phone | email | chat
    value: Mapped[str] = mapped_column(String(320))
    label: Mapped[str | None] = mapped_column(String(64))  # "mobile", "work", …
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    customer: Mapped[Customer] = relationship(back_populates="identities", foreign_keys=[customer_id])


class Department(Base):
    __tablename__ = "department"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    phone_number: Mapped[str | None] = mapped_column(String(32))  # where the PBX should dial
    email_address: Mapped[str | None] = mapped_column(String(320))  # From: of replies
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # The numbers customers dial to reach this department (DNIS, E.164 where they normalise).
    numbers: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    service_level_target: Mapped[float | None] = mapped_column()  # share answered in time, e.g. 0.8
    # Opening hours: {"timezone", "weekly": {"mon": [["08:00","18:00"]], …}, "holidays": ["2026-12-25"],
    # "out_of_hours": "queue"|"voicemail"|"reject", "reject_reason"}; empty: always open.
    hours: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    # Wrap-up after its calls: after-call work time (None: the call queue's routing default), whether
    # the agent must choose an outcome before the next contact, and the outcome codes to choose from
    # (empty: the [desk] dispositions).
    after_call_work_seconds: Mapped[int | None] = mapped_column(Integer)
    outcome_required: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    outcomes: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")


class Queue(_OnChannel, Base):
    """A waiting line per department and channel."""

    __tablename__ = "queue"
    __table_args__ = (UniqueConstraint("department_id", "channel", name="uq_queue_department_channel"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(96), unique=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    strategy: Mapped[str] = mapped_column(String(32), default="longest_idle")
    service_level_seconds: Mapped[int] = mapped_column(Integer, default=20)
    offer_timeout_seconds: Mapped[int] = mapped_column(Integer, default=20)
    overflow_after_seconds: Mapped[int | None] = mapped_column(Integer)
    overflow_queue_slug: Mapped[str | None] = mapped_column(String(96))


class UserDepartment(Base):
    __tablename__ = "user_department"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="CASCADE"), primary_key=True)


class User(Base):
    """An agent, supervisor or admin who logs in."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))  # agent | supervisor | admin
    extension: Mapped[str | None] = mapped_column(String(32), unique=True)
    phone: Mapped[str | None] = mapped_column(String(32))  # a direct or mobile number (E.164)
    skills: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"lang:de": 5, "product:router": 3}
    capacity: Mapped[dict[str, Any]] = mapped_column(default=channels.default_capacity)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    language: Mapped[str | None] = mapped_column(String(16))  # UI language chosen by the user; None: negotiate
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    departments: Mapped[list[Department]] = relationship(secondary="user_department", lazy="selectin")


class AuthSession(Base):
    """A login session; only the SHA-256 of the cookie token is stored."""

    __tablename__ = "auth_session"

    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)  # the absolute lifetime's end
    remote: Mapped[str | None] = mapped_column(String(64))
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(default=utcnow)  # for the idle timeout


class LoginAttempt(Base):
    """One login attempt (failed or not): for throttling across instances and for admins to read."""

    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_username_at", "username", "at"),
                      Index("ix_login_attempt_remote_at", "remote", "at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))  # as typed, lower-cased (also names that do not exist)
    remote: Mapped[str | None] = mapped_column(String(64))
    ok: Mapped[bool] = mapped_column(default=False)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Conversation(_OnChannel, Base):
    """One contact thread on one channel: a call, an email thread or a chat."""

    __tablename__ = "conversation"
    __table_args__ = (
        Index("ix_conversation_status_department", "status", "department_id"),
        Index("ix_conversation_customer_created", "customer_id", "created_at"),
        UniqueConstraint("channel", "external_ref", name="uq_conversation_channel_ref"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    # Channel-specific handle: call id, chat visitor session, email thread token. Unique per channel.
    external_ref: Mapped[str | None] = mapped_column(String(255))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queue.id"))
    assigned_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    priority: Mapped[int] = mapped_column(Integer, default=0)
    subject: Mapped[str | None] = mapped_column(String(500))
    contact_address: Mapped[str | None] = mapped_column(String(320))  # caller number / email / visitor
    route_reason: Mapped[str | None] = mapped_column(Text)
    disposition: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    first_response_at: Mapped[dt.datetime | None] = mapped_column()
    closed_at: Mapped[dt.datetime | None] = mapped_column()


class Message(_OnChannel, Base):
    """One message on a conversation. ``external_id`` is unique per channel (idempotent ingest)."""

    __tablename__ = "message"
    __table_args__ = (
        UniqueConstraint("channel", "external_id", name="uq_message_channel_external_id"),
        Index("ix_message_conversation_created", "conversation_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversation.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(8))  # in | out | note
    external_id: Mapped[str | None] = mapped_column(String(512))
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    sender: Mapped[str | None] = mapped_column(String(320))
    recipients: Mapped[str | None] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(String(998))
    body_text: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str | None] = mapped_column(Text)  # always sanitised before it is stored
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)  # headers, attachments, flags
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)  # the original bytes, kept for email
    parse_error: Mapped[str | None] = mapped_column(Text)
    # Email threading beyond references: Outlook's Thread-Index head, the subject without reply prefixes.
    thread_key: Mapped[str | None] = mapped_column(String(64), index=True)
    subject_key: Mapped[str | None] = mapped_column(String(200), index=True)
    # Outbound delivery: queued -> sent | failed (with attempts and last error).
    delivery_status: Mapped[str | None] = mapped_column(String(16), index=True)
    delivery_attempts: Mapped[int] = mapped_column(Integer, default=0)
    delivery_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Attachment(Base):
    """A file that came with a message (email); kept up to the configured size limit."""

    __tablename__ = "attachment"
    __table_args__ = (UniqueConstraint("message_id", "position", name="uq_attachment_message_position"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(127))
    content_id: Mapped[str | None] = mapped_column(String(255))  # inline images: cid:<content_id>
    inline: Mapped[bool] = mapped_column(Boolean, default=False)
    size: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class SearchEntry(Base):
    """One searchable thing in folded text (:mod:`contact_center.inbox.search_text`).

    ``kind`` names what ``ref_id`` points at: ``customer`` (name, company, customer number),
    ``identity`` (a phone number or address), ``conversation`` (subject and contact address) or
    ``message`` (subject, sender and text, notes included). The search joins back to those rows
    for everything else (who the customer is now, which department may see the conversation).
    SQLite indexes ``text`` with FTS5 (the ``search_fts`` table the migration keeps in step by
    triggers), PostgreSQL with a GIN full-text index (``ix_search_entry_text_fts``); neither is
    modelled here (:data:`contact_center.store.migrate.UNMODELLED`).
    """

    __tablename__ = "search_entry"
    __table_args__ = (
        UniqueConstraint("kind", "ref_id", name="uq_search_entry_kind_ref"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    ref_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text, default="")


class Call(Base):
    """One call leg as the PBX reported it; a transfer links to the original by ``orig_call_id``."""

    __tablename__ = "call"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    call_id: Mapped[str] = mapped_column(String(250), unique=True)  # Zammad keeps 250
    pbx: Mapped[str] = mapped_column(String(64))
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversation.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))
    direction: Mapped[str | None] = mapped_column(String(4))
    from_number: Mapped[str | None] = mapped_column(String(64))
    to_number: Mapped[str | None] = mapped_column(String(64))
    from_raw: Mapped[str | None] = mapped_column(String(100))
    to_raw: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(16), default="ringing")  # ringing | answered | ended
    queue: Mapped[str | None] = mapped_column(String(100))
    diversion: Mapped[str | None] = mapped_column(String(100))
    orig_call_id: Mapped[str | None] = mapped_column(String(250), index=True)
    dtmf: Mapped[str | None] = mapped_column(String(64))
    users: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"ringing": [...]} as the PBX named them
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    answering_number: Mapped[str | None] = mapped_column(String(100))
    cause: Mapped[str | None] = mapped_column(String(100))
    missed: Mapped[bool] = mapped_column(Boolean, default=False)
    ringing_at: Mapped[dt.datetime | None] = mapped_column()
    answered_at: Mapped[dt.datetime | None] = mapped_column()
    ended_at: Mapped[dt.datetime | None] = mapped_column()

    @property
    def waiting_seconds(self) -> float | None:
        start, stop = self.ringing_at, self.answered_at or self.ended_at
        return (stop - start).total_seconds() if start and stop else None

    @property
    def talking_seconds(self) -> float | None:
        if self.answered_at and self.ended_at:
            return (self.ended_at - self.answered_at).total_seconds()
        return None


class CtiEvent(Base):
    """Every CTI event accepted, keyed by a digest of its content, so a repeat is stored once."""

    __tablename__ = "cti_event"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Not indexed: nothing looks events up by call (the ``call`` row holds a leg's facts), and an
    # index on these random ids cost every post an insert at a random place (~10 % of the writer).
    call_id: Mapped[str] = mapped_column(String(250))
    event: Mapped[str] = mapped_column(String(16))
    reply: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class MailboxCheckpoint(Base):
    """Durable IMAP progress: the last UID committed under one UIDVALIDITY."""

    __tablename__ = "mailbox_checkpoint"

    mailbox: Mapped[str] = mapped_column(String(200), primary_key=True)
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Audit(Base):
    """Who saw (or changed) which data, when, from which address (see :mod:`contact_center.audit`)."""

    __tablename__ = "audit"
    __table_args__ = (
        Index("ix_audit_customer_at", "customer_id", "at"),
        Index("ix_audit_at", "at"),
        Index("ix_audit_user_at", "user_id", "at"),
        Index("ix_audit_object", "object_type", "object_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))
    action: Mapped[str] = mapped_column(String(64))  # screen_pop | customer_view | merge | …
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    ip: Mapped[str | None] = mapped_column(String(64))
    object_type: Mapped[str | None] = mapped_column(String(32))  # customer | conversation | message | user | …
    object_id: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[Any | None] = mapped_column(JSON)  # a change's old state
    after: Mapped[Any | None] = mapped_column(JSON)  # … and its new one


class ChannelInstance(_OnChannel, Base):
    """One configured instance of a channel that has several (a messaging bridge of the API channel).

    Only the SHA-256 of the inbound token is kept (the token is shown once, at creation or
    rotation); the HMAC secret that signs outbound webhooks is kept as is, since signing needs it.
    """

    __tablename__ = "channel_instance"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(64), unique=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id", ondelete="SET NULL"))
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    token_hint: Mapped[str] = mapped_column(String(8))  # the token's last characters, to tell tokens apart
    webhook_url: Mapped[str | None] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(String(128))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class DeliveryAttempt(Base):
    """One attempt to deliver an outbound message through a channel instance (the delivery log)."""

    __tablename__ = "delivery_attempt"
    __table_args__ = (Index("ix_delivery_attempt_instance_id", "instance_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("channel_instance.id", ondelete="CASCADE"))
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    url: Mapped[str] = mapped_column(Text)
    status_code: Mapped[int | None] = mapped_column(Integer)
    ok: Mapped[bool] = mapped_column(Boolean)
    outcome: Mapped[str] = mapped_column(String(16))  # sent | retry | failed
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ConfigRevision(Base):
    """One version of the live configuration (the whole document; the newest is in force)."""

    __tablename__ = "config_revision"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    document: Mapped[dict[str, Any]] = mapped_column()
    sections: Mapped[list[str]] = mapped_column(JSON, default=list)  # what changed from the previous version
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    author: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Task(Base):
    """Work an agent owes a customer (:mod:`contact_center.tasks`): a callback or a follow-up.

    A callback has a conversation of its own on the ``callback`` channel (routed like any
    contact); a follow-up belongs to the conversation it was set on. ``open_key`` is unique while
    the task is open (``callback:<number>``, ``follow_up:<conversation id>``) and NULL after, so
    two missed calls from one number, even on two instances at once, make one callback.
    ``due_at``: when a pending task is to be queued again (NULL: not waiting for a time).
    """

    __tablename__ = "task"
    __table_args__ = (
        Index("ix_task_customer_created", "customer_id", "created_at"),
        Index("ix_task_due", "due_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # callback | follow_up
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | done | cancelled
    open_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversation.id", ondelete="CASCADE"), index=True)
    source_conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversation.id", ondelete="SET NULL"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id", ondelete="SET NULL"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))  # owner
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    number: Mapped[str | None] = mapped_column(String(64))  # the number to call back (E.164 when known)
    note: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    missed_calls: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[dt.datetime | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column()


class TaskCall(Base):
    """A call leg linked to a task: a missed call it came from (``missed``) or an attempt to call back
    (``attempt``). One row per leg, so a missed call read twice (every instance hears it) counts once."""

    __tablename__ = "task_call"

    call_id: Mapped[str] = mapped_column(String(250), primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(8))  # missed | attempt
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(16), default="ringing")  # ringing | answered | ended
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class MissedCallNotice(Base):
    """"Missed call from …" on the desk of an agent a call rang (or was offered to) and nobody answered."""

    __tablename__ = "missed_call_notice"
    __table_args__ = (
        UniqueConstraint("user_id", "call_id", name="uq_missed_call_notice_user_call"),
        Index("ix_missed_call_notice_user_seen", "user_id", "seen_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    call_id: Mapped[str] = mapped_column(String(250))
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversation.id", ondelete="CASCADE"))
    number: Mapped[str | None] = mapped_column(String(64))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id", ondelete="SET NULL"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    seen_at: Mapped[dt.datetime | None] = mapped_column()
