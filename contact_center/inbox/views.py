"""JSON shapes of conversations and messages, as the REST API and websocket frames carry them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from contact_center.store.tables import Conversation, Message


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def conversation_view(
    c: Conversation, department: str | None, customer_name: str | None = None, owner_name: str | None = None,
    preview: str | None = None,
) -> dict[str, Any]:
    """``{"id", "channel", "status", "department", "assigned_user_id", "owner_name", "customer_id", ...}``;
    lists add ``preview``, the start of the latest message (notes left out)."""
    view = {
        "id": c.id,
        "channel": c.channel,
        "status": c.status,
        "department": department,
        "assigned_user_id": c.assigned_user_id,
        "owner_name": owner_name,
        "customer_id": c.customer_id,
        "customer_name": customer_name,
        "subject": c.subject,
        "contact_address": c.contact_address,
        "priority": c.priority,
        "route_reason": c.route_reason,
        "disposition": c.disposition,
        "created_at": _iso(c.created_at),
        "updated_at": _iso(c.updated_at),
        "first_response_at": _iso(c.first_response_at),
        "closed_at": _iso(c.closed_at),
    }
    if preview is not None:
        view["preview"] = " ".join(preview.split())
    return view


def message_view(m: Message, attachments: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """One message; ``body_html`` is already sanitised, ``raw`` is never included."""
    meta = m.meta or {}
    return {
        "id": m.id,
        "conversation_id": m.conversation_id,
        "channel": m.channel,
        "direction": m.direction,
        "author_user_id": m.author_user_id,
        "sender": m.sender,
        "recipients": m.recipients,
        "subject": m.subject,
        "body_text": m.body_text,
        "body_html": m.body_html,
        "automated": bool(meta.get("automated")),
        "parse_error": m.parse_error,
        "has_raw": m.raw is not None,
        "client_id": meta.get("client_id"),
        "delivery_status": m.delivery_status,
        "delivery_attempts": m.delivery_attempts,
        "delivery_error": m.delivery_error,
        "attachments": attachments if attachments is not None else meta.get("attachments", []),
        "created_at": _iso(m.created_at),
        **_sender_view(m, meta),
    }


def _sender_view(m: Message, meta: dict[str, Any]) -> dict[str, Any]:
    """Who an inbound message is from, as the desk shows it: the address it came from and its
    display name, an address the display name pretends to be (``from_claimed``), where replies go
    when that differs (``reply_to``) and the receiving server's SPF/DKIM/DMARC verdicts."""
    if m.direction != "in":
        return {"from": None, "from_claimed": None, "reply_to": None, "authentication": None, "auth_failed": []}
    reply_to = meta.get("reply_to")
    return {
        "from": {"name": meta.get("from_name"), "address": m.sender},
        "from_claimed": meta.get("from_claimed"),
        "reply_to": reply_to if reply_to and reply_to != m.sender else None,
        "authentication": meta.get("authentication"),
        "auth_failed": list(meta.get("auth_failed", [])),
    }
