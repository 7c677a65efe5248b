"""Splitting address headers, fast for the common shapes and exactly as the stdlib does. Pure.

``email.utils.parseaddr``/``getaddresses`` walk the header character by character in Python
(about 0.05 ms per address). Most headers are a bare ``user@host`` or ``Display Name <user@host>``
with plain words; for those :func:`parse_address` and :func:`address_list` answer with one
regular expression and give the same result as the stdlib (the unit tests compare both on every
shape). Anything else (quotes, comments, dots or other specials in the name, groups, routes,
encoded leftovers) goes to the stdlib unchanged.
"""

from __future__ import annotations

import re
from email.utils import getaddresses, parseaddr

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_ADDR = rf"{_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
_WORD = r"[^\s()<>@,:;.\"\[\]\\]+"  # a name word: no specials (the stdlib splits or quotes those)
_SIMPLE = re.compile(rf"[ \t]*(?:(?P<name>{_WORD}(?:[ \t]+{_WORD})*)[ \t]*<(?P<angle>{_ADDR})>|"
                     rf"<(?P<bare_angle>{_ADDR})>|(?P<bare>{_ADDR}))[ \t]*")


def _simple(value: str) -> tuple[str, str] | None:
    found = _SIMPLE.fullmatch(value)
    if found is None:
        return None
    name = found.group("name")
    address = found.group("angle") or found.group("bare_angle") or found.group("bare")
    return (" ".join(name.split()) if name else ""), address


def parse_address(value: str) -> tuple[str, str]:
    """``(display name, address)`` as :func:`email.utils.parseaddr` returns them."""
    return _simple(value) or parseaddr(value)


def address_list(value: str) -> list[tuple[str, str]]:
    """``[(display name, address), ...]`` as :func:`email.utils.getaddresses` returns them."""
    if '"' not in value and "(" not in value:
        pieces = [_simple(piece) for piece in value.split(",")]
        if all(pieces):
            return [p for p in pieces if p is not None]
    return getaddresses([value])
