"""Reading IMAP responses as aioimaplib hands them over, and building UID sets. Pure.

aioimaplib returns a response as a list of lines (``bytes``) with literals in between
(``bytearray``); these functions turn those into numbers and message bytes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

_UIDVALIDITY = re.compile(rb"\[UIDVALIDITY (\d+)\]", re.IGNORECASE)
_UIDNEXT = re.compile(rb"\[UIDNEXT (\d+)\]", re.IGNORECASE)
_EXISTS = re.compile(rb"^\*?\s*(\d+) EXISTS", re.IGNORECASE)
_FETCH = re.compile(rb"^\*?\s*\d+ FETCH \(", re.IGNORECASE)
_UID = re.compile(rb"\bUID (\d+)", re.IGNORECASE)
_SEARCH = re.compile(rb"^\*?\s*SEARCH\b(.*)$", re.IGNORECASE)
MAX_BATCH = 200


@dataclass(frozen=True)
class Selected:
    """What ``SELECT`` told us about a folder."""

    uidvalidity: int
    uidnext: int | None
    exists: int


def parse_select(lines: Sequence[bytes | bytearray]) -> Selected:
    """UIDVALIDITY, UIDNEXT and EXISTS from a SELECT response.

    Raises:
        ValueError: no UIDVALIDITY (the server cannot give durable UIDs).
    """
    validity = uidnext = None
    exists = 0
    for line in lines:
        raw = bytes(line)
        if m := _UIDVALIDITY.search(raw):
            validity = int(m.group(1))
        if m := _UIDNEXT.search(raw):
            uidnext = int(m.group(1))
        if m := _EXISTS.match(raw):
            exists = int(m.group(1))
    if validity is None:
        raise ValueError("SELECT response has no UIDVALIDITY")
    return Selected(validity, uidnext, exists)


def parse_search(lines: Sequence[bytes | bytearray]) -> list[int]:
    """The UIDs of a ``UID SEARCH`` response, ascending.

    aioimaplib strips ``* SEARCH`` from untagged lines of a search, leaving bare numbers; both
    forms are read.
    """
    found: list[int] = []
    for line in lines:
        raw = bytes(line)
        if m := _SEARCH.match(raw):
            raw = m.group(1)
        words = raw.split()
        if words and all(w.isdigit() for w in words):
            found.extend(int(w) for w in words)
    return sorted(set(found))


def parse_fetch(lines: Sequence[bytes | bytearray]) -> list[tuple[int, bytes]]:
    """``(uid, message bytes)`` pairs from a ``UID FETCH (UID BODY.PEEK[])`` response.

    The UID may come before the literal (``* 1 FETCH (UID 7 BODY[] {n}``) or after it
    (``BODY[] {n}`` … `` UID 7)``); unrelated untagged FETCHes (flag updates) are skipped.
    """
    out: list[tuple[int, bytes]] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if isinstance(line, bytes) and _FETCH.match(line) and i + 1 < len(lines) \
                and isinstance(lines[i + 1], bytearray):
            uid = _UID.search(line)
            tail = lines[i + 2] if i + 2 < len(lines) and isinstance(lines[i + 2], bytes) else b""
            uid = uid or _UID.search(tail)
            if uid is not None:
                out.append((int(uid.group(1)), bytes(lines[i + 1])))
            i += 2
            continue
        i += 1
    return out


def has_new_mail(pushed: Iterable[bytes | bytearray]) -> bool:
    """Whether lines pushed during IDLE announce new messages (``EXISTS``)."""
    return any(_EXISTS.match(bytes(line)) for line in pushed)


def says_bye(pushed: Iterable[bytes | bytearray]) -> bool:
    """Whether the server is closing the connection (``* BYE``)."""
    return any(bytes(line).lstrip(b"* ").upper().startswith(b"BYE") for line in pushed)


def uid_set(uids: Sequence[int]) -> str:
    """A compact IMAP sequence set for ascending *uids*: ``[1,2,3,7]`` → ``1:3,7``."""
    if not uids:
        raise ValueError("empty UID set")
    ranges: list[str] = []
    start = prev = uids[0]
    for uid in uids[1:]:
        if uid == prev + 1:
            prev = uid
            continue
        ranges.append(f"{start}:{prev}" if prev != start else str(start))
        start = prev = uid
    ranges.append(f"{start}:{prev}" if prev != start else str(start))
    return ",".join(ranges)


def batches(uids: Sequence[int], size: int = MAX_BATCH) -> Iterator[list[int]]:
    """*uids* in consecutive chunks of at most *size* (aioimaplib recurses per response line)."""
    size = max(1, min(size, MAX_BATCH))
    for start in range(0, len(uids), size):
        yield list(uids[start:start + size])
