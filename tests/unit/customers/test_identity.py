"""Identity normalisation and candidate ranking (pure)."""

from __future__ import annotations

import datetime as dt

import pytest

from contact_center.channels import CHANNELS, Identification, Presentation
from contact_center.customers.identity import (
    Candidate,
    Who,
    match,
    normalise,
    normalise_email,
    normalise_phone,
    rank,
    who,
)


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+49 30 1234567", "DE", "+49301234567"),
        ("0049 30 1234567", "DE", "+49301234567"),
        ("0049 30 1234567", "US", "+49301234567"),
        ("030 1234567", "DE", "+49301234567"),
        ("030-123 45 67", "DE", "+49301234567"),
        ("(030) 123.45.67", "DE", "+49301234567"),
        ("493055571600", "DE", "+493055571600"),
        ("493055571600", "US", "+493055571600"),
        ("02214710334", "DE", "+492214710334"),
        ("0171-1234567", "DE", "+491711234567"),
        ("2125551234", "US", "+12125551234"),
        ("+1 (212) 555-1234", "DE", "+12125551234"),
        ("020 7946 0018", "GB", "+442079460018"),
        ("anonymous", "DE", None),
        ("Anonymous", "DE", None),
        ("", "DE", None),
        (None, "DE", None),
        ("201", "DE", None),
        ("sip:alice@pbx.local", "DE", None),
        ("12ab34567", "DE", None),
    ],
)
def test_normalise_phone(raw: str | None, region: str, expected: str | None) -> None:
    """Every shape a PBX sends becomes E.164 under the configured default region, or None."""
    assert normalise_phone(raw, region) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ann@Example.ORG", "ann@example.org"),
        ("  ann@example.org ", "ann@example.org"),
        ("Ann Smith <Ann.Smith@Example.org>", "ann.smith@example.org"),
        ("not an address", None),
        ("ann@localhost", None),
        ("", None),
        (None, None),
    ],
)
def test_normalise_email(raw: str | None, expected: str | None) -> None:
    """Emails are lower-cased addresses; display names are stripped; junk gives None."""
    assert normalise_email(raw) == expected


def test_normalise_rejects_unknown_kind() -> None:
    """An identity kind outside phone/email/chat is a programming error."""
    with pytest.raises(ValueError, match="unknown identity kind"):
        normalise("fax", "123", "DE")


T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("candidates", "expected_order"),
    [
        ([], []),
        ([Candidate(1, "A")], [1]),
        ([Candidate(1, "A", last_contact_at=T0), Candidate(2, "B", last_contact_at=T0 + dt.timedelta(days=1))],
         [2, 1]),
        ([Candidate(1, "A", contacts=1), Candidate(2, "B", contacts=5)], [2, 1]),
        ([Candidate(3, "C"), Candidate(2, "B")], [2, 3]),
        ([Candidate(1, "A", last_contact_at=T0, contacts=1), Candidate(2, "B", contacts=9)], [1, 2]),
        ([Candidate(1, "A", label="home"), Candidate(1, "A", label="work", contacts=2)], [1]),
        ([Candidate(1, "A"), Candidate(2, "B", label="unverified", last_contact_at=T0, contacts=9)], [1, 2]),
        ([Candidate(1, "A", label="unverified"), Candidate(2, "B", label="unverified", contacts=1)], [2, 1]),
    ],
)
def test_rank(candidates: list[Candidate], expected_order: list[int]) -> None:
    """An identity on record before a merely typed (unverified) one, then the most recent contact, then
    the most contacts, then the oldest record; one row per customer."""
    assert [c.customer_id for c in rank(candidates)] == expected_order


@pytest.mark.parametrize(
    ("value", "candidates", "customer_id", "unknown", "ambiguous"),
    [
        ("+49301234567", [], None, True, False),
        ("+49301234567", [Candidate(7, "A")], 7, False, False),
        ("+49301234567", [Candidate(7, "A"), Candidate(8, "B")], None, False, True),
        (None, [Candidate(7, "A")], None, True, False),
    ],
)
def test_match(value: str | None, candidates: list[Candidate], customer_id: int | None, unknown: bool,
               ambiguous: bool) -> None:
    """One customer matches, several are ambiguous candidates, none is unknown."""
    result = match(value, candidates)
    assert (result.customer_id, result.unknown, result.ambiguous) == (customer_id, unknown, ambiguous)


PHONE = ("phone", "+49301234567")
RECORD, ASK = Identification.RECORD, Identification.ASK


@pytest.mark.parametrize(
    ("identity", "owners", "how", "expected"),
    [
        (PHONE, {PHONE: (7,)}, RECORD, Who(customer_id=7, candidates=(7,))),
        (PHONE, {PHONE: (7,)}, ASK, Who(customer_id=7, candidates=(7,))),
        (PHONE, {PHONE: (8, 7)}, RECORD, Who(customer_id=8, candidates=(8, 7))),
        (PHONE, {PHONE: (8, 7)}, ASK, Who(candidates=(8, 7))),
        (PHONE, {}, RECORD, Who(new_customer=PHONE)),
        (PHONE, {}, ASK, Who()),
        (PHONE, {("email", "+49301234567"): (7,)}, RECORD, Who(new_customer=PHONE)),
        (None, {PHONE: (7,)}, RECORD, Who()),
        (None, {}, ASK, Who()),
    ],
    ids=["one-record", "one-ask", "shared-record", "shared-ask", "unknown-record", "unknown-ask",
         "other-kind", "none-record", "none-ask"],
)
def test_who(identity: tuple[str, str] | None, owners: dict[tuple[str, str], tuple[int, ...]],
             how: Identification, expected: Who) -> None:
    """One owner is the customer; a shared identity names the best-ranked on a written channel and nobody
    on a call; an unknown one becomes a new customer on a written channel and stays unknown on a call."""
    assert who(identity, owners, how) == expected


def test_phone_calls_ask_the_agent_and_written_channels_record() -> None:
    """The registry: calls and callbacks leave unknown and shared numbers to the agent; every written
    channel (mail, messaging) records."""
    assert {c.name: c.identification for c in CHANNELS if c.name in ("call", "callback", "email", "chat", "api")} == {
        "call": ASK, "callback": ASK, "email": RECORD, "chat": RECORD, "api": RECORD}
    written = (Presentation.MAIL, Presentation.MESSAGING)
    assert all(c.identification is RECORD for c in CHANNELS if c.presentation in written)
