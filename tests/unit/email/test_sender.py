"""The sender of a mail comes from the address as sent, never from a decoded display name (pure)."""

from __future__ import annotations

import pytest

from connectors.email.sender import Sender, addresses, authentication_results, failed_checks, parse_sender


@pytest.mark.parametrize(
    ("raw", "sender"),
    [
        ("Ann Example <ann@example.org>", Sender("ann@example.org", "Ann Example")),
        ("ANN@Example.ORG", Sender("ann@example.org", None)),
        ('"Example, Ann" <ann@example.org>', Sender("ann@example.org", "Example, Ann")),
        ("=?utf-8?q?Zo=C3=AB?= <zoe@example.pl>", Sender("zoe@example.pl", "Zoë")),
        # issue 15, item 1: an encoded display name holding a customer's address is only a name
        ("=?utf-8?q?Ann_=3Cann=40customer.example=3E?= <attacker@evil.example>",
         Sender("attacker@evil.example", "Ann <ann@customer.example>", claimed="ann@customer.example")),
        ('"ann@customer.example" <attacker@evil.example>',
         Sender("attacker@evil.example", "ann@customer.example", claimed="ann@customer.example")),
        # an encoded-word where the address should be is no address at all
        ("=?utf-8?q?ann=40customer.example?=", Sender(None, None)),
        ("=?utf-8?b?YW5uQGN1c3RvbWVyLmV4YW1wbGU=?=", Sender(None, None)),
        # the real address in the name is no claim
        ('"ann@example.org" <ANN@example.org>', Sender("ann@example.org", "ann@example.org")),
        ("", Sender(None, None)),
        ("undisclosed-recipients:;", Sender(None, None)),
    ],
)
def test_parse_sender(raw: str, sender: Sender) -> None:
    """Address from the field as sent (lower-case), name decoded, a different address in the name flagged."""
    assert parse_sender(raw) == sender


def test_raw_8bit_display_name_is_read_as_utf8_or_the_fallback() -> None:
    """A raw 8-bit name (surrogate-escaped by the parser) is UTF-8 when valid, else the given charset."""
    utf8 = "Łucja <l@example.pl>".encode().decode("ascii", "surrogateescape")
    legacy = "Łucja <l@example.pl>".encode("windows-1250").decode("ascii", "surrogateescape")
    assert parse_sender(utf8).name == "Łucja"
    assert parse_sender(legacy, ("windows-1250",)).name == "Łucja"


def test_addresses_are_read_before_decoding() -> None:
    """To/Cc addresses come from the field as sent: an encoded-word cannot add a recipient."""
    raw = "=?utf-8?q?x=40evil.example?= <support@example.test>, Bob <BOB@example.org>"
    assert addresses(raw) == ("support@example.test", "bob@example.org")


@pytest.mark.parametrize(
    ("values", "trusted", "verdicts"),
    [
        # RFC 8601 section 7 examples, shortened
        (["example.com; spf=pass smtp.mailfrom=example.net"], None, {"spf": "pass"}),
        (["mx.example.org; dkim=fail header.d=a.example; dkim=pass (good) header.d=b.example; "
          "spf=softfail smtp.mailfrom=x; dmarc=fail (p=reject) header.from=customer.example"],
         None, {"dkim": "pass", "spf": "softfail", "dmarc": "fail"}),
        (["mx.example.org 1; none"], None, {}),
        # only the trusted server's header counts; a forged one further down is ignored
        (["mx.example.org; spf=fail smtp.mailfrom=x; dmarc=fail",
          "forged.example; spf=pass; dkim=pass; dmarc=pass"], "mx.example.org", {"spf": "fail", "dmarc": "fail"}),
        (["forged.example; dmarc=pass", "mx.example.org; dmarc=fail"], "MX.example.org", {"dmarc": "fail"}),
        (["forged.example; dmarc=pass"], "mx.example.org", {}),
        ([], None, {}),
    ],
)
def test_authentication_results(values: list[str], trusted: str | None, verdicts: dict[str, str]) -> None:
    """SPF/DKIM/DMARC verdicts are read from the receiving server's Authentication-Results only."""
    assert authentication_results(values, trusted) == verdicts


def test_failed_checks() -> None:
    """Fail, softfail and permerror count as failed; none, neutral and pass do not."""
    assert failed_checks({"spf": "softfail", "dkim": "none", "dmarc": "fail"}) == ("spf", "dmarc")
    assert failed_checks({"spf": "pass", "dkim": "neutral"}) == ()
