"""One data subject: export everything held about a customer, or erase (anonymise) it.

Erasure keeps the rows that carry no personal data (a conversation's channel, department, times,
status) so statistics stay right, and replaces or removes everything that names or describes the
person: the customer's name and keys, identities, message texts and subjects, raw mail,
attachments, call numbers and the search entries of all of these. The audit log is kept: it is
the record of processing the regulation itself asks for.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from contact_center.errors import NotFound
from contact_center.sources.federation import SourceFederation
from contact_center.store.session import Database
from contact_center.store.tables import (
    Attachment,
    Audit,
    Call,
    Conversation,
    Customer,
    CustomerMerge,
    Identity,
    Message,
    MissedCallNotice,
    SearchEntry,
    Task,
)

ERASED = "[erased]"


def _row(obj: Any, skip: Iterable[str] = ()) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in obj.__table__.columns:
        if column.name in skip:
            continue
        value = getattr(obj, column.key)
        out[column.name] = value.isoformat() if isinstance(value, dt.datetime) else value
    return out


async def _records(s: AsyncSession, customer_id: int) -> list[Customer]:
    """The customer and every record merged into it (their data is this person's too).

    Raises:
        NotFound: no such customer.
    """
    found = [customer_id]
    rows: list[Customer] = []
    while found:
        batch = (await s.execute(select(Customer).where(Customer.id.in_(found)))).scalars().all()
        rows.extend(batch)
        found = list((await s.execute(select(Customer.id).where(
            Customer.merged_into_id.in_([c.id for c in batch])))).scalars())
    if not rows:
        raise NotFound(f"customer {customer_id} does not exist")
    return rows


async def export_subject(db: Database, federation: SourceFederation | None, customer_id: int) -> dict[str, Any]:
    """Everything held about customer *customer_id*: store records and what each source returns.

    Raises:
        NotFound: no such customer.
    """
    async with db.session() as s:
        records = await _records(s, customer_id)
        ids = [c.id for c in records]
        identities = (await s.execute(select(Identity).where(Identity.customer_id.in_(ids)))).scalars().all()
        conversations = (await s.execute(select(Conversation).where(Conversation.customer_id.in_(ids))
                                         .order_by(Conversation.id))).scalars().all()
        conv_ids = [c.id for c in conversations]
        messages = (await s.execute(select(Message).where(Message.conversation_id.in_(conv_ids))
                                    .order_by(Message.id))).scalars().all()
        attachments = (await s.execute(select(Attachment).where(
            Attachment.message_id.in_([m.id for m in messages])))).scalars().all()
        calls = (await s.execute(select(Call).where(or_(Call.customer_id.in_(ids), Call.conversation_id.in_(
            conv_ids))).order_by(Call.id))).scalars().all()
        merges = (await s.execute(select(CustomerMerge).where(or_(
            CustomerMerge.merged_id.in_(ids), CustomerMerge.into_id.in_(ids))))).scalars().all()
        reads = (await s.execute(select(Audit).where(Audit.customer_id.in_(ids)).order_by(Audit.id))).scalars().all()
        tasks = (await s.execute(select(Task).where(or_(Task.customer_id.in_(ids), Task.conversation_id.in_(
            conv_ids))).order_by(Task.id))).scalars().all()
    keys = [c.external_key for c in records if c.external_key]
    sources: dict[str, Any] = {}
    if federation is not None:
        for key in keys:
            for name, result in (await federation.sections(key)).items():
                sources.setdefault(name, []).append({"customer_key": key, "status": result.status,
                                                     "title": result.title, "data": result.data})
    return {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(),
        "customer": _row(records[0]),
        "merged_records": [_row(c) for c in records[1:]],
        "identities": [_row(i) for i in identities],
        "conversations": [_row(c) for c in conversations],
        "messages": [_row(m, skip=("raw",)) | {"has_raw": m.raw is not None} for m in messages],
        "attachments": [_row(a, skip=("data",)) for a in attachments],
        "calls": [_row(c) for c in calls],
        "merges": [_row(m) for m in merges],
        "tasks": [_row(t) for t in tasks],  # callbacks and follow-ups
        "processing": [_row(a) for a in reads],  # who read or changed this person's data, when
        "sources": sources,
    }


def export_html(doc: dict[str, Any]) -> str:
    """The export as a plain, readable HTML page (every value escaped)."""
    parts = ["<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Data export</title>"
             "</head><body><h1>Data held about " + html.escape(str(doc["customer"].get("display_name"))) + "</h1>",
             f"<p>Generated {html.escape(doc['generated_at'])}.</p>"]
    for section, value in doc.items():
        if section == "generated_at":
            continue
        parts.append(f"<h2>{html.escape(section.replace('_', ' ').capitalize())}</h2>")
        parts.append(_html_value(value))
    parts.append("</body></html>")
    return "".join(parts)


def _html_value(value: Any) -> str:
    if isinstance(value, dict):
        return "<dl>" + "".join(f"<dt>{html.escape(str(k))}</dt><dd dir=\"auto\">{_html_value(v)}</dd>"
                                for k, v in value.items()) + "</dl>"
    if isinstance(value, list):
        return "<p>none</p>" if not value else "<ol>" + "".join(f"<li>{_html_value(v)}</li>" for v in value) + "</ol>"
    if value is None:
        return ""
    return html.escape(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str))


async def scrub_conversations(s: AsyncSession, conv_ids: list[int]) -> int:
    """Remove the personal content of conversations *conv_ids*: subjects, addresses, message texts,
    raw mail, attachments, call numbers and their search entries. Returns how many messages were scrubbed."""
    if not conv_ids:
        return 0
    message_ids = list((await s.execute(select(Message.id).where(Message.conversation_id.in_(conv_ids)))).scalars())
    if message_ids:
        await s.execute(delete(Attachment).where(Attachment.message_id.in_(message_ids)))
        await s.execute(update(Message).where(Message.id.in_(message_ids)).values(
            sender=None, recipients=None, subject=None, body_text=ERASED, body_html=None, raw=None, meta={},
            parse_error=None))
        await s.execute(delete(SearchEntry).where(SearchEntry.kind == "message", SearchEntry.ref_id.in_(message_ids)))
    await s.execute(update(Conversation).where(Conversation.id.in_(conv_ids)).values(
        subject=None, contact_address=None, external_ref=None))
    await s.execute(delete(SearchEntry).where(SearchEntry.kind == "conversation", SearchEntry.ref_id.in_(conv_ids)))
    await s.execute(update(Call).where(Call.conversation_id.in_(conv_ids)).values(
        from_number=None, to_number=None, from_raw=None, to_raw=None, diversion=None, dtmf=None,
        answering_number=None, users={}))
    # Callbacks and follow-ups: the number, the note and the open key (which names the number); open ones end.
    await s.execute(update(Task).where(Task.conversation_id.in_(conv_ids), Task.status == "open").values(
        status="cancelled", due_at=None))
    await s.execute(update(Task).where(Task.conversation_id.in_(conv_ids)).values(
        number=None, note=None, open_key=None))
    await s.execute(update(MissedCallNotice).where(MissedCallNotice.conversation_id.in_(conv_ids)).values(number=None))
    return len(message_ids)


async def erase_subject(db: Database, customer_id: int, *, source_names: Iterable[str] = ()) -> dict[str, Any]:
    """Anonymise customer *customer_id* (and the records merged into it) across the store.

    Returns what was done and, for the operator, what the sources still hold (the customer keys
    each configured source knows the person by): the product never writes the sources.

    Raises:
        NotFound: no such customer.
    """
    async with db.session() as s:
        records = await _records(s, customer_id)
        ids = [c.id for c in records]
        keys = [c.external_key for c in records if c.external_key]
        identity_ids = list((await s.execute(select(Identity.id).where(Identity.customer_id.in_(ids)))).scalars())
        await s.execute(delete(SearchEntry).where(SearchEntry.kind == "identity", SearchEntry.ref_id.in_(identity_ids)))
        await s.execute(delete(Identity).where(Identity.customer_id.in_(ids)))
        await s.execute(delete(SearchEntry).where(SearchEntry.kind == "customer", SearchEntry.ref_id.in_(ids)))
        for c in records:
            c.display_name, c.company, c.external_key, c.country, c.language = f"Erased customer {c.id}", \
                None, None, None, None
        conv_ids = list((await s.execute(select(Conversation.id).where(Conversation.customer_id.in_(ids)))).scalars())
        messages = await scrub_conversations(s, conv_ids)
        await s.execute(update(Call).where(Call.customer_id.in_(ids)).values(
            from_number=None, to_number=None, from_raw=None, to_raw=None, answering_number=None))
    return {"customer_id": customer_id, "records": ids, "identities": len(identity_ids),
            "conversations": len(conv_ids), "messages": messages,
            "sources_to_erase": [{"source": name, "customer_keys": keys} for name in source_names] if keys else []}
