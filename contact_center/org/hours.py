"""Opening hours, holidays and the out-of-hours action. Pure: the time is passed in.

A department's ``hours`` (empty: always open)::

    {"timezone": "Europe/Berlin",
     "weekly": {"mon": [["08:00", "18:00"]], "tue": [["08:00", "12:00"], ["13:00", "18:00"]], …},
     "holidays": ["2026-12-25", "2026-12-26"],
     "out_of_hours": "queue" | "voicemail" | "reject",
     "voicemail_number": "+4930…",          # where the PBX sends a caller (voicemail / callback)
     "reject_reason": "busy"}                # what the PBX is told on reject

Days missing from ``weekly`` are closed; a holiday is closed all day. ``queue`` keeps routing as
usual (the contact waits for the morning), ``voicemail`` sends the caller to the voicemail number,
``reject`` refuses the call with the reason. Email and chat are always queued.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from contact_center.errors import ValidationError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ACTIONS = ("queue", "voicemail", "reject")
REJECT_REASONS = ("busy", "rejected", "unavailable")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")


@dataclass(frozen=True)
class Hours:
    """Validated opening hours."""

    timezone: str = "UTC"
    weekly: Mapping[str, tuple[tuple[str, str], ...]] | None = None  # None: always open
    holidays: frozenset[str] = frozenset()
    out_of_hours: str = "queue"
    voicemail_number: str | None = None
    reject_reason: str = "busy"


@dataclass(frozen=True)
class CallPlan:
    """What to do with a call to a department right now."""

    open: bool
    action: str  # queue | voicemail | reject
    why: str
    number: str | None = None  # voicemail: where the PBX sends the caller
    reason: str | None = None  # reject: what the PBX is told


def parse_hours(raw: Mapping[str, Any] | None) -> Hours:
    """Validate a department's ``hours``.

    Raises:
        ValidationError: naming the key (``hours.weekly.mon``, ``hours.timezone`` …).
    """
    if not raw:
        return Hours()
    if not isinstance(raw, Mapping):
        raise ValidationError("hours", "hours must be an object")
    timezone = str(raw.get("timezone") or "UTC")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError("hours.timezone", f"unknown time zone {timezone!r}") from exc
    action = str(raw.get("out_of_hours") or "queue")
    if action not in ACTIONS:
        raise ValidationError("hours.out_of_hours", f"out_of_hours must be one of {', '.join(ACTIONS)}")
    voicemail = str(raw.get("voicemail_number") or "").strip() or None
    if action == "voicemail" and voicemail is None:
        raise ValidationError("hours.voicemail_number", "voicemail needs the number the PBX sends callers to")
    reason = str(raw.get("reject_reason") or "busy")
    if reason not in REJECT_REASONS:
        raise ValidationError("hours.reject_reason", f"reject_reason must be one of {', '.join(REJECT_REASONS)}")
    return Hours(timezone, _weekly(raw.get("weekly")), _holidays(raw.get("holidays")), action, voicemail, reason)


def _weekly(raw: Any) -> dict[str, tuple[tuple[str, str], ...]] | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise ValidationError("hours.weekly", "hours.weekly must map days (mon…sun) to time ranges")
    weekly = {}
    for day, ranges in raw.items():
        if day not in DAYS:
            raise ValidationError(f"hours.weekly.{day}", f"unknown day {day!r}; days are {', '.join(DAYS)}")
        weekly[day] = _ranges(ranges, f"hours.weekly.{day}")
    return weekly


def _holidays(raw: Any) -> frozenset[str]:
    holidays = raw or []
    if not isinstance(holidays, list | tuple):
        raise ValidationError("hours.holidays", "hours.holidays must be a list of dates (YYYY-MM-DD)")
    for i, day in enumerate(holidays):
        try:
            dt.date.fromisoformat(str(day))
        except ValueError as exc:
            raise ValidationError(f"hours.holidays[{i}]", f"{day!r} is not a date (YYYY-MM-DD)") from exc
    return frozenset(str(d) for d in holidays)


def _ranges(raw: Any, where: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, list | tuple):
        raise ValidationError(where, f"{where} must be a list of [from, to] times")
    out = []
    for i, pair in enumerate(raw):
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise ValidationError(f"{where}[{i}]", f"{where}[{i}] must be [from, to], e.g. [\"08:00\", \"18:00\"]")
        start, end = str(pair[0]), str(pair[1])
        if not (_TIME.match(start) and _TIME.match(end)) or start >= end:
            raise ValidationError(f"{where}[{i}]",
                                  f"{where}[{i}]: {start}-{end} is not a time range (HH:MM, from < to)")
        out.append((start, end))
    return tuple(out)


def is_open(hours: Hours, at: dt.datetime) -> tuple[bool, str]:
    """Whether the department is open at *at* (aware), and why, in the department's time zone."""
    if hours.weekly is None and not hours.holidays:
        return True, "no opening hours set"
    local = at.astimezone(ZoneInfo(hours.timezone))
    if local.date().isoformat() in hours.holidays:
        return False, f"holiday {local.date().isoformat()}"
    if hours.weekly is None:
        return True, "open (no weekly hours set)"
    day = DAYS[local.weekday()]
    now = local.strftime("%H:%M")
    for start, end in hours.weekly.get(day, ()):
        if start <= now < end:
            return True, f"open {day} {start}-{end}"
    return False, f"closed {day} {now} {hours.timezone}"


def call_plan(hours: Hours, at: dt.datetime) -> CallPlan:
    """What happens to a call reaching the department at *at*."""
    open_now, why = is_open(hours, at)
    if open_now or hours.out_of_hours == "queue":
        return CallPlan(open_now, "queue", why)
    if hours.out_of_hours == "voicemail":
        return CallPlan(False, "voicemail", why, number=hours.voicemail_number)
    return CallPlan(False, "reject", why, reason=hours.reject_reason)
