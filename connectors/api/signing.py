"""Signing outbound webhooks: HMAC-SHA256 over ``timestamp + "." + body``.

Every delivery carries::

    X-CC-Timestamp: 1765142400                  # Unix seconds when this attempt was signed
    X-CC-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>
    X-CC-Event: message_created
    X-CC-Delivery: <message id>-<attempt>       # unique per attempt; the message id repeats on retries

A receiver recomputes the HMAC over the raw body it got, compares in constant time and refuses
timestamps outside a few minutes (replays). Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-CC-Signature"
TIMESTAMP_HEADER = "X-CC-Timestamp"
EVENT_HEADER = "X-CC-Event"
DELIVERY_HEADER = "X-CC-Delivery"
PREFIX = "sha256="
DEFAULT_TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-CC-Signature`` value for *body* sent at *timestamp*."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return PREFIX + mac.hexdigest()


def verify(secret: str, timestamp: str | None, body: bytes, header: str | None, *, now: float,
           tolerance: float = DEFAULT_TOLERANCE_SECONDS) -> bool:
    """Whether *header* signs *body* at *timestamp* with *secret*, and the timestamp is recent."""
    if not timestamp or not header or not timestamp.isdigit():
        return False
    if abs(now - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, int(timestamp), body), header)


def signed_headers(secret: str, timestamp: int, body: bytes, *, event: str, delivery: str) -> dict[str, str]:
    """The headers of one delivery attempt."""
    return {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
        EVENT_HEADER: event,
        DELIVERY_HEADER: delivery,
    }
