"""The Origin decision: which origins a request may claim, and how URLs reduce to origins."""

from __future__ import annotations

import pytest

from contact_center.http.origin import allowed_origins, origin_allowed, origin_of


@pytest.mark.parametrize(("url", "origin"), [
    ("https://Desk.Example.com/desk?x=1", "https://desk.example.com"),
    ("https://desk.example.com:443/", "https://desk.example.com"),
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    ("http://[::1]:8080/x", "http://[::1]:8080"),
    ("javascript:alert(1)", None),
    ("null", None),
    ("", None),
])
def test_origin_of(url: str, origin: str | None) -> None:
    """Scheme, host and a non-default port make the origin; anything else is no origin."""
    assert origin_of(url) == origin


ALLOWED = allowed_origins("https://cc.example.com/", ["https://desk.example.com", "not a url"])


@pytest.mark.parametrize(("claimed", "own", "ok"), [
    ("https://cc.example.com", None, True),
    ("https://desk.example.com", None, True),
    ("https://chat.cc.example.com", None, False),  # same site, other origin
    ("http://cc.example.com", None, False),  # other scheme
    ("http://10.0.0.5:8080", "http://10.0.0.5:8080", True),  # same-origin with the request
    ("null", None, False),
    (None, "http://10.0.0.5:8080", False),  # no origin named at all
])
def test_origin_allowed(claimed: str | None, own: str | None, ok: bool) -> None:
    """Only the public URL's origin, configured ones and the request's own origin may act."""
    assert origin_allowed(claimed=claimed, allowed=ALLOWED, own=own) is ok


def test_allowed_origins_skips_what_is_not_an_origin() -> None:
    """Configured values that are not URLs are ignored rather than matched."""
    assert frozenset({"https://cc.example.com", "https://desk.example.com"}) == ALLOWED
