"""Choosing a language (pure): the user's preference, else ``Accept-Language``, else the default."""

from __future__ import annotations

from collections.abc import Sequence

from babel import Locale, UnknownLocaleError


def parse_accept_language(header: str | None) -> list[str]:
    """The language tags of an ``Accept-Language`` header, best first (``q=0`` dropped).

    Malformed parts are skipped rather than refused: the header comes from any browser.
    """
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip()
        if not tag or tag == "*" or len(tag) > 35:
            continue
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if 0.0 < q <= 1.0:
            weighted.append((-q, position, tag))
    return [tag for _, _, tag in sorted(weighted)]


def match(tag: str | None, available: Sequence[str]) -> str | None:
    """The available language *tag* names (``"fi-FI"`` -> ``"fi"``, ``"EL"`` -> ``"el"``), else None."""
    if not tag:
        return None
    wanted = tag.strip().replace("_", "-").lower()
    offered = {lang.lower(): lang for lang in available}
    if wanted in offered:
        return offered[wanted]
    try:
        language = Locale.parse(wanted, sep="-").language
    except (ValueError, UnknownLocaleError):
        language = wanted.split("-")[0]
    return offered.get(language)


def negotiate(*, preference: str | None, accept_language: str | None, available: Sequence[str], default: str) -> str:
    """The language to speak: the stored *preference*, else the browser's best match, else *default*.

    Args:
        preference: the user's stored choice (``None`` when they never chose).
        accept_language: the request's ``Accept-Language`` header.
        available: the languages with catalogs.
        default: the installation's default language (one of *available*).
    """
    for tag in [preference, *parse_accept_language(accept_language)]:
        found = match(tag, available)
        if found:
            return found
    return default


def direction(language: str) -> str:
    """``"rtl"`` for right-to-left scripts (Persian, Arabic, Hebrew …), else ``"ltr"`` (from CLDR)."""
    try:
        order = Locale.parse(language, sep="-").character_order
    except (ValueError, UnknownLocaleError):
        return "ltr"
    return "rtl" if order == "right-to-left" else "ltr"
