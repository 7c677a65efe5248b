"""The visitor chat protocol: JSON text frames with a ``type``. Pure (no I/O, time passed in).

Visitor → server::

    {"type": "hello", "visitor_id": "…"|null, "last_seen": 0, "name"?, "email"?, "topic"?}   first frame
    {"type": "message", "client_id": "c-1", "text": "Hi"}    stored once per client_id, then acked
    {"type": "identify", "name": "Ann", "email": "ann@example.org"}
    {"type": "ping"}

Server → visitor::

    {"type": "welcome", "visitor_id", "conversation_id", "history": [message…]}
    {"type": "ack", "client_id", "message_id", "conversation_id", "duplicate"}
    {"type": "message", "message": {"id", "direction": "in"|"out", "text", "author", "client_id", "created_at"}}
    {"type": "identified", "customer_id"}
    {"type": "error", "code", "message", "client_id"?, "retry_after"?}
    {"type": "pong"}

Delivery guarantees: the widget keeps unacknowledged messages (by ``client_id``) and resends them
after a reconnect; the server stores each ``client_id`` once and acks repeats as duplicates. The
widget sends the highest message id it has seen (``last_seen``); the welcome replays everything
newer, and the widget drops ids it already shows. So nothing is lost and nothing repeats.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

VISITOR_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
CLIENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
MAX_NAME = 120
MAX_EMAIL = 320
MAX_TOPIC = 64


class ProtocolError(Exception):
    """A frame the server refuses; becomes an ``error`` frame (the socket stays open)."""

    def __init__(self, code: str, message: str, *, client_id: str | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.client_id = client_id
        self.retry_after = retry_after

    def frame(self) -> dict[str, Any]:
        """The ``error`` frame for this refusal."""
        out: dict[str, Any] = {"type": "error", "code": self.code, "message": self.message}
        if self.client_id is not None:
            out["client_id"] = self.client_id
        if self.retry_after is not None:
            out["retry_after"] = round(self.retry_after, 2)
        return out


@dataclass(frozen=True)
class Hello:
    visitor_id: str | None
    last_seen: int
    name: str | None = None
    email: str | None = None
    topic: str | None = None


@dataclass(frozen=True)
class Say:
    client_id: str
    text: str


@dataclass(frozen=True)
class Identify:
    name: str | None
    email: str | None


@dataclass(frozen=True)
class Ping:
    pass


Frame = Hello | Say | Identify | Ping


def _opt(doc: dict[str, Any], key: str, limit: int) -> str | None:
    value = doc.get(key)
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ProtocolError("bad_frame", f"'{key}' must be a string")
    value = value.strip()
    if len(value) > limit:
        raise ProtocolError("bad_frame", f"'{key}' is longer than {limit} characters")
    return value or None


def _hello(doc: dict[str, Any]) -> Hello:
    visitor = doc.get("visitor_id")
    if visitor is not None and (not isinstance(visitor, str) or not VISITOR_ID.match(visitor)):
        visitor = None  # an unusable id (old widget, tampering): start afresh
    seen = doc.get("last_seen", 0)
    if not isinstance(seen, int) or isinstance(seen, bool) or seen < 0:
        raise ProtocolError("bad_frame", "'last_seen' must be a whole number ≥ 0")
    return Hello(visitor, seen, _opt(doc, "name", MAX_NAME), _opt(doc, "email", MAX_EMAIL),
                 _opt(doc, "topic", MAX_TOPIC))


def _say(doc: dict[str, Any], max_chars: int) -> Say:
    client_id = doc.get("client_id")
    if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
        raise ProtocolError("bad_frame", "'client_id' must be 1-64 letters, digits or . _ : -")
    text = doc.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ProtocolError("bad_frame", "'text' must be a non-empty string", client_id=client_id)
    if len(text) > max_chars:
        raise ProtocolError("too_large", f"a message may have at most {max_chars} characters "
                            f"(this one has {len(text)})", client_id=client_id)
    return Say(client_id, text)


def parse_frame(raw: str, *, max_chars: int) -> Frame:
    """Decode one visitor frame.

    Raises:
        ProtocolError: not JSON, not an object, unknown type, or a bad or oversized field.
    """
    try:
        doc = json.loads(raw)
    except ValueError as exc:
        raise ProtocolError("bad_frame", "frames must be JSON objects") from exc
    if not isinstance(doc, dict):
        raise ProtocolError("bad_frame", "frames must be JSON objects")
    kind = doc.get("type")
    if kind == "hello":
        return _hello(doc)
    if kind == "message":
        return _say(doc, max_chars)
    if kind == "identify":
        return Identify(_opt(doc, "name", MAX_NAME), _opt(doc, "email", MAX_EMAIL))
    if kind == "ping":
        return Ping()
    raise ProtocolError("bad_frame", f"unknown frame type {kind!r}")


def new_visitor_id() -> str:
    """A fresh, unguessable visitor id (it is the visitor's only credential)."""
    return secrets.token_urlsafe(18)


def conversation_ref(visitor_id: str) -> str:
    """The chat conversation's key in the store (one conversation per visitor, reopened as needed)."""
    return f"chat:{visitor_id}"


def external_id(visitor_id: str, client_id: str) -> str:
    """The idempotency key of one visitor message."""
    return f"{visitor_id}:{client_id}"


def message_frame(message: dict[str, Any]) -> dict[str, Any]:
    """The visitor's view of a stored message (no notes ever reach here; see the caller)."""
    return {
        "id": message["id"],
        "direction": message["direction"],
        "text": message["body_text"],
        "author": message.get("author_name"),
        "client_id": message.get("client_id"),
        "created_at": message.get("created_at"),
    }


class TokenBucket:
    """Per-visitor rate limit: *burst* messages at once, refilled at *rate* per second."""

    def __init__(self, *, rate: float, burst: int, now: float) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.tokens = float(burst)
        self.updated = now

    def take(self, now: float) -> float | None:
        """Spend one token; ``None`` on success, else the seconds until one is available."""
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return None
        return (1.0 - self.tokens) / self.rate
