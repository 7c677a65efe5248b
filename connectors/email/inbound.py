"""A parsed email → the inbox's :class:`~contact_center.inbox.records.InboundMessage`. Pure."""

from __future__ import annotations

from typing import Any

from connectors.email.mime import ParsedEmail, Part
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
    parsed: ParsedEmail, raw: bytes, *, mailbox: str, department: str | None, imap: dict[str, int] | None = None
) -> InboundMessage:
    """What the inbox stores for one email from *mailbox*; *raw* is kept for every message."""
    listed, kept = _attachments(parsed.parts)
    meta: dict[str, Any] = {
        "headers": parsed.headers,
        "to": list(parsed.to),
        "cc": list(parsed.cc),
        "date": parsed.date.isoformat() if parsed.date else None,
        "attachments": listed,
        "charsets": list(parsed.charsets),
    }
    if parsed.reply_to_address:
        meta["reply_to"] = parsed.reply_to_address
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
    )
