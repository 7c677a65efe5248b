"""The API channel's pure parts: body checks, identity keys, signatures, outcomes, backoff, config."""

from __future__ import annotations

import base64
import hashlib
import hmac
from pathlib import Path
from typing import Any

import pytest

from connectors.api.config import load_api_config, load_bridges
from connectors.api.inbound import Limits, conversation_ref, identity, parse, to_inbound
from connectors.api.outbound import FAILED, RETRY, SENT, Recipient, backoff, bridge_message_id, outcome, recipient
from connectors.api.signing import signature, signed_headers, verify
from contact_center.channel_instances import Instance, check_webhook_url
from contact_center.customers.identity import normalise_phone
from contact_center.errors import ConfigError, ValidationError
from contact_center.settings import Settings
from contact_center.store.tables import utcnow

LIMITS = Limits(max_text_chars=10, max_attachment_bytes=4, max_attachments=2)
NOW = utcnow()
BRIDGE = Instance(id=3, channel="api", name="telegram", department="sales", webhook_url=None, token_hint="abcd",
                  active=True, created_at=NOW, updated_at=NOW)


def _phone(raw: str) -> str | None:
    return normalise_phone(raw, "DE")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.mark.parametrize(("doc", "field"), [
    ({}, "message_id"),
    ({"message_id": 5, "sender": {"user_id": "1"}, "text": "x"}, "message_id"),
    ({"message_id": "1", "sender": "ann", "text": "x"}, "sender"),
    ({"message_id": "1", "sender": {}, "text": "x"}, "sender"),
    ({"message_id": "1", "sender": {"phone": "12"}, "text": "x"}, "sender.phone"),
    ({"message_id": "1", "sender": {"user_id": "1", "name": 3}, "text": "x"}, "sender.name"),
    ({"message_id": "1", "sender": {"user_id": "1"}, "text": " "}, "text"),
    ({"message_id": "1", "sender": {"user_id": "1"}, "text": "x" * 11}, "text"),
    ({"message_id": "1", "sender": {"user_id": "1"}, "attachments": {}}, "attachments"),
    ({"message_id": "1", "sender": {"user_id": "1"}, "attachments": [1]}, "attachments[0]"),
    ({"message_id": "1", "sender": {"user_id": "1"}, "attachments": [{"data": _b64(b"a")}]},
     "attachments[0].filename"),
    ({"message_id": "1", "sender": {"user_id": "1"}, "attachments": [{"filename": "a", "data": _b64(b"12345")}]},
     "attachments[0].data"),
    ({"message_id": "1", "sender": {"user_id": "1"}, "attachments": [{"filename": "a", "data": "a"}] * 3},
     "attachments"),
])
def test_bad_bodies_name_the_field(doc: dict[str, Any], field: str) -> None:
    """Every refusal names the field that is missing or wrong."""
    with pytest.raises(ValidationError) as caught:
        parse(doc, LIMITS, _phone)
    assert caught.value.field == field


@pytest.mark.parametrize(("sender", "key"), [
    ({"phone": "0151 2345 6789"}, ("phone", "+4915123456789")),
    ({"phone": "+4915123456789", "user_id": "9"}, ("phone", "+4915123456789")),
    ({"user_id": " 12345678 "}, ("messenger", "telegram:12345678")),
])
def test_senders_are_keyed_by_phone_first_else_by_scoped_messenger_id(sender: dict[str, str],
                                                                       key: tuple[str, str]) -> None:
    """Phones become E.164 and win; messenger ids are scoped to the bridge's name."""
    parsed = parse({"message_id": " m1 ", "sender": sender, "text": "hi"}, LIMITS, _phone)
    assert identity(BRIDGE, parsed.sender) == key
    message = to_inbound(BRIDGE, parsed)
    assert (message.channel, message.external_id, message.identity, message.department, message.conversation_ref) == (
        "api", "3:m1", key, "sales", conversation_ref(BRIDGE, key))


def test_an_attachment_alone_is_a_message() -> None:
    """Text may be left out when the message carries an attachment."""
    parsed = parse({"message_id": "1", "sender": {"user_id": "1"},
                    "attachments": [{"filename": "a.jpg", "content_type": "image/jpeg", "data": _b64(b"abcd")}]},
                   LIMITS, _phone)
    assert (parsed.text, parsed.attachments[0].data) == ("", b"abcd")
    assert to_inbound(BRIDGE, parsed).meta["attachments"][0]["size"] == 4


