"""A parsed email → the inbox's :class:`~contact_center.inbox.records.InboundMessage`. Pure."""

from __future__ import annotations

from typing import Any

from connectors.email.mime import ParsedEmail, Part
from connectors.email.sender import failed_checks
from connectors.email.threading import is_reply_subject, subject_key
from contact_center.inbox.placement import ThreadHints
from contact_center.inbox.records import AttachmentData, InboundMessage


def _attachments(parts: tuple[Part, ...]) -> tuple[list[dict[str, Any]], tuple[AttachmentData, ...]]:
    listed: list[dict[str, Any]] = []
    kept: list[AttachmentData] = []
    for part in parts:
        entry: dict[str, Any] = {
            "filename": part.filename, "content_type": part.content_type, "size": part.size,
            "content_id": part.content_id, "inline": part.inline, "position": None, "omitted": None,
        }
        if part.data is None:
            entry["omitted"] = "larger than the attachment size limit"
        else:
            entry["position"] = len(kept)
            kept.append(AttachmentData(filename=part.filename, content_type=part.content_type, data=part.data,
                                       content_id=part.content_id, inline=part.inline))
        listed.append(entry)
    return listed, tuple(kept)


def to_inbound(
    parsed: ParsedEmail, raw: bytes, *, mailbox: str, department: str | None, imap: dict[str, int] | None = None,
    subject_window_seconds: float = 0.0,
) -> InboundMessage:
    """What the inbox stores for one email from *mailbox*; *raw* is kept for every message.

    The sender is identified by the From address alone; ``meta`` keeps what the desk shows about
    the sender: ``from_name``, ``from_claimed`` (an address the display name pretends to be),
    ``reply_to`` (where replies go when it differs) and ``authentication`` with ``auth_failed``.
    """
    listed, kept = _attachments(parsed.parts)
    meta: dict[str, Any] = {
        "headers": parsed.headers,
        "to": list(parsed.to),
        "cc": list(parsed.cc),
        "date": parsed.date.isoformat() if parsed.date else None,
        "attachments": listed,
        "charsets": list(parsed.charsets),
    }
    if parsed.from_name:
        meta["from_name"] = parsed.from_name
    if parsed.from_claimed:
        meta["from_claimed"] = parsed.from_claimed
    if parsed.reply_to_address:
        meta["reply_to"] = parsed.reply_to_address
    if parsed.authentication:
        meta["authentication"] = dict(parsed.authentication)
        if failed := failed_checks(parsed.authentication):
            meta["auth_failed"] = list(failed)
    if parsed.automated:
        meta["automated_reason"] = parsed.automated
    if parsed.defects:
        meta["defects"] = list(parsed.defects)
    if imap:
        meta["imap"] = imap
    token = parsed.token
    return InboundMessage(
        channel="email",
        external_id=parsed.message_id,
        identity=("email", parsed.from_address) if parsed.from_address else None,
        sender=parsed.from_address,
        sender_name=parsed.from_name,
        department=department,
        subject=parsed.subject or None,
        body_text=parsed.text,
        body_html=parsed.html,
        recipients=", ".join(parsed.to) or None,
        meta=meta,
        raw=raw,
        parse_error=parsed.parse_error,
        automated=parsed.automated is not None,
        reply_to=parsed.reply_to,
        conversation_id=token[0] if token else None,
        token_check=token[1] if token else None,
        source=mailbox,
        attachments=kept,
        hints=ThreadHints(thread_key=parsed.thread_key, subject_key=subject_key(parsed.subject),
                          is_reply=is_reply_subject(parsed.subject), window_seconds=subject_window_seconds),
    )
