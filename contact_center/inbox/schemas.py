"""OpenAPI schemas of the inbox's JSON shapes (see :mod:`contact_center.inbox.views`)."""

from __future__ import annotations

from typing import Any

from contact_center.inbox.conversations import CONVERSATION_ACTIONS, STATUSES
from contact_center.store.tables import CHANNELS

_STR = {"type": "string"}
_NSTR = {"type": ["string", "null"]}
_INT = {"type": "integer"}
_NINT = {"type": ["integer", "null"]}

CONVERSATION: dict[str, Any] = {
    "type": "object",
    "required": ["id", "channel", "status"],
    "properties": {
        "id": _INT, "channel": {"type": "string", "enum": list(CHANNELS)},
        "status": {"type": "string", "enum": list(STATUSES)}, "department": _NSTR,
        "assigned_user_id": _NINT, "owner_name": _NSTR, "customer_id": _NINT, "customer_name": _NSTR, "subject": _NSTR,
        "contact_address": _NSTR, "preview": _STR, "priority": _INT, "route_reason": _NSTR, "created_at": _STR,
        "updated_at": _STR, "first_response_at": _NSTR, "closed_at": _NSTR,
    },
}

ATTACHMENT: dict[str, Any] = {
    "type": "object",
    "properties": {
        "position": _NINT, "filename": _STR, "content_type": _STR, "size": _INT, "content_id": _NSTR,
        "inline": {"type": "boolean"}, "omitted": _NSTR,
    },
}

MESSAGE: dict[str, Any] = {
    "type": "object",
    "required": ["id", "conversation_id", "direction"],
    "properties": {
        "id": _INT, "conversation_id": _INT, "channel": _STR,
        "direction": {"type": "string", "enum": ["in", "out", "note"]},
        "author_user_id": _NINT, "sender": _NSTR, "recipients": _NSTR, "subject": _NSTR, "body_text": _STR,
        "body_html": {"type": ["string", "null"], "description": "sanitised HTML (scripts, handlers removed)"},
        "automated": {"type": "boolean", "description": "auto-reply or bounce: never answered automatically"},
        "parse_error": {"type": ["string", "null"], "description": "set when the original could not be parsed"},
        "has_raw": {"type": "boolean"}, "client_id": _NSTR,
        "delivery_status": {"type": ["string", "null"], "enum": ["queued", "sending", "sent", "failed", None]},
        "delivery_attempts": _INT, "delivery_error": _NSTR,
        "attachments": {"type": "array", "items": ATTACHMENT}, "created_at": _STR,
        "from": {"type": ["object", "null"], "description": "inbound: the sender's display name and address "
                 "(the address is what identifies the customer)",
                 "properties": {"name": _NSTR, "address": _NSTR}},
        "from_claimed": {"type": ["string", "null"], "description": "an address the display name contains that "
                         "is not the sender's: shown as a warning (a spoofing sign)"},
        "reply_to": {"type": ["string", "null"], "description": "where replies go, when not the sender's address"},
        "authentication": {"type": ["object", "null"], "description": "SPF/DKIM/DMARC verdicts of the receiving "
                           "server (Authentication-Results)", "additionalProperties": _STR},
        "auth_failed": {"type": "array", "items": _STR, "description": "the checks that failed"},
    },
}

REPLY_REQUEST: dict[str, Any] = {
    "type": "object",
    "required": ["text"],
    "properties": {
        "text": {"type": "string", "maxLength": 100_000},
        "direction": {"type": "string", "enum": ["out", "note"], "default": "out"},
        "client_id": {"type": "string", "description": "the desk's own id, echoed back"},
    },
}

TRANSITION_REQUEST: dict[str, Any] = {
    "type": "object",
    "required": ["action"],
    "properties": {
        "action": {"type": "string", "enum": list(CONVERSATION_ACTIONS)},
        "user_id": {"type": "integer", "description": "assign: the new owner (agents: only themselves)"},
    },
}


def path_param(name: str, description: str) -> dict[str, Any]:
    """An integer path parameter."""
    return {"name": name, "in": "path", "required": True, "description": description, "schema": _INT}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


LIST_PARAMETERS = [
    _query("channel", {"type": "string", "enum": list(CHANNELS)}, "only this channel"),
    _query("status", {"type": "string", "enum": list(STATUSES)}, "only this status"),
    _query("department", _STR, "department slug"),
    _query("assigned_user_id", {"type": ["integer", "string"]}, "owner's user id, or 'me'"),
    _query("customer_id", _INT, "only this customer's conversations"),
    _query("limit", {"type": "integer", "maximum": 200, "default": 50}, "page size"),
    _query("before_id", _INT, "the previous page's next_before_id"),
]

CUSTOMER: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": _INT, "display_name": _STR, "company": _NSTR, "external_key": _NSTR, "country": _NSTR,
        "language": _NSTR,
        "identities": {"type": "array", "items": {"type": "object", "properties": {
            "kind": _STR, "value": _STR, "label": _NSTR}}},
    },
}

TIMELINE_ENTRY: dict[str, Any] = {
    "type": "object",
    "properties": {
        "conversation_id": _INT, "channel": _STR, "status": _STR, "subject": _NSTR, "contact_address": _NSTR,
        "department": _NSTR, "disposition": _NSTR, "created_at": _STR, "closed_at": _NSTR,
        "owner_id": _NINT, "owner_name": _NSTR,
        "task": {"type": ["object", "null"], "description": "the latest task: kind, status, outcome, due_at, note"},
    },
}
