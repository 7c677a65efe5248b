"""What an agent's reply on the API channel becomes, and what to do after each attempt. Pure.

The webhook body (``X-CC-Event: message_created``)::

    {
      "event": "message_created",
      "channel": {"id": 3, "name": "whatsapp"},
      "conversation": {"id": 812},
      "message": {"id": 4711, "text": "Your router ships today.", "created_at": "2026-12-07T21:30:00+00:00"},
      "recipient": {"phone": "+4915123456789"},       # or {"user_id": "1234567"}
      "in_reply_to": "wamid.HBgLNDkxNT…"               # the bridge's id of the last inbound message
    }

After an attempt: a 2xx answer means sent; no answer, a timeout, 408, 425, 429 or 5xx is worth
another try after an exponential backoff; any other 4xx (the bridge refuses this message) and
running out of attempts are final.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import orjson

from connectors.api.inbound import CHANNEL

EVENT = "message_created"
SENT, RETRY, FAILED = "sent", "retry", "failed"
_RETRYABLE_4XX = frozenset({408, 425, 429})


@dataclass(frozen=True)
class Recipient:
    """Who a reply goes to, read from the conversation's key (``api:<instance>:<kind>:<value>``)."""

    instance_id: int
    kind: str  # phone | messenger
    value: str

    def to_dict(self) -> dict[str, str]:
        if self.kind == "phone":
            return {"phone": self.value}
        return {"user_id": self.value.split(":", 1)[1] if ":" in self.value else self.value}


def recipient(ref: str | None) -> Recipient | None:
    """The recipient named by a conversation key, or ``None`` when it is not an API-channel key."""
    parts = (ref or "").split(":", 3)
    if len(parts) != 4 or parts[0] != CHANNEL or not parts[1].isdigit() or not parts[3]:
        return None
    return Recipient(int(parts[1]), parts[2], parts[3])


def bridge_message_id(external_id: str | None, instance_id: int) -> str | None:
    """The bridge's own id of a stored inbound message (stored as ``<instance>:<bridge id>``)."""
    prefix = f"{instance_id}:"
    return external_id[len(prefix):] if external_id and external_id.startswith(prefix) else None


def payload(*, instance_id: int, instance_name: str, message: dict[str, Any], to: Recipient,
            in_reply_to: str | None) -> bytes:
    """The webhook body for one reply; the same bytes on every attempt."""
    return orjson.dumps({
        "event": EVENT,
        "channel": {"id": instance_id, "name": instance_name},
        "conversation": {"id": message["conversation_id"]},
        "message": {"id": message["id"], "text": message["body_text"], "created_at": message["created_at"]},
        "recipient": to.to_dict(),
        "in_reply_to": in_reply_to,
    })


def outcome(status: int | None, attempt: int, max_attempts: int) -> str:
    """``sent``, ``retry`` or ``failed`` after attempt number *attempt* got *status* (None: no answer)."""
    if status is not None and 200 <= status < 300:
        return SENT
    retryable = status is None or status >= 500 or status in _RETRYABLE_4XX
    return RETRY if retryable and attempt < max_attempts else FAILED


def backoff(attempt: int, *, low: float, high: float, jitter: float | None = None) -> float:
    """Seconds before the next try after attempt *attempt*: doubling from *low*, capped at *high*,
    spread by ±25 % (*jitter* in [0, 1) picks the point; random by default)."""
    base = min(high, low * 2 ** max(0, attempt - 1))
    return base * (0.75 + (random.random() if jitter is None else jitter) / 2)
