"""The server's gettext catalogs: complete, consistent with the code, CLDR plurals and native digits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from contact_center.errors import ConfigError
from contact_center.i18n.catalogs import LOCALES, Catalogs, native_digits

ROOT = Path(__file__).resolve().parents[3]
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _po(lang: str) -> dict[str, str]:
    with (LOCALES / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return {m.id: m.string for m in read_po(f) if m.id and isinstance(m.id, str)}


def _extracted() -> set[str]:
    found: set[str] = set()
    for package in ("contact_center", "connectors", "routing", "agent_ui"):
        for _, _, message, _, _ in extract_from_dir(ROOT / package, method_map=[("**.py", "python")],
                                                    keywords={"gettext": None, "ngettext": (1, 2)}):
            found.update([message] if isinstance(message, str) else message)
    return found


def test_the_catalogs_hold_exactly_the_messages_the_code_uses() -> None:
    """Every gettext()/ngettext() message in the code is in the English catalog, and nothing else is."""
    assert set(_po("en")) == _extracted()


@pytest.mark.parametrize("lang", ["el", "pl", "fa", "fi"])
def test_every_language_translates_every_message_with_the_same_placeholders(lang: str) -> None:
    """No message is missing, empty or left in English, and {placeholders} are the same."""
    english, catalog = _po("en"), _po(lang)
    assert set(catalog) == set(english)
    for msgid, text in catalog.items():
        assert text.strip(), f"{lang}: {msgid!r} is empty"
        assert text != msgid, f"{lang}: {msgid!r} is not translated"
        assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(msgid)), f"{lang}: {msgid!r}"


@pytest.mark.parametrize(("lang", "counts"), [
    ("pl", {1: "1 wiadomość", 2: "2 wiadomości", 4: "4 wiadomości", 5: "5 wiadomości", 12: "12 wiadomości",
            22: "22 wiadomości", 25: "25 wiadomości"}),
    ("fi", {1: "1 viesti", 2: "2 viestiä", 21: "21 viestiä"}),
    ("el", {1: "1 μήνυμα", 3: "3 μηνύματα"}),
])
def test_plural_forms_follow_cldr(tmp_path: Path, lang: str, counts: dict[int, str]) -> None:
    """ngettext picks the form by the language's CLDR plural rule (Polish one/few/many), numbers localised."""
    forms = {"pl": ["{n} wiadomość", "{n} wiadomości", "{n} wiadomości"], "fi": ["{n} viesti", "{n} viestiä"],
             "el": ["{n} μήνυμα", "{n} μηνύματα"]}[lang]
    for code in ("en", lang):
        folder = tmp_path / code / "LC_MESSAGES"
        folder.mkdir(parents=True)
        strs = forms if code == lang else ["{n} message", "{n} messages"]
        body = "".join(f'msgstr[{i}] "{s}"\n' for i, s in enumerate(strs))
        (folder / "messages.po").write_text(
            f'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
            f'msgid "{{n}} message"\nmsgid_plural "{{n}} messages"\n{body}', encoding="utf-8")
    tr = Catalogs(tmp_path).translator(lang)
    assert {n: tr.ngettext("{n} message", "{n} messages", n) for n in counts} == counts


@pytest.mark.parametrize(("lang", "text", "expected"), [
    ("fa", "1,234.5", "\u06f1,\u06f2\u06f3\u06f4.\u06f5"), ("el", "1.234,5", "1.234,5"), ("pl", "12", "12"),
])
def test_digits_follow_the_locale(lang: str, text: str, expected: str) -> None:
    """Persian gets Persian digits (its CLDR default numbering); Latin-digit languages are unchanged."""
    assert native_digits(text, lang) == expected


def test_money_and_numbers_are_written_each_languages_way() -> None:
    """Money keeps the data's currency and follows the language's separators and digits."""
    catalogs = Catalogs()
    assert catalogs.translator("fi").money(1234.5, "EUR") == "1\xa0234,50\xa0€"
    # Persian digits with the Arabic thousands separator
    assert catalogs.translator("fa").number(1234) == "\u06f1\u066c\u06f2\u06f3\u06f4"
    assert catalogs.translator("en").money(1234.5, "USD") == "$1,234.50"


def test_an_unknown_language_falls_back_to_the_default_and_a_bad_default_is_refused() -> None:
    """translator() of an unknown language is the default's; a default without a catalog is a ConfigError."""
    assert Catalogs(default="el").translator("de").language == "el"
    with pytest.raises(ConfigError):
        Catalogs(default="de")
