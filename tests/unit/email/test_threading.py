"""Email threading helpers, as tables."""

from __future__ import annotations

import pytest

from connectors.email.threading import (
    find_token,
    message_ids,
    normalise_message_id,
    references_header,
    reply_subject,
    reply_targets,
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
