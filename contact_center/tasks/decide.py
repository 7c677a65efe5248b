"""What tasks do, decided without I/O: whether a missed call asks for a callback, what a callback's
outcome does to it, when a follow-up may be set, and whom a due task returns to.

Pure: values in, values out; the service (:mod:`.service`) loads and applies.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from contact_center.errors import ValidationError

KINDS = ("callback", "follow_up")
#: What an agent records after calling a customer back. The first group ends the callback; the
#: second says the customer was not reached, so the callback may be tried again later.
OUTCOMES_DONE = ("reached", "wrong_number", "not_needed")
OUTCOMES_UNREACHED = ("no_answer", "busy", "voicemail")
OUTCOMES = OUTCOMES_DONE + OUTCOMES_UNREACHED
MAX_AHEAD = dt.timedelta(days=366)  # the furthest a follow-up or a retry may be set
MAX_NOTE = 2000
_CALLABLE = re.compile(r"^\+?\d{3,20}$")


def callable_number(number: str | None) -> str | None:
    """*number* when it can be dialled back (digits, optionally a leading +); else None
    (``anonymous``, ``unknown``, an empty caller id)."""
    if not number:
        return None
    cleaned = number.strip()
    return cleaned if _CALLABLE.match(cleaned) else None


def wants_callback(*, direction: str | None, missed: bool, number: str | None, blocked: bool = False) -> bool:
    """A call asks for a callback when it came in, nobody answered it (hung up in the queue, while
    ringing, or left to voicemail), the caller's number can be dialled and is not blocked."""
    return direction == "in" and missed and not blocked and callable_number(number) is not None


def callback_key(number: str) -> str:
    """The open-task key of a callback to *number*: one open callback per number."""
    return f"callback:{number}"


def follow_up_key(conversation_id: int) -> str:
    """The open-task key of a follow-up on a conversation: one open follow-up per conversation."""
    return f"follow_up:{conversation_id}"


@dataclass(frozen=True)
class OutcomeStep:
    """What recording an outcome does: close the callback, or wait until ``retry_at`` and try again."""

    outcome: str
    close: bool
    retry_at: dt.datetime | None = None


def outcome_step(outcome: str, retry_at: dt.datetime | None, *, now: dt.datetime) -> OutcomeStep:
    """The step for *outcome* (with an optional time to try again).

    Raises:
        ValidationError: an unknown outcome (field ``outcome``), or a retry for a customer who was
            reached, or a retry time not in the future or too far ahead (field ``retry_at``).
    """
    if outcome not in OUTCOMES:
        raise ValidationError("outcome", f"'outcome' must be one of {', '.join(OUTCOMES)}")
    if retry_at is None:
        return OutcomeStep(outcome, close=True)
    if outcome in OUTCOMES_DONE:
        raise ValidationError("retry_at", f"'retry_at' is only for a customer who was not reached ({outcome})")
    check_future("retry_at", retry_at, now=now)
    return OutcomeStep(outcome, close=False, retry_at=retry_at)


def check_future(field: str, at: dt.datetime, *, now: dt.datetime) -> dt.datetime:
    """*at* when it lies ahead of *now*, but not more than a year.

    Raises:
        ValidationError: naming *field*.
    """
    if at <= now:
        raise ValidationError(field, f"'{field}' must be in the future")
    if at - now > MAX_AHEAD:
        raise ValidationError(field, f"'{field}' must be within a year")
    return at


def parse_time(field: str, raw: object) -> dt.datetime:
    """An ISO 8601 time with its offset (``2026-12-08T09:30:00+01:00`` or ``…Z``), as UTC.

    Raises:
        ValidationError: naming *field*: not a string, not ISO 8601, or without an offset.
    """
    if not isinstance(raw, str) or not raw.strip():
        raise ValidationError(field, f"'{field}' must be a date and time such as 2026-12-08T09:30:00+01:00")
    try:
        at = dt.datetime.fromisoformat(raw.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as exc:
        raise ValidationError(field, f"'{field}' is not a date and time: {raw[:40]!r}") from exc
    if at.tzinfo is None:
        raise ValidationError(field, f"'{field}' needs a time zone offset (such as Z or +01:00)")
    return at.astimezone(dt.UTC)


def can_follow_up(status: str) -> bool:
    """A follow-up may be set on a conversation an agent has (or had): assigned, in wrap-up, closed,
    or already pending (the time changes). A waiting or offered contact is taken first."""
    return status in ("assigned", "wrap_up", "closed", "pending")


def returns_to(owner_id: int | None, *, owner_active: bool, owner_departments: tuple[str, ...],
               department: str | None) -> int | None:
    """The agent a due task goes back to first: its owner while they are an active agent of the
    task's department (any department when it has none); None: the department's queue."""
    if owner_id is None or not owner_active:
        return None
    if department is not None and department not in owner_departments:
        return None
    return owner_id
