"""The visitor chat protocol: frames, limits and the rate bucket, as tables."""

from __future__ import annotations

import json

import pytest

from connectors.chat.config import load_chat_config
from connectors.chat.protocol import (
    Hello,
    Identify,
    Ping,
    ProtocolError,
    Say,
    TokenBucket,
    conversation_ref,
    external_id,
    new_visitor_id,
    parse_frame,
)
from contact_center.errors import ConfigError

VID = "abcdefghijklmnop0123"


@pytest.mark.parametrize(("frame", "expected"), [
    ({"type": "hello", "visitor_id": VID, "last_seen": 5, "topic": "sales"}, Hello(VID, 5, topic="sales")),
    ({"type": "hello"}, Hello(None, 0)),
    ({"type": "hello", "visitor_id": "short"}, Hello(None, 0)),
    ({"type": "hello", "visitor_id": "x" * 80}, Hello(None, 0)),
    ({"type": "message", "client_id": "c-1", "text": " hi "}, Say("c-1", " hi ")),
    ({"type": "identify", "name": " Ann ", "email": "ann@x.org"}, Identify("Ann", "ann@x.org")),
    ({"type": "ping"}, Ping()),
])
def test_valid_frames(frame: dict, expected: object) -> None:
    """Well-formed frames decode; unusable visitor ids mean a fresh start, not an error."""
    assert parse_frame(json.dumps(frame), max_chars=100) == expected


@pytest.mark.parametrize(("raw", "code", "client_id"), [
    ("not json", "bad_frame", None),
    ("[1, 2]", "bad_frame", None),
    (json.dumps({"type": "shout"}), "bad_frame", None),
    (json.dumps({"type": "message", "client_id": "bad id!", "text": "x"}), "bad_frame", None),
    (json.dumps({"type": "message", "client_id": "c-1", "text": "   "}), "bad_frame", "c-1"),
    (json.dumps({"type": "message", "client_id": "c-1", "text": "x" * 101}), "too_large", "c-1"),
    (json.dumps({"type": "hello", "last_seen": -1}), "bad_frame", None),
    (json.dumps({"type": "hello", "last_seen": True}), "bad_frame", None),
    (json.dumps({"type": "identify", "name": 5}), "bad_frame", None),
])
def test_refused_frames(raw: str, code: str, client_id: str | None) -> None:
    """Bad frames raise ProtocolError with a stable code, echoing the client id when known."""
    with pytest.raises(ProtocolError) as caught:
        parse_frame(raw, max_chars=100)
    assert caught.value.code == code
    assert caught.value.client_id == client_id
    assert caught.value.frame()["type"] == "error"


def test_token_bucket_allows_bursts_then_refills() -> None:
    """burst messages at once, then one per 1/rate seconds; the wait is reported."""
    bucket = TokenBucket(rate=0.5, burst=2, now=0.0)
    assert bucket.take(0.0) is None
    assert bucket.take(0.0) is None
    assert bucket.take(0.0) == pytest.approx(2.0)
    assert bucket.take(1.0) == pytest.approx(1.0)
    assert bucket.take(2.0) is None


def test_ids_and_keys() -> None:
    """Visitor ids are unguessable and valid; keys combine visitor and client ids."""
    vid = new_visitor_id()
    assert parse_frame(json.dumps({"type": "hello", "visitor_id": vid}), max_chars=10) == Hello(vid, 0)
    assert new_visitor_id() != vid
    assert conversation_ref(vid) == f"chat:{vid}"
    assert external_id(vid, "c-1") == f"{vid}:c-1"


@pytest.mark.parametrize(("raw", "key"), [
    ({"max_message_chars": 0}, "chat.max_message_chars"),
    ({"rate_per_minute": "fast"}, "chat.rate_per_minute"),
    ({"allowed_origins": 5}, "chat.allowed_origins"),
])
def test_chat_config_errors_name_the_key(raw: dict, key: str) -> None:
    """Malformed [chat] values are ConfigErrors naming the key."""
    with pytest.raises(ConfigError, match=key):
        load_chat_config(raw)


def test_chat_config_origins_from_a_string() -> None:
    """An environment variable can list origins separated by commas."""
    config = load_chat_config({"allowed_origins": "https://a.example, https://b.example/"})
    assert config.allowed_origins == ("https://a.example", "https://b.example")
