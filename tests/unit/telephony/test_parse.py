"""Parsing generic CTI bodies (JSON and form shapes), digests and PBX replies (pure)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

import pytest

from connectors.telephony.parse import CtiEvent, digest, is_blocked, parse_cti
from connectors.telephony.replies import director_reply
from contact_center.errors import ValidationError

NEW = {"event": "newCall", "from": "493023125741", "to": "492214710334", "direction": "in", "callId": "c1"}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (NEW, CtiEvent(event="newCall", call_id="c1", direction="in", from_raw="493023125741",
                       to_raw="492214710334")),
        ({**NEW, "user": ["Christopher Miller", "Emma Taylor"], "queue": "support"},
         CtiEvent(event="newCall", call_id="c1", direction="in", from_raw="493023125741", to_raw="492214710334",
                  users=("Christopher Miller", "Emma Taylor"), queue="support")),
        ({**NEW, "user": "Christopher Miller"},
         CtiEvent(event="newCall", call_id="c1", direction="in", from_raw="493023125741", to_raw="492214710334",
                  users=("Christopher Miller",))),
        ({**NEW, "from": "anonymous", "origCallId": "c0", "diversion": "4930999"},
         CtiEvent(event="newCall", call_id="c1", direction="in", from_raw="anonymous", to_raw="492214710334",
                  orig_call_id="c0", diversion="4930999")),
        ({"event": "answer", "callId": "c1", "user": "Emma Taylor", "answeringNumber": "emma@chrispresso.com"},
         CtiEvent(event="answer", call_id="c1", users=("Emma Taylor",), answering_number="emma@chrispresso.com")),
        ({"event": "answer", "call_id": "c1", "answering_number": "201"},
         CtiEvent(event="answer", call_id="c1", answering_number="201")),
        ({"event": "hangup", "callId": "c1", "cause": "cancel", "direction": "out"},
         CtiEvent(event="hangup", call_id="c1", cause="cancel", direction="out")),
        ({"event": "dtmf", "callId": "c1", "dtmf": "2#"}, CtiEvent(event="dtmf", call_id="c1", dtmf="2#")),
        ({"event": "newCall", "callId": 42, "from": "1234567", "to": "7654321", "direction": "in"},
         CtiEvent(event="newCall", call_id="42", direction="in", from_raw="1234567", to_raw="7654321")),
    ],
)
def test_parse_valid(body: dict[str, Any], expected: CtiEvent) -> None:
    """Documented JSON shapes and common spellings parse to the same event."""
    assert parse_cti(body) == expected


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "event"),
        ({"event": "ringing", "callId": "c1"}, "event"),
        ({"event": "newCall", "from": "1", "to": "2", "direction": "in"}, "callId"),
        ({**NEW, "direction": "sideways"}, "direction"),
        ({k: v for k, v in NEW.items() if k != "from"}, "from"),
        ({k: v for k, v in NEW.items() if k != "direction"}, "direction"),
        ({"event": "dtmf", "callId": "c1", "dtmf": "12; DROP"}, "dtmf"),
        ({**NEW, "to": {"nested": 1}}, "to"),
        ({**NEW, "user": [{"name": "a"}]}, "user"),
        ({**NEW, "callId": "x" * 251}, "callId"),
        ({**NEW, "from": "4" * 101}, "from"),
        ({"event": "hangup", "callId": "c1", "cause": "c" * 101}, "cause"),
        ({**NEW, "userId": [{"id": 1}]}, "userId"),
        ({"event": "answer", "callId": "c1", "direction": "up"}, "direction"),
    ],
)
def test_parse_invalid_names_the_field(body: dict[str, Any], field: str) -> None:
    """Unknown events, bad directions and missing or malformed fields name the field."""
    with pytest.raises(ValidationError) as err:
        parse_cti(body)
    assert err.value.field == field


def test_form_and_json_of_one_event_have_one_digest() -> None:
    """A form post (user[] list, callId text) and its JSON twin are recognised as the same event."""
    form = {**NEW, "user": ["Emma Taylor"]}
    json_doc = {**NEW, "user": "Emma Taylor"}
    assert digest("pbx", parse_cti(form)) == digest("pbx", parse_cti(json_doc))
    assert digest("pbx", parse_cti(form)) != digest("other", parse_cti(form))
    assert digest("pbx", parse_cti(NEW)) != digest("pbx", parse_cti({**NEW, "callId": "c2"}))


@pytest.mark.parametrize(
    ("body", "number", "blocked", "expected"),
    [
        (NEW, "+493023125741", frozenset({"+493023125741"}), True),
        (NEW, "+493023125741", frozenset(), False),
        ({**NEW, "from": "anonymous"}, None, frozenset({"anonymous"}), True),
        ({**NEW, "direction": "out"}, "+492214710334", frozenset({"+493023125741", "+492214710334"}), False),
        ({"event": "hangup", "callId": "c1", "cause": "busy", "direction": "in", "from": "493023125741"},
         "+493023125741", frozenset({"+493023125741"}), False),
    ],
)
def test_is_blocked(body: dict[str, Any], number: str | None, blocked: frozenset[str], expected: bool) -> None:
    """Only inbound newCall events from a blocked number are rejected."""
    assert is_blocked(parse_cti(body), number, blocked) is expected


@pytest.mark.parametrize(
    ("decision", "reply"),
    [
        (None, {}),
        ({}, {}),
        ({"action": "dial", "number": "+4930123"}, {"action": "dial", "number": "+4930123"}),
        ({"action": "dial", "number": "+4930123", "callerId": "+4930999"},
         {"action": "dial", "number": "+4930123", "caller_id": "+4930999", "callerId": "+4930999"}),
        ({"action": "dial", "number": "+4930123", "caller_id": "+4930999"},
         {"action": "dial", "number": "+4930123", "caller_id": "+4930999", "callerId": "+4930999"}),
        ({"action": "dial"}, {}),
        ({"action": "reject"}, {"action": "reject", "reason": "busy"}),
        ({"action": "reject", "reason": "closed"}, {"action": "reject", "reason": "closed"}),
        ({"action": "fax"}, {}),
    ],
)
def test_director_reply(decision: dict[str, Any] | None, reply: dict[str, Any]) -> None:
    """Director decisions become Zammad-style replies; caller ids are read in either spelling."""
    assert director_reply(decision) == reply


@pytest.mark.parametrize("text", [
    "+49 30 1111111", "Ann Müller", "日本の内線", "emoji 🎉 queue", "tab\there", "quote \" and \\ backslash",
    "line\u2028separator", "\x7f delete", "slash / kept",
])
def test_digest_is_sha256_of_the_compact_sorted_json_stored_before(text: str) -> None:
    """The digest stays the SHA-256 of json.dumps(sort_keys, compact, ensure_ascii=False): stored fingerprints hold."""
    event = CtiEvent(event="newCall", call_id=text, direction="in", from_raw=text, to_raw="+4930", users=(text, "b"),
                     queue=text)
    values = {f.name: getattr(event, f.name) for f in dataclasses.fields(CtiEvent)
              if f.name not in ("user_ids", "voicemail")}  # fields added later count only when set
    doc = json.dumps(["pbx", values], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert digest("pbx", event) == hashlib.sha256(doc.encode()).hexdigest()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # Zammad stores an empty cause and answers 200 (Cti::Log.process: comment = params['cause']).
        ({"event": "hangup", "callId": "c1"}, CtiEvent(event="hangup", call_id="c1")),
        ({"event": "hangup", "callId": "c1", "cause": ""}, CtiEvent(event="hangup", call_id="c1")),
        # sipgate.io README, DTMF: "If no input is received, the value of dtmf will be empty."
        ({"event": "dtmf", "callId": "c1", "dtmf": ""}, CtiEvent(event="dtmf", call_id="c1")),
        # Zammad's cti_logs.call_id is a string(250).
        ({"event": "answer", "callId": "x" * 250}, CtiEvent(event="answer", call_id="x" * 250)),
        # sipgate.io README, New call: user[], userId[] and fullUserId[] (parsed by read_body into lists).
        ({**NEW, "user": ["Alice", "Bob"], "userId": ["w0", "w1"], "fullUserId": ["1234567w0", "1234567w1"]},
         CtiEvent(event="newCall", call_id="c1", direction="in", from_raw="493023125741", to_raw="492214710334",
                  users=("Alice", "Bob"), user_ids=("w0", "w1", "1234567w0", "1234567w1"))),
        ({**NEW, "userId[]": "w0"}, CtiEvent(event="newCall", call_id="c1", direction="in", from_raw="493023125741",
                                             to_raw="492214710334", user_ids=("w0",))),
    ],
)
def test_zammad_tolerance(body: dict[str, Any], expected: CtiEvent) -> None:
    """What Zammad and sipgate.io accept parses: no cause, empty dtmf, 250-character call ids, user ids."""
    assert parse_cti(body) == expected


@pytest.mark.parametrize(
    ("body", "names", "voicemail"),
    [
        ({"event": "answer", "callId": "c1", "user": "voicemail"}, frozenset({"voicemail"}), True),
        ({"event": "answer", "callId": "c1", "user": "Voicemail"}, frozenset({"voicemail"}), True),
        ({"event": "answer", "callId": "c1", "user": ["Mailbox"]}, frozenset({"voicemail", "mailbox"}), True),
        ({"event": "answer", "callId": "c1", "answeringNumber": "*55"}, frozenset({"voicemail", "*55"}), True),
        ({"event": "answer", "callId": "c1", "user": "Emma Taylor"}, frozenset({"voicemail"}), False),
        ({"event": "answer", "callId": "c1", "user": "voicemail", "answeringNumber": "201"},
         frozenset({"voicemail"}), True),
        ({"event": "hangup", "callId": "c1", "user": "voicemail"}, frozenset({"voicemail"}), False),
        ({"event": "answer", "callId": "c1"}, frozenset({"voicemail"}), False),
    ],
)
def test_voicemail_answers_are_flagged(body: dict[str, Any], names: frozenset[str], voicemail: bool) -> None:
    """An answer by user=voicemail (Zammad's rule) or a configured voicemail name or number is flagged."""
    assert parse_cti(body, voicemail_names=names).voicemail is voicemail


def test_voicemail_flag_and_user_ids_leave_older_digests_unchanged() -> None:
    """The derived voicemail flag never changes a digest; user ids count only when a PBX sends them."""
    answer = {"event": "answer", "callId": "c1", "user": "voicemail"}
    assert digest("p", parse_cti(answer)) == digest("p", parse_cti(answer, voicemail_names=frozenset()))
    assert digest("p", parse_cti(NEW)) != digest("p", parse_cti({**NEW, "userId": "w0"}))
