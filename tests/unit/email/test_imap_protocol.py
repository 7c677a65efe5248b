"""Reading aioimaplib responses and building UID sets, as tables."""

from __future__ import annotations

import pytest

from connectors.email.imap_protocol import (
    batches,
    has_new_mail,
    parse_fetch,
    parse_search,
    parse_select,
    says_bye,
    uid_set,
)


def test_parse_select() -> None:
    """UIDVALIDITY, UIDNEXT and EXISTS come out of a Dovecot SELECT response."""
    lines = [b"FLAGS (\\Seen)", b"OK [PERMANENTFLAGS ()] ok", b"12 EXISTS", b"0 RECENT",
             b"OK [UIDVALIDITY 1795472151] UIDs valid", b"OK [UIDNEXT 13] Predicted next UID",
             b"[READ-WRITE] Select completed"]
    selected = parse_select(lines)
    assert (selected.uidvalidity, selected.uidnext, selected.exists) == (1795472151, 13, 12)


def test_select_without_uidvalidity_is_refused() -> None:
    """A server without UIDVALIDITY cannot give durable progress: ValueError."""
    with pytest.raises(ValueError, match="UIDVALIDITY"):
        parse_select([b"3 EXISTS"])


@pytest.mark.parametrize(("lines", "uids"), [
    ([b"1 2 3 10", b"Search completed (0.001 + 0.000 secs)."], [1, 2, 3, 10]),
    ([b"SEARCH 5 4", b"Search completed"], [4, 5]),
    ([b"* SEARCH", b"Search completed"], []),
    ([b"Search completed (0.001 secs)."], []),
])
def test_parse_search(lines: list[bytes], uids: list[int]) -> None:
    """UIDs are read whether aioimaplib kept or stripped the SEARCH keyword."""
    assert parse_search(lines) == uids


def test_parse_fetch_pairs_uids_with_literals() -> None:
    """UIDs before or after the literal, and unrelated FLAGS updates, are all handled."""
    lines = [
        b"1 FETCH (UID 7 BODY[] {5}", bytearray(b"hello"), b")",
        b"2 FETCH (FLAGS (\\Seen))",
        b"3 FETCH (BODY[] {3}", bytearray(b"abc"), b" UID 9)",
        b"Fetch completed",
    ]
    assert parse_fetch(lines) == [(7, b"hello"), (9, b"abc")]


@pytest.mark.parametrize(("pushed", "new", "bye"), [
    ([b"1 EXISTS", b"1 RECENT"], True, False),
    ([b"3 EXPUNGE"], False, False),
    ([b"BYE Server shutting down."], False, True),
    ([b"stop_wait_server_push"], False, False),
])
def test_idle_pushes(pushed: list[bytes], new: bool, bye: bool) -> None:
    """EXISTS means new mail; BYE means the server is closing the session."""
    assert has_new_mail(pushed) is new
    assert says_bye(pushed) is bye


@pytest.mark.parametrize(("uids", "expected"), [
    ([1], "1"),
    ([1, 2, 3, 7], "1:3,7"),
    ([4, 6, 7, 8, 10], "4,6:8,10"),
])
def test_uid_set(uids: list[int], expected: str) -> None:
    """Ascending UIDs compress into IMAP ranges."""
    assert uid_set(uids) == expected


def test_batches_never_exceed_200() -> None:
    """Whatever size is asked for, no batch is larger than aioimaplib can take."""
    sizes = [len(b) for b in batches(list(range(1, 1001)), 500)]
    assert sizes == [200] * 5
    assert [len(b) for b in batches([1, 2, 3], 2)] == [2, 1]
