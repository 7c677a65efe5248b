"""Body parsing: form decoding (``user[]`` lists) and the field readers that name bad fields."""

from __future__ import annotations

from typing import Any

import pytest

from contact_center.errors import MalformedBody, ValidationError
from contact_center.http.bodies import _form_from_bytes, optional_int, optional_str, require_str


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"event=newCall&from=4930123&to=4930999", {"event": "newCall", "from": "4930123", "to": "4930999"}),
        (b"user%5B%5D=alice&user%5B%5D=bob", {"user": ["alice", "bob"]}),
        (b"user[]=alice", {"user": ["alice"]}),
        (b"user=alice&user=bob&user=carol", {"user": ["alice", "bob", "carol"]}),
        (b"direction=in&user[]=a&user[]=b&callId=123", {"direction": "in", "user": ["a", "b"], "callId": "123"}),
        (b"empty=&plus=a+b&pct=%2B49", {"empty": "", "plus": "a b", "pct": "+49"}),
        (b"name=J%C3%BCrgen", {"name": "Jürgen"}),
        (b"", {}),
    ],
)
def test_form_bodies(raw: bytes, expected: dict[str, Any]) -> None:
    """URL-encoded forms become dicts; repeated or ``[]`` keys become lists under the bare name."""
    assert _form_from_bytes(raw) == expected


def test_form_that_is_not_utf8_is_malformed() -> None:
    """Undecodable form bytes are a MalformedBody, not a crash."""
    with pytest.raises(MalformedBody):
        _form_from_bytes(b"name=\xff\xfe")


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({}, "username", "'username' is required"),
        ({"username": ""}, "username", "'username' is required"),
        ({"username": None}, "username", "'username' is required"),
        ({"username": 5}, "username", "'username' must be a string"),
        ({"username": ["a"]}, "username", "'username' must be a string"),
        ({"username": "x" * 65}, "username", "longer than 64"),
    ],
)
def test_require_str_names_the_field(body: dict[str, Any], field: str, message: str) -> None:
    """Missing, wrong-typed or too-long values raise ValidationError naming the field."""
    with pytest.raises(ValidationError) as err:
        require_str(body, "username", max_len=64)
    assert err.value.field == field
    assert message in err.value.message


def test_require_str_accepts_and_optionally_allows_empty() -> None:
    """A present string is returned as is; allow_empty accepts ''."""
    assert require_str({"a": "x y"}, "a") == "x y"
    assert require_str({"a": ""}, "a", allow_empty=True) == ""


@pytest.mark.parametrize(("body", "expected"), [({}, None), ({"n": ""}, None), ({"n": None}, None), ({"n": "v"}, "v")])
def test_optional_str(body: dict[str, Any], expected: str | None) -> None:
    """Absent or empty is None; a present value is checked like require_str."""
    assert optional_str(body, "n") == expected


def test_optional_str_still_checks_type() -> None:
    """A present non-string is still rejected, naming the field."""
    with pytest.raises(ValidationError) as err:
        optional_str({"n": 3}, "n")
    assert err.value.field == "n"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, None), ("", None), (7, 7), ("7", 7), ("-3", -3), (4.0, 4)],
)
def test_optional_int_accepts(value: Any, expected: int | None) -> None:
    """Whole numbers, also as strings from forms, are accepted; absent is None."""
    assert optional_int({"n": value}, "n", low=-5, high=10) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [("seven", "whole number"), (1.5, "whole number"), (True, "whole number"), ([], "whole number"),
     ("11", "between -5 and 10"), (-6, "between -5 and 10")],
)
def test_optional_int_rejects(value: Any, message: str) -> None:
    """Non-numbers and out-of-range numbers raise ValidationError naming the field."""
    with pytest.raises(ValidationError) as err:
        optional_int({"n": value}, "n", low=-5, high=10)
    assert err.value.field == "n"
    assert message in err.value.message
