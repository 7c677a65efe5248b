"""Turning email bytes into text whatever charset they claim: pure.

Mail in the wild mislabels its charset, names ones Python spells differently, or sends raw
8-bit headers. The rules for bodies, in order: the declared charset (with the WHATWG aliases mail
clients actually mean, e.g. ``iso-8859-1`` is read as ``windows-1252``), then UTF-8, then
windows-1252 as the last resort that never fails. Raw 8-bit header bytes (RFC 6532 mail, or old
clients that never encoded their headers) are read as UTF-8 when valid, else as the message's
own charset or the configured legacy charset (:func:`decode_8bit`). Headers are RFC 2047-decoded
word by word, so one bad encoded word does not spoil the rest.
"""

from __future__ import annotations

import codecs
import re
from email.header import decode_header

# What senders write -> what they mean (WHATWG Encoding Standard and common mail client habits).
_ALIASES = {
    "iso-8859-1": "windows-1252",
    "latin1": "windows-1252",
    "latin-1": "windows-1252",
    "us-ascii": "windows-1252",
    "ascii": "windows-1252",
    "iso-8859-9": "windows-1254",
    "iso-8859-11": "cp874",
    "tis-620": "cp874",
    "iso-8859-8-i": "iso-8859-8",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "x-sjis": "shift_jis",
    "shift-jis": "shift_jis",
    "windows-874": "cp874",
    "x-mac-roman": "mac_roman",
    "macintosh": "mac_roman",
    "unicode-1-1-utf-7": "utf-7",
    "utf8": "utf-8",
    "unknown-8bit": "utf-8",
    "x-unknown": "utf-8",
    "x-user-defined": "utf-8",
    "default": "utf-8",
}
FALLBACK = "windows-1252"
_SURROGATE = re.compile("[\udc80-\udcff]")


def codec_for(charset: str | None) -> str | None:
    """The Python codec name for a declared *charset*, or ``None`` when Python has none."""
    if not charset:
        return None
    name = charset.strip().strip('"').lower()
    name = _ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_bytes(data: bytes, charset: str | None) -> tuple[str, str]:
    """Decode *data* declared as *charset*; returns ``(text, codec actually used)``."""
    declared = codec_for(charset)
    for codec in (declared, "utf-8"):
        if codec is None:
            continue
        try:
            return data.decode(codec), codec
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode(FALLBACK, errors="replace"), FALLBACK


def decode_8bit(data: bytes, fallbacks: tuple[str | None, ...] = ()) -> str:
    """Raw 8-bit header bytes as text: UTF-8 when they are valid UTF-8 (what today's clients send),
    else the first of *fallbacks* (the message's own charset, the configured legacy charset) that
    decodes them, else windows-1252, which never fails."""
    for charset in ("utf-8", *fallbacks):
        codec = codec_for(charset)
        if codec is None:
            continue
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    return data.decode(FALLBACK, errors="replace")


def _unescape_8bit(value: str, fallbacks: tuple[str | None, ...]) -> str:
    """Raw 8-bit header bytes arrive as surrogate escapes (the parser's ``surrogateescape``): decode them."""
    if value.isascii() or not _SURROGATE.search(value):
        return value
    return decode_8bit(value.encode("ascii", "surrogateescape"), fallbacks)


def decode_header_value(value: str | None, fallbacks: tuple[str | None, ...] = ()) -> str:
    """An RFC 2047 header decoded to text; folding whitespace collapsed to single spaces.

    *value* is the field as the parser stored it (raw 8-bit bytes as surrogate escapes, never an
    ``email.header.Header``, whose ``str()`` has already replaced them). *fallbacks*: charsets to
    try for raw 8-bit bytes that are not UTF-8 (see :func:`decode_8bit`).
    """
    if value is None:
        return ""
    text = _unescape_8bit(str(value), fallbacks)
    if "=?" in text:
        try:
            parts = decode_header(text)
        except (ValueError, AssertionError, IndexError):  # the stdlib's own parse errors
            parts = [(text, None)]
        chunks = []
        for chunk, charset in parts:
            if isinstance(chunk, str):
                chunks.append(chunk)
            elif charset is None:
                chunks.append(chunk.decode("raw-unicode-escape", errors="replace"))
            else:
                chunks.append(decode_bytes(chunk, charset)[0])
        text = "".join(chunks)
    return " ".join(text.replace("\r", " ").replace("\n", " ").split())
