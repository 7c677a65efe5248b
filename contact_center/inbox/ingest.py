"""Storing inbound messages exactly once, a whole batch per transaction.

One batch costs a fixed handful of queries whatever its size: duplicates, referenced messages,
subject tokens, chat keys, identities and departments are each looked up once for the batch,
:func:`contact_center.inbox.placement.place` decides, then new customers, conversations and
messages are inserted as Core ``INSERT``s of plain rows (one executemany per table, no ORM
unit-of-work bookkeeping per message). IMAP checkpoints given with the batch commit in the
same transaction, so a crash can never store a message without advancing its checkpoint or the
other way round. When another instance stored some of the same messages concurrently, the
unique constraints reject the batch and it is retried once; the retry sees them as duplicates.

:func:`store_inbound` is the one batch function of every store: on PostgreSQL (and SQLite in
memory) :class:`InboundWriter` runs it through ``run_sync``; on a SQLite file the spine's writer
process runs it (:mod:`contact_center.ingest.writer_process`).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Table, false, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from contact_center import channels
from contact_center.customers.repository import ranked_owners_sync
from contact_center.inbox.conversations import Action, ConversationState, transition
from contact_center.inbox.packed import PackedBatch, announced, unpack
from contact_center.inbox.placement import Identity as IdentityKey
from contact_center.inbox.placement import Known, Placement, customer_of, place
from contact_center.inbox.records import Checkpoint, InboundMessage, StoredMessage
from contact_center.store.session import Database
from contact_center.store.tables import (
    Attachment,
    Conversation,
    Customer,
    Department,
    Identity,
    MailboxCheckpoint,
    Message,
    utcnow,
)
from contact_center.store.wal import WalCheckpointer, sqlite_file

if TYPE_CHECKING:
    from contact_center.ingest.writer_process import WriterProcess

TOKEN_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
#: Inbound batches are checkpointed every 8 MiB (not the store's default 32): the checkpoint that
#: follows a catch-up then copies and syncs at most ~8 MiB of log, not up to 32 (measured: the
#: wait for it after a 5,000-mail catch-up fell from 0.36 s to 0.08-0.10 s).
CHECKPOINT_BYTES = 8 * 1024 * 1024
#: What a channel hands the writer: messages, or a mail batch packed by the process that parsed it.
Part = Sequence[InboundMessage] | PackedBatch


def new_token() -> str:
    """A random conversation key (email conversations' ``external_ref``, used in subject tokens)."""
    return "".join(TOKEN_ALPHABET[byte % 32] for byte in secrets.token_bytes(8))  # 32 symbols: uniform


@dataclass
class _NewConversation:
    """The fields of a conversation inserted by this batch that the results need."""

    id: int
    customer_id: int | None
    department_id: int | None
    status: str = "queued"
    assigned_user_id: int | None = None


@dataclass
class _Opened:
    conversation: _NewConversation
    first: InboundMessage


class InboundWriter:
    """Stores batches of :class:`InboundMessage` idempotently, one transaction a batch.

    The batch function is :func:`store_inbound` on every store: in the spine's writer *process*
    when there is one (a SQLite file), else through ``AsyncConnection.run_sync``. On a SQLite file
    the process's commits skip SQLite's automatic WAL checkpoint; :attr:`wal` runs it beside the
    next batch instead.
    """

    def __init__(self, db: Database, *, process: WriterProcess | None = None) -> None:
        self._db = db
        self._process = process
        path = sqlite_file(db.url)
        self.wal = WalCheckpointer(path, every_bytes=CHECKPOINT_BYTES) if path else None

    async def store(
        self, batch: Sequence[InboundMessage], *, checkpoints: Sequence[Checkpoint] = ()
    ) -> list[StoredMessage]:
        """Store *batch* (and advance *checkpoints*) in one transaction; one result per message, in order."""
        return (await self.store_parts([batch], checkpoints=checkpoints))[1]

    async def store_parts(
        self, parts: Sequence[Part], *, checkpoints: Sequence[Checkpoint] = ()
    ) -> tuple[list[InboundMessage], list[StoredMessage]]:
        """Store the messages of *parts* (and advance *checkpoints*) in one transaction; duplicates
        are skipped.

        Returns the messages as they are to be announced (a packed part's come back from the
        writer process without raw bytes and attachments, see :func:`.packed.announced`) and one
        :class:`StoredMessage` per message, in order.
        """
        if self._process is not None:
            views, results = await self._process.store_inbound(list(parts), list(checkpoints))
        else:
            views = [m for part in parts for m in _messages(part)]
            async with self._db.engine.connect() as conn:
                results = await conn.run_sync(store_inbound, views, checkpoints)
        if self.wal is not None:
            self.wal.request(sum(part.size if isinstance(part, PackedBatch) else
                                 sum(len(m.raw or b"") + len(m.body_text) for m in part) for part in parts))
        return views, results


def _messages(part: Part) -> Sequence[InboundMessage]:
    return unpack(part) if isinstance(part, PackedBatch) else part


def store_parts(conn: Connection, parts: Sequence[Part], checkpoints: Sequence[Checkpoint]
                ) -> tuple[list[InboundMessage], list[StoredMessage]]:
    """:func:`store_inbound` for *parts* (what the writer process runs): the messages as announced
    (a packed part's without raw bytes, attachments and, mostly, bodies) and the results."""
    unpacked = [(isinstance(part, PackedBatch), _messages(part)) for part in parts]
    batch = [m for _, messages in unpacked for m in messages]
    results = store_inbound(conn, batch, checkpoints)
    flags = [was_packed for was_packed, messages in unpacked for _ in messages]
    views = [announced(m, r) if was_packed else m for m, r, was_packed in zip(batch, results, flags, strict=True)]
    return views, results


def store_inbound(conn: Connection, batch: Sequence[InboundMessage], checkpoints: Sequence[Checkpoint]
                  ) -> list[StoredMessage]:
    """:func:`store_batch` in one transaction on *conn* (which must have none open); once more when
    another instance stored some of the messages meanwhile (the retry sees them as duplicates)."""
    try:
        return _inbound_transaction(conn, batch, checkpoints)
    except IntegrityError:
        return _inbound_transaction(conn, batch, checkpoints)


def _inbound_transaction(conn: Connection, batch: Sequence[InboundMessage], checkpoints: Sequence[Checkpoint]
                         ) -> list[StoredMessage]:
    with conn.begin(), Session(bind=conn, expire_on_commit=False) as s:
        return store_batch(s, batch, checkpoints)


def store_batch(s: Session, batch: Sequence[InboundMessage], checkpoints: Sequence[Checkpoint] = ()
                ) -> list[StoredMessage]:
    """Store *batch* and advance *checkpoints* in the open transaction of *s*; one result per input."""
    if s.get_bind().dialect.name == "sqlite":
        # Take SQLite's write lock before reading: ids are numbered in-process below.
        s.execute(update(MailboxCheckpoint).where(false()).values(last_uid=0))
    known, conversations = _lookup(s, batch)
    placements = place([m.incoming(m.conversation_id in known.valid_conversations) for m in batch], known)
    customers = _create_customers(s, batch, placements)
    departments = _department_ids(s, {m.department for m in batch if m.department})
    opened = _open_conversations(s, batch, placements, customers, departments)
    reopened = _touch_existing(batch, placements, conversations)
    results = _insert_messages(s, batch, placements, customers, opened, conversations, reopened)
    for checkpoint in checkpoints:
        save_checkpoint(s, checkpoint)
    s.flush()
    return results


def save_checkpoint(s: Session, cp: Checkpoint) -> None:
    """Advance (never rewind, except on a new UIDVALIDITY) a mailbox's checkpoint in session *s*."""
    row = s.get(MailboxCheckpoint, cp.mailbox, with_for_update=s.get_bind().dialect.name == "postgresql")
    if row is None:
        s.add(MailboxCheckpoint(mailbox=cp.mailbox, uidvalidity=cp.uidvalidity, last_uid=cp.last_uid))
    elif row.uidvalidity != cp.uidvalidity:
        row.uidvalidity, row.last_uid = cp.uidvalidity, cp.last_uid
    elif cp.last_uid > row.last_uid:
        row.last_uid = cp.last_uid
    s.flush()


def _lookup(s: Session, batch: Sequence[InboundMessage]) -> tuple[Known, dict[int, Conversation]]:
    channel_ids: dict[str, set[str]] = {}
    for m in batch:
        channel_ids.setdefault(m.channel, set()).update((m.external_id, *m.reply_to))
    duplicates: set[str] = set()
    by_message: dict[str, int] = {}
    for channel, ids in channel_ids.items():
        rows = (s.execute(
            select(Message.external_id, Message.conversation_id, Message.id)
            .where(Message.channel == channel, Message.external_id.in_(ids))
            .order_by(Message.id)
        )).all()
        for external_id, conversation_id, _ in rows:
            if external_id is not None:
                by_message[external_id] = conversation_id
        own = {m.external_id for m in batch if m.channel == channel}
        duplicates.update(r[0] for r in rows if r[0] in own)
    owners = ranked_owners_sync(s, {m.identity for m in batch if m.identity})
    customers = {m.identity: customer for m in batch
                 if m.identity and (customer := customer_of(m.incoming(False), owners)) is not None}
    by_thread = _conversations_of_threads(s, batch)
    now = utcnow()
    subjects = _recent_subjects(s, batch, customers, now)
    wanted_ids = set(by_message.values()) | {m.conversation_id for m in batch if m.conversation_id is not None} \
        | set(by_thread.values()) | {conversation_id for conversation_id, _ in subjects.values()}
    refs = {m.conversation_ref for m in batch if m.conversation_ref}
    clauses = [Conversation.id.in_(wanted_ids)] if wanted_ids else []
    if refs:
        clauses.append(Conversation.external_ref.in_(refs))
    conversations: dict[int, Conversation] = {}
    if clauses:
        for row in (s.execute(select(Conversation).where(or_(*clauses)))).scalars():
            conversations[row.id] = row
    valid = frozenset(
        c.id for m in batch
        if m.conversation_id is not None and (c := conversations.get(m.conversation_id)) is not None
        and c.external_ref == m.token_check and c.channel == m.channel
    )
    by_ref = {c.external_ref: c.id for c in conversations.values()
              if c.external_ref is not None and c.external_ref in refs}
    known = Known(
        duplicates=frozenset(duplicates),
        conversation_of_message={k: v for k, v in by_message.items() if v in conversations},
        conversation_of_ref=by_ref,
        valid_conversations=valid,
        customer_of_conversation={c.id: c.customer_id for c in conversations.values()},
        owners=owners,
        conversation_of_thread={k: v for k, v in by_thread.items() if v in conversations},
        recent_subjects={k: v for k, v in subjects.items() if v[0] in conversations},
        now=now.timestamp(),
    )
    return known, conversations


def _conversations_of_threads(s: Session, batch: Sequence[InboundMessage]) -> dict[str, int]:
    """Thread key (Outlook's Thread-Index head) -> the latest conversation holding a message of that thread."""
    found: dict[str, int] = {}
    for channel in {m.channel for m in batch if m.hints.thread_key}:
        keys = {m.hints.thread_key for m in batch if m.channel == channel and m.hints.thread_key}
        for key, conversation_id in s.execute(
                select(Message.thread_key, Message.conversation_id)
                .where(Message.channel == channel, Message.thread_key.in_(keys)).order_by(Message.id)):
            if key is not None:
                found[key] = conversation_id
    return found


def _recent_subjects(s: Session, batch: Sequence[InboundMessage], customers: dict[IdentityKey, int],
                     now: dt.datetime) -> dict[tuple[int, str], tuple[int, float]]:
    """(customer, subject key) -> (their latest conversation with a message of that subject within the window,
    when its last such message came), for the batch's replies whose sender is a known customer."""
    wanted = [(m.channel, customers[m.identity], m.hints.subject_key, m.hints.window_seconds) for m in batch
              if m.hints.is_reply and m.hints.subject_key and m.hints.window_seconds > 0
              and m.identity in customers]
    if not wanted:
        return {}
    since = now - dt.timedelta(seconds=max(w for *_, w in wanted))
    found: dict[tuple[int, str], tuple[int, float]] = {}
    for channel in {c for c, *_ in wanted}:
        rows = s.execute(
            select(Conversation.customer_id, Message.subject_key, Message.conversation_id, Message.created_at)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(Message.channel == channel, Message.created_at >= since,
                   Message.subject_key.in_({k for c, _, k, _ in wanted if c == channel}),
                   Conversation.customer_id.in_({cid for c, cid, _, _ in wanted if c == channel}))
            .order_by(Message.created_at, Message.id))
        for customer_id, key, conversation_id, created_at in rows:
            if customer_id is not None and key is not None:
                found[(customer_id, key)] = (conversation_id, created_at.timestamp())
    return found


def _create_customers(
    s: Session, batch: Sequence[InboundMessage], placements: Sequence[Placement]
) -> dict[IdentityKey, int]:
    names: dict[IdentityKey, str] = {}
    for m, p in zip(batch, placements, strict=True):
        if p.new_customer is not None and p.new_customer not in names:
            names[p.new_customer] = (m.sender_name or m.sender or p.new_customer[1])[:200]
    if not names:
        return {}
    now = utcnow()
    ids = _insert_rows(s, Customer, [
        {"display_name": name, "merged_into_id": None, "created_at": now} for name in names.values()
    ])
    customers = dict(zip(names, ids, strict=True))
    _insert_rows(s, Identity, [
        {"customer_id": customer_id, "kind": k[0], "value": k[1], "label": None, "created_at": now}
        for k, customer_id in customers.items()
    ])
    return customers


def _department_ids(s: Session, slugs: set[str]) -> dict[str, int]:
    if not slugs:
        return {}
    rows = s.execute(select(Department.slug, Department.id).where(Department.slug.in_(slugs)))
    return {r[0]: r[1] for r in rows}


def _customer(p: Placement, customers: dict[IdentityKey, int]) -> int | None:
    return customers[p.new_customer] if p.new_customer is not None else p.customer_id


def _open_conversations(
    s: Session,
    batch: Sequence[InboundMessage],
    placements: Sequence[Placement],
    customers: dict[IdentityKey, int],
    departments: dict[str, int],
) -> dict[int, _Opened]:
    now = utcnow()
    rows: list[dict[str, Any]] = []
    firsts: list[tuple[int, InboundMessage, dict[str, Any]]] = []
    for index, (m, p) in enumerate(zip(batch, placements, strict=True)):
        if not p.opens:
            continue
        row = {
            "channel": m.channel,
            "external_ref": m.conversation_ref or (new_token() if _threads_by_token(m.channel) else None),
            "customer_id": _customer(p, customers),
            "department_id": departments.get(m.department or ""),
            "status": "queued",
            "priority": 0,
            "subject": (m.subject or "")[:500] or None,
            "contact_address": m.sender,
            "created_at": now,
            "updated_at": now,
        }
        rows.append(row)
        firsts.append((index, m, row))
    ids = _insert_rows(s, Conversation, rows)
    return {
        index: _Opened(_NewConversation(id=conv_id, customer_id=row["customer_id"],
                                        department_id=row["department_id"]), m)
        for (index, m, row), conv_id in zip(firsts, ids, strict=True)
    }


def _threads_by_token(name: str) -> bool:
    """Mail conversations get a random key that replies carry in their subject."""
    return channels.channel(name).presentation is channels.Presentation.MAIL


def _touch_existing(
    batch: Sequence[InboundMessage], placements: Sequence[Placement], conversations: dict[int, Conversation]
) -> set[int]:
    """Apply the ``inbound`` transition to stored conversations that got mail; the reopened ids."""
    reopened: set[int] = set()
    now = utcnow()
    for p in placements:
        conv = conversations.get(p.conversation_id or -1)
        if conv is None:
            continue
        after = transition(ConversationState(conv.status, conv.assigned_user_id), Action.INBOUND)
        if conv.status == "closed":
            reopened.add(conv.id)
            conv.closed_at = None
        conv.status, conv.assigned_user_id = after.status, after.user_id
        conv.updated_at = now
    return reopened


def _insert_messages(
    s: Session,
    batch: Sequence[InboundMessage],
    placements: Sequence[Placement],
    customers: dict[IdentityKey, int],
    opened: dict[int, _Opened],
    conversations: dict[int, Conversation],
    reopened: set[int],
) -> list[StoredMessage]:
    targets: list[tuple[int, Conversation | _NewConversation]] = []
    for index, p in enumerate(placements):
        if p.duplicate:
            continue
        if p.conversation_id is not None:
            targets.append((index, conversations[p.conversation_id]))
        elif p.joins_new is not None:
            targets.append((index, opened[p.joins_new].conversation))
        else:
            targets.append((index, opened[index].conversation))
    now = utcnow()
    ids = _insert_rows(s, Message, [_message_row(batch[i], conv.id, now) for i, conv in targets])
    _insert_rows(s, Attachment, [
        {"message_id": message_id, "position": pos, "filename": a.filename[:255],
         "content_type": a.content_type[:127], "content_id": a.content_id, "inline": a.inline,
         "size": len(a.data), "data": a.data}
        for (index, _), message_id in zip(targets, ids, strict=True)
        for pos, a in enumerate(batch[index].attachments)
    ])
    slugs = _department_slugs(s, {c.department_id for _, c in targets if c.department_id is not None})
    stored = {
        index: StoredMessage(
            external_id=batch[index].external_id, duplicate=False, message_id=message_id, conversation_id=conv.id,
            customer_id=conv.customer_id, new_conversation=placements[index].opens,
            department=slugs.get(conv.department_id or -1),
            status=conv.status, assigned_user_id=conv.assigned_user_id, reopened=conv.id in reopened,
        )
        for (index, conv), message_id in zip(targets, ids, strict=True)
    }
    return [stored.get(i) or StoredMessage(external_id=m.external_id, duplicate=True) for i, m in enumerate(batch)]


def _insert_rows(s: Session, model: type[Any], rows: list[dict[str, Any]]) -> list[int]:
    """Insert *rows* (plain dicts, every row with the same keys) in one executemany; their ids in order.

    SQLite cannot return the ids of a multi-row insert in order, so there the ids are numbered
    here (safe: the transaction holds the write lock, taken first thing in the batch).
    PostgreSQL returns them from ``INSERT … RETURNING`` sorted in parameter order.
    """
    if not rows:
        return []
    table: Table = model.__table__
    if s.get_bind().dialect.name == "sqlite":
        start = (s.execute(select(func.coalesce(func.max(table.c.id), 0)))).scalar_one() + 1
        ids = list(range(start, start + len(rows)))
        for row_id, row in zip(ids, rows, strict=True):
            row["id"] = row_id
        s.execute(insert(table), rows)
        return ids
    result = s.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
    return list(result.scalars())


def _message_row(m: InboundMessage, conversation_id: int, now: dt.datetime) -> dict[str, Any]:
    meta = dict(m.meta)
    if m.automated:
        meta["automated"] = True
    if m.source:
        meta["source"] = m.source
    return {
        "conversation_id": conversation_id, "channel": m.channel, "direction": "in", "external_id": m.external_id,
        "author_user_id": None, "sender": m.sender, "recipients": m.recipients,
        "subject": (m.subject or "")[:998] or None, "body_text": m.body_text, "body_html": m.body_html,
        "meta": meta, "raw": m.raw, "parse_error": m.parse_error, "delivery_status": None,
        "delivery_attempts": 0, "delivery_error": None, "next_attempt_at": None, "created_at": now,
        "thread_key": m.hints.thread_key, "subject_key": m.hints.subject_key,
    }


def _department_slugs(s: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = s.execute(select(Department.id, Department.slug).where(Department.id.in_(ids)))
    return {r[0]: r[1] for r in rows}


async def department_slugs(s: AsyncSession, ids: set[int]) -> dict[int, str]:
    """Department slugs by id (for events and views)."""
    return await s.run_sync(_department_slugs, ids)
