"""PBX connections (validation, token hashing and rotation) and the live configuration document's TOML form."""

from __future__ import annotations

from typing import Any

import pytest

from contact_center.config.document import changed_sections, from_toml, overlay, to_toml
from contact_center.config.pbx import PbxTokens, hash_clear_tokens, parse_connections, rotate, token_entry
from contact_center.config.secrets import hash_token
from contact_center.errors import ValidationError

SHA = "0" * 64
DEPARTMENTS = frozenset({"sales", "service"})


@pytest.mark.parametrize(("raw", "field"), [
    ({"pbx": "main"}, "pbx"),
    (["main"], "pbx[0]"),
    ([{"name": ""}], "pbx[0].name"),
    ([{"name": "has space"}], "pbx[0].name"),
    ([{"name": "a" * 65}], "pbx[0].name"),
    ([{"name": "main"}, {"name": "main"}], "pbx[1].name"),
    ([{"name": "main", "default_department": "billing"}], "pbx[0].default_department"),
    ([{"name": "main", "tokens": [{"sha256": "nothex"}]}], "pbx[0].tokens[0]"),
    ([{"name": "main", "tokens": ["clear"]}], "pbx[0].tokens[0]"),
])
def test_invalid_pbx_sections_name_the_key(raw: Any, field: str) -> None:
    """Each malformed PBX entry is refused naming the entry and key."""
    with pytest.raises(ValidationError) as caught:
        parse_connections(raw, departments=DEPARTMENTS)
    assert caught.value.field == field


def test_valid_section_parses_with_defaults() -> None:
    """A minimal entry gets the documented defaults; unknown departments pass when departments are not known yet."""
    (conn,) = parse_connections([{"name": "main", "default_department": "elsewhere",
                                  "tokens": [{"sha256": SHA, "hint": "abcd", "created_at": 5}]}], departments=None)
    assert (conn.name, conn.default_department, conn.route_inbound, conn.voicemail_names) == (
        "main", "elsewhere", False, frozenset({"voicemail"}))
    assert conn.tokens[0].sha256 == SHA
    assert conn.tokens[0].expires_at is None
    assert "abcd" not in repr(conn)


def test_clear_tokens_are_hashed_and_not_doubled() -> None:
    """A clear token moves into ``tokens`` as its hash, replacing an entry with the same hash."""
    before = [{"name": "main", "token": "secret-token", "tokens": [token_entry("secret-token", now=1.0),
                                                                  token_entry("older-token", now=0.5)]}]
    (entry,) = hash_clear_tokens(before, now=2.0)
    assert "token" not in entry
    assert [t["sha256"] for t in entry["tokens"]] == [hash_token("secret-token"), hash_token("older-token")]
    assert entry["tokens"][0] == {"sha256": hash_token("secret-token"), "hint": "secr", "created_at": 2.0}


@pytest.mark.parametrize(("now", "old_valid", "new_valid"), [
    (1_000.0, True, True),  # inside the overlap both work
    (1_059.0, True, True),
    (1_060.0, False, True),  # the overlap ended: only the new token
])
def test_rotation_keeps_the_old_token_for_the_overlap(now: float, old_valid: bool, new_valid: bool) -> None:
    """After a rotation the previous token is accepted until the overlap ends, the new one from the start."""
    section = hash_clear_tokens([{"name": "main", "token": "old-token"}], now=0.0)
    rotated = rotate(section, "main", "new-token", now=1_000.0, overlap_seconds=60.0)
    tokens = PbxTokens(parse_connections(rotated, departments=DEPARTMENTS))
    assert (tokens.find("old-token", now=now) is not None, tokens.find("new-token", now=now) is not None) == (
        old_valid, new_valid)
    assert tokens.find("never-issued", now=now) is None


def test_second_rotation_drops_expired_tokens_and_never_extends_an_overlap() -> None:
    """Rotating again forgets tokens already expired and does not give an expiring token more time."""
    section = hash_clear_tokens([{"name": "main", "token": "first"}], now=0.0)
    section = rotate(section, "main", "second", now=100.0, overlap_seconds=60.0)  # first expires at 160
    section = rotate(section, "main", "third", now=150.0, overlap_seconds=600.0)
    expiries = {t["hint"]: t.get("expires_at") for t in section[0]["tokens"]}
    assert expiries == {"thir": None, "seco": 750.0, "firs": 160.0}
    section = rotate(section, "main", "fourth", now=200.0, overlap_seconds=600.0)
    assert "firs" not in {t["hint"] for t in section[0]["tokens"]}


def test_rotating_an_unknown_pbx_names_the_field() -> None:
    """Rotation of a PBX that does not exist is a validation error on ``name``."""
    with pytest.raises(ValidationError) as caught:
        rotate([{"name": "main", "tokens": []}], "other", "t", now=0.0, overlap_seconds=1.0)
    assert caught.value.field == "name"


@pytest.mark.parametrize(("stored", "expected"), [
    ({}, {"routing": {"a": 1}, "pbx": [{"name": "file"}]}),
    ({"routing": {"a": 2}}, {"routing": {"a": 2}, "pbx": [{"name": "file"}]}),
    ({"pbx": [], "chat": {"x": 1}}, {"routing": {"a": 1}, "pbx": []}),  # chat is not one of the sections asked for
])
def test_overlay_takes_stored_sections_over_the_file(stored: dict[str, Any], expected: dict[str, Any]) -> None:
    """Each live section comes from the store when stored there, else from the file; other sections are ignored."""
    base: dict[str, Any] = {"routing": {"a": 1}, "pbx": [{"name": "file"}], "server": {"port": 1}}
    result = overlay(base, stored, ("routing", "pbx", "email"))  # email: in neither, so absent
    assert result == expected
    result["routing"]["a"] = 99
    assert base["routing"]["a"] == 1
    assert stored.get("routing", {}).get("a") != 99


def test_changed_sections_lists_added_removed_and_edited() -> None:
    """Sections that differ, sorted, including ones present on one side only."""
    assert changed_sections({"a": 1, "b": 2, "c": 3}, {"a": 1, "b": 5, "d": 4}) == ("b", "c", "d")


def test_toml_round_trip_drops_nulls_and_reports_bad_text() -> None:
    """Export leaves out keys without a value and imports back to the same document; bad TOML names ``document``."""
    document = {"routing": {"strategy": "longest_idle", "note": None}, "pbx": [{"name": "main", "x": None}]}
    text = to_toml(document, version=7)
    assert text.startswith("# Contact Center live configuration, version 7\n")
    assert from_toml(text) == {"routing": {"strategy": "longest_idle"}, "pbx": [{"name": "main"}]}
    with pytest.raises(ValidationError) as caught:
        from_toml("[routing\nstrategy=")
    assert caught.value.field == "document"
