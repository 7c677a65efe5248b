# ruff: noqa: RUF001  (the transliteration tables hold Greek and Cyrillic letters on purpose)
"""Pure text normalisation for the inbox search: what is stored, and what a query looks for.

The store keeps one normalised text per searchable thing (a customer's name, company and number;
an identity; a conversation's subject and address; a message's text). Both sides go through
:func:`fold`: accents removed, case folded, Greek and Cyrillic transliterated to Latin, every
run of characters that is not a letter or digit turned into one space. "Zielińska", "ZIELINSKA"
and "zielinska" then share the token ``zielinska``; "Παπαδόπουλος" and "Papadopoulos" share
``papadopoulos``. A query matches an entry when every query token is a prefix of a token of the
entry, which SQLite's FTS5 (``"tok"*``) and PostgreSQL's full text search (``tok:*`` on the
``simple`` configuration) answer identically over the same folded text.

Phone numbers are stored as the E.164 digits and the national significant number, so a query in
any format ("+48 601-234-567", "0601 234 567", "601234567", "0048601234567") finds them.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers

# Letters NFKD does not decompose into a base letter and a mark.
_SPECIAL = str.maketrans({
    "ł": "l", "Ł": "l", "đ": "d", "Đ": "d", "ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe",
    "ß": "ss", "ẞ": "ss", "þ": "th", "Þ": "th", "ð": "d", "Ð": "d", "ı": "i", "ħ": "h", "ŧ": "t",
})
# ELOT 743 (Greek) and a common Cyrillic romanisation, on lower-case letters without accents.
_GREEK_PAIRS = {"θ": "th", "χ": "ch", "ψ": "ps", "ξ": "x", "φ": "f", "ς": "s"}
_GREEK = dict(zip("αβγδεζηικλμνοπρστυω", "avgdeziiklmnoprstyo", strict=True)) | _GREEK_PAIRS
_GREEK_DIGRAPHS = (("ου", "ou"), ("αυ", "av"), ("ευ", "ev"), ("γγ", "ng"))
_CYRILLIC = dict(zip("абвгдезийклмнопрстуфыэ", "abvgdeziiklmnoprstufye", strict=True)) | {
    "ж": "zh", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ю": "yu", "я": "ya", "ё": "e", "ь": "",
    "ъ": "", "і": "i", "ї": "yi", "є": "ye", "ґ": "g",
}
_LETTERS = str.maketrans(_GREEK | _CYRILLIC)
_NOT_WORD = re.compile(r"[\W_]+")
_PHONE_CHARS = re.compile(r"^\+?[\d\s\-./()]+$")
_MIN_PHONE_DIGITS = 5
MAX_QUERY_TOKENS = 8
MAX_TEXT = 20_000


def fold(text: str | None) -> str:
    """*text* as the search stores and queries it: folded tokens separated by single spaces."""
    if not text:
        return ""
    lowered = unicodedata.normalize("NFKD", text[:MAX_TEXT].translate(_SPECIAL)).casefold()
    bare = "".join(ch for ch in lowered if not unicodedata.combining(ch))
    for greek, latin in _GREEK_DIGRAPHS:
        bare = bare.replace(greek, latin)
    return " ".join(_NOT_WORD.sub(" ", bare.translate(_LETTERS)).split())


def phone_tokens(e164: str | None) -> str:
    """The tokens under which a stored E.164 number is found: all digits, and the national number."""
    if not e164 or not e164.startswith("+"):
        return ""
    digits = e164[1:]
    try:
        national = str(phonenumbers.parse(e164, None).national_number)
    except phonenumbers.NumberParseException:
        return digits
    return digits if national == digits else f"{digits} {national}"


def looks_like_phone(query: str) -> bool:
    """True when *query* is written like a phone number (digits and separators, five digits or more)."""
    return bool(_PHONE_CHARS.match(query.strip())) and sum(c.isdigit() for c in query) >= _MIN_PHONE_DIGITS


def query_tokens(query: str, default_region: str) -> list[str]:
    """The prefix tokens a query needs an entry to have, all of them (empty: nothing to search).

    A query written like a phone number becomes one token: its E.164 digits when the number is
    complete, else its digits without the international or trunk prefix (a prefix of the stored
    national number).
    """
    if looks_like_phone(query):
        return [_phone_query(query, default_region)]
    return fold(query).split()[:MAX_QUERY_TOKENS]


def _phone_query(query: str, default_region: str) -> str:
    digits = "".join(c for c in query if c.isdigit())
    text = query.strip()
    region = None if text.startswith(("+", "00")) else default_region
    try:
        number = phonenumbers.parse("+" + digits[2:] if text.startswith("00") else text, region)
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:]
    except phonenumbers.NumberParseException:
        pass
    return digits.removeprefix("00") if text.startswith(("+", "00")) else digits.lstrip("0") or digits


def fts5_query(tokens: list[str]) -> str:
    """An SQLite FTS5 MATCH expression: every token as a prefix (tokens are folded, so quoting is safe)."""
    return " AND ".join(f'"{t}"*' for t in tokens)


def tsquery(tokens: list[str]) -> str:
    """A PostgreSQL ``to_tsquery`` expression: every token as a prefix."""
    return " & ".join(f"'{t}':*" for t in tokens)


# ---------------------------------------------------------------------------- what each entry holds

def address_text(address: str | None) -> str:
    """A contact address (a caller's E.164 number, an email address, a visitor id) as tokens."""
    if not address:
        return ""
    return " ".join(filter(None, (phone_tokens(address), fold(address))))


def customer_text(display_name: str | None, company: str | None, external_key: str | None) -> str:
    """A customer's entry: their name, company and customer number."""
    return " ".join(filter(None, (fold(display_name), fold(company), fold(external_key))))


def message_text(subject: str | None, sender: str | None, body: str | None) -> str:
    """A message's entry (an agent's note included): subject, sender and text."""
    return " ".join(filter(None, (fold(subject), fold(sender), fold(body))))
