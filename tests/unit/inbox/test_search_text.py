"""The inbox search's folding and query tokens (pure)."""

from __future__ import annotations

import pytest

from contact_center.inbox.search_text import (
    address_text,
    customer_text,
    fold,
    fts5_query,
    looks_like_phone,
    phone_tokens,
    query_tokens,
    tsquery,
)


@pytest.mark.parametrize(("text", "folded"), [
    ("Zielińska", "zielinska"),
    ("ZIELIŃSKA", "zielinska"),
    ("Łódź  Straße", "lodz strasse"),
    ("Søren Ærø", "soren aero"),
    ("Παπαδόπουλος", "papadopoulos"),
    ("Ευάγγελος Θεοδωράκης", "evangelos theodorakis"),
    ("Иван Петров", "ivan petrov"),
    ("anna.k@Example.com", "anna k example com"),
    ("C00001472", "c00001472"),
    ("under_score--and...dots", "under score and dots"),
    ("", ""),
    (None, ""),
])
def test_fold(text: str | None, folded: str) -> None:
    """Accents, case, Greek/Cyrillic script and punctuation all fold to plain Latin tokens."""
    assert fold(text) == folded


@pytest.mark.parametrize(("query", "tokens"), [
    ("+48 601-234-567", ["48601234567"]),
    ("0048 601 234 567", ["48601234567"]),
    ("030 1234567", ["49301234567"]),
    ("601 234", ["601234"]),
    ("0601", ["0601"]),
    ("Zielinska anna", ["zielinska", "anna"]),
    ("  ", []),
    ("a b c d e f g h i j", ["a", "b", "c", "d", "e", "f", "g", "h"]),
])
def test_query_tokens(query: str, tokens: list[str]) -> None:
    """Phone-like queries become one digits token (E.164 when complete); words fold; at most eight."""
    assert query_tokens(query, "DE") == tokens


@pytest.mark.parametrize(("query", "phone"), [
    ("+48 601", True), ("(030) 12-34", True), ("1234", False), ("C00001472", False), ("601 abc 234", False),
])
def test_looks_like_phone(query: str, phone: bool) -> None:
    """Only digits and phone separators, five digits or more, read as a phone number."""
    assert looks_like_phone(query) is phone


def test_stored_texts() -> None:
    """Stored phones carry the E.164 digits and the national number; customers their name, company, number."""
    assert phone_tokens("+48601234567") == "48601234567 601234567"
    assert phone_tokens("anna@example.org") == ""
    assert address_text("+4930123456") == "4930123456 30123456 4930123456"
    assert customer_text("Anna Zielińska", "Młyn", "C1") == "anna zielinska mlyn c1"


def test_query_expressions() -> None:
    """Both engines get every token as a prefix, all required."""
    assert fts5_query(["zieli", "48601"]) == '"zieli"* AND "48601"*'
    assert tsquery(["zieli", "48601"]) == "'zieli':* & '48601':*"
