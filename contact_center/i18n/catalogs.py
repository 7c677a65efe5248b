"""The server's gettext catalogs, read with Babel and compiled in memory (no build step).

``locales/<lang>/LC_MESSAGES/messages.po`` holds one language; its plural forms come from CLDR
through Babel when the file does not name them. Messages use ``str.format`` placeholders
(``{name}``); a unit test checks every language has every message with the same placeholders.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal
from babel.support import Translations

from contact_center.errors import ConfigError
from contact_center.i18n.negotiate import direction

LOCALES = Path(__file__).with_name("locales")
DOMAIN = "messages"
# The zero of the numbering systems CLDR names as some locales' default (Babel formats with their
# separators but writes Latin digits, so the digits are mapped here).
_ZERO = {"arab": 0x0660, "arabext": 0x06F0, "deva": 0x0966, "beng": 0x09E6, "mymr": 0x1040, "thai": 0x0E50}


def native_digits(text: str, language: str) -> str:
    """*text* with ASCII digits in the language's preferred digits (Persian: ۰۱۲…); others unchanged."""
    zero = _ZERO.get(Locale.parse(language, sep="-").default_numbering_system)
    if zero is None:
        return text
    return text.translate({ord("0") + i: zero + i for i in range(10)})


@dataclass(frozen=True)
class Translator:
    """One language: messages and CLDR formatting."""

    language: str
    translations: Translations

    @property
    def direction(self) -> str:
        """``"rtl"`` or ``"ltr"``: for ``<html dir>`` and mail bodies."""
        return direction(self.language)

    def gettext(self, message: str, /, **params: Any) -> str:
        """*message* (the English source text) in this language, ``{placeholders}`` filled in."""
        return self.translations.gettext(message).format(**params)

    def ngettext(self, singular: str, plural: str, n: int, /, **params: Any) -> str:
        """The form of the message for *n* under this language's CLDR plural rule; ``{n}`` is set."""
        text = self.translations.ngettext(singular, plural, n)
        return text.format(n=self.number(n), **params)

    def number(self, value: int | float | Decimal) -> str:
        """*value* in this language's digits and separators (Persian digits for Persian)."""
        return native_digits(format_decimal(value, locale=self.language, numbering_system="default"), self.language)

    def money(self, amount: int | float | Decimal, currency: str) -> str:
        """An amount in its currency, written this language's way."""
        text = format_currency(amount, currency, locale=self.language, numbering_system="default")
        return native_digits(text, self.language)

    def date(self, value: dt.date) -> str:
        return format_date(value, format="medium", locale=self.language)

    def datetime(self, value: dt.datetime, tz: dt.tzinfo | None = None) -> str:
        return format_datetime(value, format="medium", tzinfo=tz, locale=self.language)


class Catalogs:
    """Every language with a catalog under *root*; ``translator(lang)`` for one of them."""

    def __init__(self, root: Path = LOCALES, *, default: str = "en") -> None:
        self._translators: dict[str, Translator] = {}
        for po in sorted(root.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
            language = po.parent.parent.name
            self._translators[language] = Translator(language, _compile(po, language))
        if default not in self._translators:
            raise ConfigError(f"i18n.default_language {default!r} has no catalog; "
                              f"available: {', '.join(self._translators) or 'none'}")
        self.default = default

    @classmethod
    def from_settings(cls, section: Mapping[str, Any]) -> Catalogs:
        """From ``[i18n]``: ``default_language`` (``"en"`` when unset)."""
        return cls(default=str(section.get("default_language", "en")).lower())

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self._translators)

    def translator(self, language: str | None) -> Translator:
        """The language's translator; the default one for an unknown or missing language."""
        return self._translators.get(language or "", self._translators[self.default])


def _compile(po: Path, language: str) -> Translations:
    with po.open("rb") as f:
        catalog = read_po(f, locale=Locale.parse(language), domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf, domain=DOMAIN)
