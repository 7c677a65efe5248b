"""Email threading helpers, as tables."""

from __future__ import annotations

import base64

import pytest

from connectors.email.threading import (
    find_token,
    is_reply_subject,
    message_ids,
    normalise_message_id,
    references_header,
    reply_subject,
    reply_targets,
    subject_key,
    thread_index_key,
)


@pytest.mark.parametrize(("raw", "expected"), [
    ("<abc@example.org>", "<abc@example.org>"),
    ("  <abc@example.org> (comment)", "<abc@example.org>"),
    ("abc@example.org", "<abc@example.org>"),
    ("", None),
    (None, None),
    ("not an id", None),
])
def test_normalise_message_id(raw: str | None, expected: str | None) -> None:
    """The bracketed id is extracted; bare ids get brackets; junk gives None."""
    assert normalise_message_id(raw) == expected


def test_reply_targets_put_in_reply_to_first_then_newest_reference() -> None:
    """In-Reply-To first, then References from newest to oldest, without repeats."""
    assert reply_targets("<c@x>", "<a@x> <b@x>\r\n <c@x>") == ("<c@x>", "<b@x>", "<a@x>")
    assert message_ids("<a@x><a@x> junk <b@x>") == ["<a@x>", "<b@x>"]


@pytest.mark.parametrize(("subject", "expected"), [
    ("Re: Invoice [#42-k7x2mq3p]", (42, "k7x2mq3p")),
    ("AW: AW: [#7-abcdefgh] Hallo [#42-k7x2mq3p]", (42, "k7x2mq3p")),
    ("Re: [#42-K7X2MQ3P]", None),  # keys are lower case: rewritten tokens do not match
    ("Re: [#42]", None),
    ("", None),
    (None, None),
])
def test_find_token(subject: str | None, expected: tuple[int, str] | None) -> None:
    """The last well-formed token in the subject names the conversation."""
    assert find_token(subject) == expected


@pytest.mark.parametrize(("subject", "expected"), [
    ("Invoice wrong", "Re: Invoice wrong [#5-abcdefgh]"),
    ("Re: AW: Invoice wrong [#5-abcdefgh]", "Re: Invoice wrong [#5-abcdefgh]"),
    ("ΑΠ: Παραγγελία", "Re: Παραγγελία [#5-abcdefgh]"),
    ("Odp: zamówienie", "Re: zamówienie [#5-abcdefgh]"),
    ("", "Re: [#5-abcdefgh]"),
    (None, "Re: [#5-abcdefgh]"),
])
def test_reply_subject_has_one_re_and_one_token(subject: str | None, expected: str) -> None:
    """Reply prefixes in several languages collapse to one Re:, the token is appended once."""
    assert reply_subject(subject, 5, "abcdefgh") == expected


def test_references_keep_the_first_and_the_newest() -> None:
    """Long threads are trimmed to the first id and the 19 newest (RFC 5322 advice)."""
    ids = [f"<{i}@x>" for i in range(30)]
    trimmed = references_header(ids).split()
    assert len(trimmed) == 20
    assert trimmed[0] == "<0@x>"
    assert trimmed[-1] == "<29@x>"
    assert references_header(["<a@x>", "", "<a@x>", "<b@x>"]) == "<a@x> <b@x>"


@pytest.mark.parametrize(
    ("subject", "key", "reply"),
    [
        ("Invoice 42", "invoice 42", False),
        ("Re: Invoice 42", "invoice 42", True),
        ("RE: RE: Invoice  42", "invoice 42", True),
        ("AW: Invoice 42", "invoice 42", True),  # German
        ("VS: Invoice 42", "invoice 42", True),  # Finnish
        ("Odp: Invoice 42", "invoice 42", True),  # Polish
        ("SV: Invoice 42", "invoice 42", True),  # Swedish, Norwegian, Danish
        ("Απ: Invoice 42", "invoice 42", True),  # Greek
        ("ΑΠ: Invoice 42", "invoice 42", True),
        ("Re[2]: Invoice 42", "invoice 42", True),  # Outlook's counter
        ("Re: AW: Invoice 42 [#42-k7x2mq3p]", "invoice 42", True),
        ("Fwd: Invoice 42", "fwd: invoice 42", False),  # a forward is a new matter
        ("Re:", None, True),
        ("", None, False),
    ],
)
def test_subject_key_and_reply_prefixes(subject: str, key: str | None, reply: bool) -> None:
    """Localised reply prefixes and our token are stripped for the subject rule; only replies may use it."""
    assert subject_key(subject) == key
    assert is_reply_subject(subject) is reply


def test_thread_index_key_is_the_shared_head() -> None:
    """Every message of an Outlook thread carries the same 22-byte head in Thread-Index; replies add 5 bytes."""
    head = bytes(range(22))
    first = base64.b64encode(head).decode()
    reply = base64.b64encode(head + b"\x00\x01\x02\x03\x04").decode()
    assert thread_index_key(first) == thread_index_key(reply) == head.hex()
    assert thread_index_key(f" {reply[:20]}\r\n {reply[20:]}") == head.hex()  # folded
    assert thread_index_key("not base64!") is None
    assert thread_index_key(base64.b64encode(b"short").decode()) is None
    assert thread_index_key(None) is None
