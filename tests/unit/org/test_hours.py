"""Opening hours: validation names the key, and the call plan follows the department's clock, holidays and action."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from contact_center.errors import ValidationError
from contact_center.org.hours import Hours, call_plan, is_open, parse_hours

BERLIN_WEEK = {
    "timezone": "Europe/Berlin",
    "weekly": {"mon": [["08:00", "18:00"]], "tue": [["08:00", "12:00"], ["13:00", "18:00"]],
               "sat": [["10:00", "24:00"]]},
    "holidays": ["2026-12-25"],
}


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


@pytest.mark.parametrize(("raw", "field"), [
    ("not an object", "hours"),
    ({"timezone": "Mars/Olympus"}, "hours.timezone"),
    ({"out_of_hours": "hang up"}, "hours.out_of_hours"),
    ({"out_of_hours": "voicemail"}, "hours.voicemail_number"),
    ({"reject_reason": "because"}, "hours.reject_reason"),
    ({"weekly": ["mon"]}, "hours.weekly"),
    ({"weekly": {"monday": []}}, "hours.weekly.monday"),
    ({"weekly": {"mon": "08:00-18:00"}}, "hours.weekly.mon"),
    ({"weekly": {"mon": [["08:00"]]}}, "hours.weekly.mon[0]"),
    ({"weekly": {"mon": [["18:00", "08:00"]]}}, "hours.weekly.mon[0]"),
    ({"weekly": {"tue": [["08:00", "12:00"], ["8:00", "9:00"]]}}, "hours.weekly.tue[1]"),
    ({"weekly": {"wed": [["08:00", "24:01"]]}}, "hours.weekly.wed[0]"),
    ({"holidays": "2026-12-25"}, "hours.holidays"),
    ({"holidays": ["2026-12-25", "Christmas"]}, "hours.holidays[1]"),
])
def test_invalid_hours_name_the_key(raw: Any, field: str) -> None:
    """Each malformed part of ``hours`` is refused with the exact key that is wrong."""
    with pytest.raises(ValidationError) as caught:
        parse_hours(raw)
    assert caught.value.field == field


@pytest.mark.parametrize(("at", "expected_open", "why_starts"), [
    ("2026-12-07T07:30:00", True, "open mon 08:00-18:00"),  # Monday 08:30 in Berlin (UTC+1)
    ("2026-12-07T06:59:00", False, "closed mon 07:59"),
    ("2026-12-07T17:00:00", False, "closed mon 18:00"),  # the end of a range is closed
    ("2026-12-08T11:30:00", False, "closed tue 12:30"),  # the lunch break between two ranges
    ("2026-12-08T12:00:00", True, "open tue 13:00-18:00"),
    ("2026-12-09T10:00:00", False, "closed wed"),  # a day missing from weekly is closed
    ("2026-12-12T22:59:00", True, "open sat 10:00-24:00"),  # 23:59 local: up to midnight
    ("2026-12-25T10:00:00", False, "holiday 2026-12-25"),  # a Friday, closed all day
    ("2026-12-24T23:30:00", False, "holiday 2026-12-25"),  # already the 25th in Berlin
])
def test_is_open_in_the_departments_time_zone(at: str, expected_open: bool, why_starts: str) -> None:
    """Opening is judged on the department's local clock, with ranges half-open and holidays closed all day."""
    open_now, why = is_open(parse_hours(BERLIN_WEEK), utc(at))
    assert (open_now, why.startswith(why_starts)) == (expected_open, True), why


def test_summer_time_moves_the_utc_window() -> None:
    """The same local 08:00 opening is 06:00 UTC in summer and 07:00 UTC in winter."""
    hours = parse_hours(BERLIN_WEEK)
    assert is_open(hours, utc("2026-07-06T06:30:00"))[0] is True  # Monday, CEST
    assert is_open(hours, utc("2026-12-07T06:30:00"))[0] is False  # Monday, CET


@pytest.mark.parametrize(("raw", "expected"), [
    (None, (True, "no opening hours set")),
    ({}, (True, "no opening hours set")),
    ({"holidays": ["2026-12-08"]}, (True, "open (no weekly hours set)")),
    ({"holidays": ["2026-12-07"]}, (False, "holiday 2026-12-07")),
])
def test_without_weekly_hours_only_holidays_close(raw: Any, expected: tuple[bool, str]) -> None:
    """No weekly hours means always open, except on a listed holiday."""
    assert is_open(parse_hours(raw), utc("2026-12-07T03:00:00")) == expected


@pytest.mark.parametrize(("extra", "action", "number", "reason"), [
    ({}, "queue", None, None),
    ({"out_of_hours": "voicemail", "voicemail_number": "+493012045999"}, "voicemail", "+493012045999", None),
    ({"out_of_hours": "reject"}, "reject", None, "busy"),
    ({"out_of_hours": "reject", "reject_reason": "unavailable"}, "reject", None, "unavailable"),
])
def test_call_plan_out_of_hours(extra: dict[str, str], action: str, number: str | None, reason: str | None) -> None:
    """A closed department queues, sends to voicemail or rejects as configured; an open one always queues."""
    hours = parse_hours({**BERLIN_WEEK, **extra})
    closed = call_plan(hours, utc("2026-12-09T10:00:00"))
    assert (closed.open, closed.action, closed.number, closed.reason) == (False, action, number, reason)
    opened = call_plan(hours, utc("2026-12-07T10:00:00"))
    assert (opened.open, opened.action) == (True, "queue")


def test_defaults_are_always_open_and_queue() -> None:
    """An empty hours object is the always-open default."""
    assert parse_hours({}) == Hours()
