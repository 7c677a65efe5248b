"""A MIME tree without ``email.message`` objects, for well-formed mail: pure.

:func:`fast_tree` cuts the message at its boundaries like :func:`.mime_tree.parse_tree`, but
keeps each part as a :class:`FastPart`: its header fields read once into a list and a dict
of first values, its parameters parsed once, its body left as bytes. A ``FastPart`` answers
exactly the questions :mod:`.mime` asks of an ``email.message.Message`` (``get``,
``get_content_type``, ``get_content_disposition``, ``get_content_charset``, ``get_filename``,
``walk``, ...) with the values the stdlib's compat32 ``Message`` would give, without its
linear header scans and parameter re-parsing on every call.

Only the plainest mail is taken: ASCII header blocks of the shapes the stdlib parses without
a defect, parameters that are plain ``name=value`` or ``name="value"`` (no RFC 2231 ``*``, no
backslash, no ``;`` inside quotes), transfer encodings that decode without a defect, no
``message/*`` parts and no ``multipart/digest``. Anything else returns ``None`` and the caller
uses :func:`.mime_tree.parse_tree` or the stdlib parser. The unit tests compare every field of
the result both ways on generated mail and on the stdlib's own test messages.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Iterator
from email.policy import compat32
from email.utils import collapse_rfc2231_value, unquote
from typing import Any

import pybase64

from connectors.email.mime_tree import MAX_DEPTH, _parts, _split_head, header_fields

_PARAM = re.compile(r';[ \t\r\n]*([^=;"\s*\\]+)[ \t\r\n]*=[ \t\r\n]*("[^"\\;]*"|[^;"\\]*)')
_PLAIN = ("", "7bit", "8bit", "binary")
_MISSING: Any = object()


def decode_base64(body: bytes) -> bytes | None:
    """Well-formed base64 *body* (line breaks allowed) decoded; ``None`` when it is not well formed
    (the stdlib then decodes it and notes its defects)."""
    data = body.translate(None, b"\r\n")
    if len(data) % 4 == 0:  # else the stdlib pads it and notes a defect
        try:
            return pybase64.b64decode(data, validate=True)
        except binascii.Error:
            pass
    return None


def _params(value: str) -> dict[str, str] | None:
    """``name -> value`` as ``Message.get_param`` returns them (first of each name), or ``None``."""
    main, sep, rest = value.partition(";")
    if '"' in main or "\\" in value:
        return None
    found: dict[str, str] = {}
    if not sep:
        return found
    rest = sep + rest
    pos = 0
    for match in _PARAM.finditer(rest):
        if match.start() != pos:
            return None
        found.setdefault(match.group(1).lower(), unquote(match.group(2).strip()))
        pos = match.end()
    return found if not rest[pos:].strip() else None


class FastPart:
    """One part of a well-formed message, answering like a compat32 ``email.message.Message``."""

    policy = compat32
    defects: tuple[()] = ()

    def __init__(self, fields: list[tuple[str, str]], first: dict[str, str], params: dict[str, dict[str, str]]) -> None:
        self._fields = fields
        self.first = first  # lower-case name -> first value
        self._params = params  # lower-case header name -> its parameters
        self.payload = b""  # a leaf's decoded body
        self.children: list[FastPart] | None = None

    def raw_items(self) -> Iterator[tuple[str, str]]:
        """The fields in order, as ``Message.raw_items``."""
        return iter(self._fields)

    def get(self, name: str, failobj: Any = None) -> Any:
        """The first value of field *name*, as ``Message.get``."""
        return self.first.get(name.lower(), failobj)

    def __contains__(self, name: str) -> bool:
        return name.lower() in self.first

    def is_multipart(self) -> bool:
        """As ``Message.is_multipart``."""
        return self.children is not None

    def walk(self) -> Iterator[FastPart]:
        """This part, then every part below it, depth first (as ``Message.walk``)."""
        yield self
        for child in self.children or ():
            yield from child.walk()

    def get_content_type(self) -> str:
        """As ``Message.get_content_type`` (``multipart/digest`` children never get here)."""
        value = self.first.get("content-type")
        if value is None:
            return "text/plain"
        ctype = value.partition(";")[0].strip().lower()
        return ctype if ctype.count("/") == 1 else "text/plain"

    def get_content_maintype(self) -> str:
        """As ``Message.get_content_maintype``."""
        return self.get_content_type().split("/")[0]

    def get_content_disposition(self) -> str | None:
        """As ``Message.get_content_disposition``."""
        value = self.first.get("content-disposition")
        return None if value is None else value.partition(";")[0].strip().lower()

    def get_param(self, param: str, failobj: Any = None, header: str = "content-type") -> Any:
        """As ``Message.get_param`` (unquoted)."""
        params = self._params.get(header.lower())
        if params is None:
            return failobj
        return params.get(param.lower(), failobj)

    def get_content_charset(self, failobj: Any = None) -> Any:
        """As ``Message.get_content_charset`` (values are ASCII here)."""
        charset = self.get_param("charset", _MISSING)
        return failobj if charset is _MISSING else charset.lower()

    def get_filename(self, failobj: Any = None) -> Any:
        """As ``Message.get_filename``."""
        filename = self.get_param("filename", _MISSING, "content-disposition")
        if filename is _MISSING:
            filename = self.get_param("name", _MISSING, "content-type")
        if filename is _MISSING:
            return failobj
        return collapse_rfc2231_value(filename).strip()

    def get_boundary(self) -> str | None:
        """As ``Message.get_boundary``."""
        boundary = self.get_param("boundary", _MISSING)
        return None if boundary is _MISSING else collapse_rfc2231_value(boundary).rstrip()

    def decoded(self) -> bytes:
        """``get_payload(decode=True)`` of a leaf part (decoded once, when the tree was built)."""
        return self.payload


def _decode(cte: str, body: bytes) -> bytes | None:
    """``get_payload(decode=True)`` for transfer encoding *cte*, or ``None`` when only the stdlib
    can say (an encoding it repairs or reports as a defect)."""
    if cte in _PLAIN:
        return body
    if cte == "quoted-printable":
        return binascii.a2b_qp(body, header=False)
    if cte == "base64":
        return decode_base64(body)
    return None if cte in ("x-uuencode", "uuencode", "uue", "x-uue") else body


def _part(head: bytes) -> FastPart | None:
    if not head or not head.isascii():
        return None
    fields = header_fields(head.decode("ascii"))
    if fields is None:
        return None
    first: dict[str, str] = {}
    for name, value in fields:
        first.setdefault(name.lower(), value)
    params: dict[str, dict[str, str]] = {}
    for header in ("content-type", "content-disposition"):
        if header in first:
            parsed = _params(first[header])
            if parsed is None:
                return None
            params[header] = parsed
    return FastPart(fields, first, params)


def fast_tree(raw: bytes, depth: int = 0) -> FastPart | None:
    """The tree of *raw* as :class:`FastPart` objects, or ``None`` when another parser should read it."""
    if depth > MAX_DEPTH:
        return None
    split = _split_head(raw)
    if split is None:
        return None
    part = _part(split[0])
    if part is None:
        return None
    ctype = part.get_content_type()
    maintype = ctype.split("/")[0]
    if maintype == "message" or ctype == "multipart/digest":
        return None
    if maintype != "multipart":
        payload = _decode(str(part.first.get("content-transfer-encoding", "")).lower(), split[1])
        if payload is None:
            return None
        part.payload = payload
        return part
    children = _children(part, split[1], depth)
    if children is None:
        return None
    part.children = children
    return part


def _children(part: FastPart, body: bytes, depth: int) -> list[FastPart] | None:
    boundary = part.get_boundary()
    if not boundary:
        return None
    pieces = _parts(body, boundary.encode("ascii"))
    if pieces is None:
        return None
    children = []
    for piece in pieces:
        child = fast_tree(piece, depth + 1)
        if child is None:
            return None
        children.append(child)
    return children
