"""Inbound messages from a messaging bridge: the JSON body, checked and turned into one inbox message.

``POST /api/v1/channels/{id}/messages`` takes::

    {
      "message_id": "wamid.HBgLNDkxNT…",          # the bridge's id: a repeat is stored once
      "sender": {"phone": "+49 151 2345 6789",     # E.164 after normalising, or
                 "user_id": "1234567",             # the messenger's user id (one of the two)
                 "name": "Ann Example"},           # optional display name
      "text": "Hello, my router is broken",        # optional when there are attachments
      "attachments": [{"filename": "photo.jpg", "content_type": "image/jpeg",
                       "data": "<base64>"}]        # optional
    }

Pure: :func:`parse` raises :class:`~contact_center.errors.ValidationError` naming the field; the
customer is matched by the inbox like on every channel (phone first, else the messenger id,
scoped to the instance's name: ``"<name>:<user id>"``).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from contact_center.channel_instances import Instance
from contact_center.errors import ValidationError
from contact_center.inbox.records import AttachmentData, InboundMessage

CHANNEL = "api"
MAX_ID_CHARS = 200
MAX_NAME_CHARS = 200
MAX_USER_ID_CHARS = 128
MAX_FILENAME_CHARS = 255
MAX_CONTENT_TYPE_CHARS = 127


@dataclass(frozen=True)
class Limits:
    """How much one inbound message may carry."""

    max_text_chars: int
    max_attachment_bytes: int
    max_attachments: int


@dataclass(frozen=True)
class Sender:
    """Who wrote, as the bridge says: a phone number (E.164), a messenger user id, a name."""

    phone: str | None
    user_id: str | None
    name: str | None


@dataclass(frozen=True)
class Parsed:
    """One inbound message, checked."""

    message_id: str
    sender: Sender
    text: str
    attachments: tuple[AttachmentData, ...]


def _text(doc: Mapping[str, Any], key: str, where: str, max_chars: int, *, required: bool) -> str | None:
    value = doc.get(key)
    if value is None or (value == "" and not required):
        if required:
            raise ValidationError(where, f"'{where}' is required")
        return None
    if not isinstance(value, str):
        raise ValidationError(where, f"'{where}' must be a string")
    if required and not value.strip():
        raise ValidationError(where, f"'{where}' must not be empty")
    if len(value) > max_chars:
        raise ValidationError(where, f"'{where}' is longer than {max_chars} characters")
    return value


def _sender(doc: Mapping[str, Any], normalise_phone: Callable[[str], str | None]) -> Sender:
    raw = doc.get("sender")
    if not isinstance(raw, dict):
        raise ValidationError("sender", "'sender' is required: an object with 'phone' or 'user_id'")
    phone_raw = _text(raw, "phone", "sender.phone", 64, required=False)
    phone = None
    if phone_raw is not None:
        phone = normalise_phone(phone_raw)
        if phone is None:
            raise ValidationError("sender.phone", f"'sender.phone' {phone_raw!r} is not a phone number")
    user_id = _text(raw, "user_id", "sender.user_id", MAX_USER_ID_CHARS, required=False)
    if phone is None and user_id is None:
        raise ValidationError("sender", "'sender' needs 'phone' (E.164) or 'user_id'")
    name = _text(raw, "name", "sender.name", MAX_NAME_CHARS, required=False)
    return Sender(phone=phone, user_id=user_id.strip() if user_id else None, name=name)


def _attachments(doc: Mapping[str, Any], limits: Limits) -> tuple[AttachmentData, ...]:
    raw = doc.get("attachments")
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ValidationError("attachments", "'attachments' must be a list")
    if len(raw) > limits.max_attachments:
        raise ValidationError("attachments", f"at most {limits.max_attachments} attachments")
    out: list[AttachmentData] = []
    for i, item in enumerate(raw):
        where = f"attachments[{i}]"
        if not isinstance(item, dict):
            raise ValidationError(where, f"'{where}' must be an object")
        filename = _text(item, "filename", f"{where}.filename", MAX_FILENAME_CHARS, required=True)
        ctype = _text(item, "content_type", f"{where}.content_type", MAX_CONTENT_TYPE_CHARS, required=False)
        encoded = _text(item, "data", f"{where}.data", limits.max_attachment_bytes * 4 // 3 + 4, required=True)
        try:
            data = base64.b64decode(encoded or "", validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValidationError(f"{where}.data", f"'{where}.data' is not base64") from exc
        if len(data) > limits.max_attachment_bytes:
            raise ValidationError(f"{where}.data", f"'{where}.data' is larger than {limits.max_attachment_bytes} bytes")
        out.append(AttachmentData(filename=filename or "attachment", content_type=ctype or "application/octet-stream",
                                  data=data))
    return tuple(out)


def parse(doc: Mapping[str, Any], limits: Limits, normalise_phone: Callable[[str], str | None]) -> Parsed:
    """Check an inbound body.

    Raises:
        ValidationError: naming the first field that is missing or wrong.
    """
    message_id = _text(doc, "message_id", "message_id", MAX_ID_CHARS, required=True)
    sender = _sender(doc, normalise_phone)
    attachments = _attachments(doc, limits)
    text = _text(doc, "text", "text", limits.max_text_chars, required=not attachments)
    assert message_id is not None
    return Parsed(message_id=message_id.strip(), sender=sender, text=text or "", attachments=attachments)


def identity(instance: Instance, sender: Sender) -> tuple[str, str]:
    """The identity the sender is matched to customers by: the phone number, else the
    messenger id scoped to the instance (two bridges' user ids never collide)."""
    if sender.phone is not None:
        return "phone", sender.phone
    return "messenger", f"{instance.name}:{sender.user_id}"


def conversation_ref(instance: Instance, key: tuple[str, str]) -> str:
    """The key of the sender's conversation on this instance (messages join it, like a chat)."""
    return f"{CHANNEL}:{instance.id}:{key[0]}:{key[1]}"


def external_id(instance: Instance, message_id: str) -> str:
    """The stored message id: the bridge's, scoped to the instance."""
    return f"{instance.id}:{message_id}"


def to_inbound(instance: Instance, parsed: Parsed) -> InboundMessage:
    """The inbox message for a checked body."""
    key = identity(instance, parsed.sender)
    meta: dict[str, Any] = {"api": {"instance_id": instance.id, "message_id": parsed.message_id,
                                    "phone": parsed.sender.phone, "user_id": parsed.sender.user_id}}
    if parsed.attachments:
        meta["attachments"] = [{"position": i, "filename": a.filename, "content_type": a.content_type,
                                "size": len(a.data)} for i, a in enumerate(parsed.attachments)]
    return InboundMessage(
        channel=CHANNEL, external_id=external_id(instance, parsed.message_id), identity=key,
        sender=key[1], sender_name=parsed.sender.name, department=instance.department,
        body_text=parsed.text, meta=meta, conversation_ref=conversation_ref(instance, key),
        source=instance.name, attachments=parsed.attachments,
    )
