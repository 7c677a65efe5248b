"""Choosing the language: Accept-Language parsing and the preference > browser > default order (pure)."""

from __future__ import annotations

import pytest

from contact_center.i18n.negotiate import direction, match, negotiate, parse_accept_language

OFFERED = ("el", "en", "fa", "fi", "pl")


@pytest.mark.parametrize(("header", "tags"), [
    ("el-GR,el;q=0.9,en;q=0.8", ["el-GR", "el", "en"]),
    ("en;q=0.2, fi;q=0.9, pl", ["pl", "fi", "en"]),
    ("de, *;q=0.5", ["de"]),
    ("fa;q=0, pl;q=0.5", ["pl"]),
    ("fi;q=abc, el", ["el"]),
    ("", []),
    (None, []),
    (" , ;q=1, " + "x" * 40, []),
])
def test_accept_language_is_read_best_first(header: str | None, tags: list[str]) -> None:
    """Tags come out by quality (ties keep their order); q=0, '*', junk and malformed weights are dropped."""
    assert parse_accept_language(header) == tags


@pytest.mark.parametrize(("tag", "found"), [
    ("fi-FI", "fi"), ("EL", "el"), ("fa_IR", "fa"), ("pl", "pl"), ("de-DE", None), ("", None), (None, None),
    ("zz-not-a-tag", None),
])
def test_a_tag_matches_by_language(tag: str | None, found: str | None) -> None:
    """Region and case do not matter; unknown languages match nothing."""
    assert match(tag, OFFERED) == found


@pytest.mark.parametrize(("preference", "header", "default", "chosen"), [
    ("fa", "el", "en", "fa"),          # the user's stored choice wins
    (None, "de, pl;q=0.7", "en", "pl"),  # else the browser's best offered language
    (None, "de, ja", "fi", "fi"),       # else the installation's default
    ("xx", "el", "en", "el"),          # a stored language no longer offered is skipped
    (None, None, "el", "el"),
])
def test_preference_then_browser_then_default(preference: str | None, header: str | None, default: str,
                                              chosen: str) -> None:
    """negotiate() applies the user's preference, then Accept-Language, then the default."""
    assert negotiate(preference=preference, accept_language=header, available=OFFERED, default=default) == chosen


@pytest.mark.parametrize(("language", "expected"), [("fa", "rtl"), ("ar", "rtl"), ("he", "rtl"), ("el", "ltr"),
                                                    ("pl", "ltr"), ("fi", "ltr"), ("zz", "ltr")])
def test_direction_comes_from_cldr(language: str, expected: str) -> None:
    """Right-to-left scripts are known from CLDR's character order."""
    assert direction(language) == expected