def test_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    """The signature is what a receiver computes with the standard library."""
    body = b'{"event":"message_created"}'
    expected = "sha256=" + hmac.new(b"secret", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signature("secret", 1700000000, body) == expected
    headers = signed_headers("secret", 1700000000, body, event="message_created", delivery="7-1")
    assert (headers["X-CC-Signature"], headers["X-CC-Timestamp"], headers["X-CC-Delivery"]) == (expected, "1700000000",
                                                                                               "7-1")


@pytest.mark.parametrize(("timestamp", "body", "secret", "now", "ok"), [
    ("1700000000", b"{}", "secret", 1700000000, True),
    ("1700000000", b"{}", "secret", 1700000299, True),
    ("1700000000", b"{}", "secret", 1700000301, False),  # too old: a replay
    ("1700000000", b"{ }", "secret", 1700000000, False),  # the body changed
    ("1700000000", b"{}", "other", 1700000000, False),  # another secret
    ("", b"{}", "secret", 1700000000, False),
    ("17e8", b"{}", "secret", 1700000000, False),
])
def test_verify(timestamp: str, body: bytes, secret: str, now: float, ok: bool) -> None:
    """Verification needs the same secret, the same bytes and a recent timestamp."""
    header = signature("secret", 1700000000, b"{}")
    assert verify(secret, timestamp, body, header, now=now) is ok


@pytest.mark.parametrize(("status", "attempt", "result"), [
    (200, 1, SENT), (204, 5, SENT), (None, 1, RETRY), (500, 1, RETRY), (503, 2, RETRY), (429, 1, RETRY),
    (408, 1, RETRY), (425, 1, RETRY), (400, 1, FAILED), (401, 1, FAILED), (404, 1, FAILED), (410, 1, FAILED),
    (302, 1, FAILED), (503, 5, FAILED), (None, 5, FAILED),
])
def test_outcome(status: int | None, attempt: int, result: str) -> None:
    """2xx is sent; no answer, 408/425/429 and 5xx are retried until the last attempt; other answers are final."""
    assert outcome(status, attempt, max_attempts=5) == result


@pytest.mark.parametrize(("attempt", "jitter", "seconds"), [
    (1, 0.5, 1.0), (2, 0.5, 2.0), (3, 0.5, 4.0), (10, 0.5, 60.0), (1, 0.0, 0.75), (1, 0.999, 1.2495),
])
def test_backoff_doubles_up_to_the_cap(attempt: int, jitter: float, seconds: float) -> None:
    """Backoff doubles from the minimum, is capped, and spreads by ±25 %."""
    assert backoff(attempt, low=1.0, high=60.0, jitter=jitter) == pytest.approx(seconds)


@pytest.mark.parametrize(("ref", "to"), [
    ("api:3:phone:+4915123456789", Recipient(3, "phone", "+4915123456789")),
    ("api:3:messenger:telegram:777", Recipient(3, "messenger", "telegram:777")),
    ("chat:abc", None), ("api:x:phone:+49", None), ("api:3:phone:", None), (None, None),
])
def test_recipient_from_the_conversation_key(ref: str | None, to: Recipient | None) -> None:
    """The reply's bridge and recipient are read from the conversation's key."""
    assert recipient(ref) == to


def test_recipient_payload_and_bridge_ids() -> None:
    """Messenger recipients are sent by their own user id; inbound ids lose the bridge prefix."""
    assert Recipient(3, "messenger", "telegram:777").to_dict() == {"user_id": "777"}
    assert Recipient(3, "phone", "+49301234567").to_dict() == {"phone": "+49301234567"}
    assert (bridge_message_id("3:wamid.1", 3), bridge_message_id("4:x", 3), bridge_message_id(None, 3)) == (
        "wamid.1", None, None)


@pytest.mark.parametrize(("raw", "message"), [
    ({"retry_min_seconds": 0}, "greater than zero"),
    ({"retry_min_seconds": "soon"}, "must be a number"),
    ({"retry_min_seconds": 10, "retry_max_seconds": 5}, "must not exceed"),
    ({"max_body_byte": 10}, "is not a setting"),
])
def test_bad_config_is_refused(raw: dict[str, Any], message: str) -> None:
    """``[api_channel]`` refuses unknown keys and non-positive numbers."""
    with pytest.raises(ConfigError, match=message):
        load_api_config(raw)


@pytest.mark.parametrize(("item", "message"), [
    ({"name": "Bad Name", "token": "t" * 16, "secret": "s" * 16}, r"api_channels\[0\].name"),
    ({"name": "sms", "webhook_url": "file:///x", "token": "t" * 16, "secret": "s" * 16}, "webhook_url"),
    ({"name": "sms", "token": "short", "secret": "s" * 16}, "token"),
    ({"name": "sms", "token": "t" * 16}, "secret"),
])
def test_bad_bridges_are_refused(item: dict[str, Any], message: str) -> None:
    """``[[api_channels]]`` entries need a valid name, URL, and long enough token and secret."""
    with pytest.raises(ConfigError, match=message):
        load_bridges([item])


@pytest.mark.parametrize(("url", "ok"), [("https://b.example/hook", True), ("http://127.0.0.1:8080/x", True),
                                         ("ftp://b.example", False), ("https://", False), ("hook", False)])
def test_webhook_urls(url: str, ok: bool) -> None:
    """Webhook URLs are http(s) with a host."""
    if ok:
        assert check_webhook_url(url) == url
    else:
        with pytest.raises(ValidationError):
            check_webhook_url(url)


def test_the_example_configuration_states_the_defaults() -> None:
    """contact-center.example.toml's [api_channel] loads and equals the built-in defaults."""
    example = Path(__file__).resolve().parents[3] / "contact-center.example.toml"
    settings = Settings.load(example, environ={})
    assert load_api_config(settings.section("api_channel")) == load_api_config({})
    assert settings.array("api_channels") == ()
