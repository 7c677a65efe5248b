"""A fast MIME splitter for well-formed mail: pure, falls back to the stdlib parser otherwise.

The stdlib ``FeedParser`` examines every body line in Python, which costs milliseconds on a
typical 30 KB message. Here only header blocks go through the stdlib (``BytesHeaderParser``);
bodies are cut at their boundaries with ``bytes.find`` and left for ``get_payload(decode=True)``,
whose base64 and quoted-printable decoders are in C. The result is the same tree of
``email.message.Message`` objects the stdlib builds. Anything unusual (a boundary that never
closes, ``message/*`` parts, digests, headers without a body separator, deep nesting) returns ``None`` and
the caller uses the stdlib parser, which knows every repair.
"""

from __future__ import annotations

import re
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32
from itertools import pairwise

_HEADERS = BytesHeaderParser(policy=compat32)
_SEPARATOR = re.compile(rb"\r?\n\r?\n")
_FIELD_NAME = re.compile(r"[\041-\071\073-\176]+")  # what the stdlib's header line pattern accepts
_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")  # lines with their endings, as readlines(newline="") cuts them
MAX_DEPTH = 8


def _header_block(head: bytes) -> Message | None:
    """The header fields of *head* as the stdlib's ``BytesHeaderParser`` (compat32) stores them,
    or ``None`` for anything it would flag as a defect or treat specially (then it parses).

    The same line splitting (``\\r\\n``, ``\\r`` or ``\\n``), the same unfolding
    (:meth:`Compat32.header_source_parse`), without the feed parser's line-by-line machinery.
    """
    fields = header_fields(head.decode("ascii", "surrogateescape"))
    if fields is None:
        return None
    msg = Message(policy=compat32)
    for name, value in fields:
        msg.set_raw(name, value)
    return msg


def header_fields(head: str) -> list[tuple[str, str]] | None:
    """``(name, value)`` of each field of a header block as compat32's ``header_source_parse``
    stores it, or ``None`` for a shape the stdlib would flag or treat specially."""
    fields: list[tuple[str, str]] = []
    lines: list[str] = []
    for line in _LINES.findall(head):
        if not line:
            continue
        if line[0] in " \t":
            if not lines:
                return None
            lines.append(line)
            continue
        colon = line.find(":")
        if colon < 1 or line.startswith("From ") or not _FIELD_NAME.fullmatch(line, 0, colon):
            return None
        if lines:
            fields.append(_unfold(lines))
        lines = [line]
    if lines:
        fields.append(_unfold(lines))
    return fields


def _unfold(lines: list[str]) -> tuple[str, str]:
    # compat32.header_source_parse, inlined.
    name, value = lines[0].split(":", 1)
    value = value.lstrip(" \t") + "".join(lines[1:])
    return name, value.rstrip("\r\n")


def _split_head(raw: bytes) -> tuple[bytes, bytes] | None:
    if raw.startswith((b"\r\n", b"\n")):
        return b"", raw.split(b"\n", 1)[1]
    found = _SEPARATOR.search(raw)
    if found is None:
        return None
    return raw[:found.start()], raw[found.end():]


def _delimiters(body: bytes, delimiter: bytes) -> list[tuple[int, int, bool]]:
    """``(line start, line end, closing)`` of every boundary line (a line starting *delimiter*)."""
    found: list[tuple[int, int, bool]] = []
    pos = 0 if body.startswith(delimiter) else body.find(b"\n" + delimiter)
    while pos != -1:
        start = pos if body.startswith(delimiter, pos) else pos + 1
        after = start + len(delimiter)
        line_end = body.find(b"\n", after)
        line_end = len(body) if line_end == -1 else line_end
        rest = body[after:line_end].rstrip(b"\r \t")
        if rest in (b"", b"--"):  # else a longer boundary that merely starts like ours
            found.append((start, line_end, rest == b"--"))
            if rest == b"--":
                break
        pos = body.find(b"\n" + delimiter, line_end)
    return found


def _parts(body: bytes, boundary: bytes) -> list[bytes] | None:
    """The parts between ``--boundary`` lines, or ``None`` when the closing line is missing."""
    lines = _delimiters(body, b"--" + boundary)
    if len(lines) < 2 or not lines[-1][2]:
        return None
    parts = []
    for (_, end, _), (start, _, _) in pairwise(lines):
        part = body[end + 1:start]
        # The line break before a delimiter belongs to the delimiter (RFC 2046 5.1.1).
        part = part[:-2] if part.endswith(b"\r\n") else part[:-1] if part.endswith(b"\n") else part
        parts.append(part)
    return parts


def parse_tree(raw: bytes, depth: int = 0) -> Message | None:
    """The message tree of *raw*, or ``None`` when the stdlib parser should handle it."""
    if depth > MAX_DEPTH:
        return None
    split = _split_head(raw)
    if split is None:
        return None
    head, body = split
    msg = (_header_block(head) if head else None) or _HEADERS.parsebytes(head + b"\r\n\r\n")
    if msg.defects:
        return None
    maintype = msg.get_content_maintype()
    if maintype == "message" or msg.get_content_type() == "multipart/digest":
        return None  # a digest's parts default to message/rfc822: only the stdlib knows that
    if maintype != "multipart":
        msg.set_payload(body.decode("ascii", "surrogateescape"))
        return msg
    boundary = msg.get_boundary()
    if not boundary:
        return None
    pieces = _parts(body, boundary.encode("ascii", "surrogateescape"))
    if pieces is None:
        return None
    children: list[Message | str] = []
    for piece in pieces:
        child = parse_tree(piece, depth + 1)
        if child is None:
            return None
        children.append(child)
    msg.set_payload(children)
    return msg
