"""Which department a dialled number (DNIS) belongs to, and what its opening hours say. Pure.

A department lists the numbers customers dial to reach it; a call to one of them is suggested to
that department (a routing rule can still send it elsewhere: IVR digits, an open complaint).
Numbers are compared by their digits, so ``+49 30 1204-5010`` and ``+493012045010`` agree.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from contact_center.org.hours import CallPlan, call_plan
from routing.store import DepartmentInfo

_NOT_DIGITS = re.compile(r"\D")


def digits(number: str | None) -> str:
    return _NOT_DIGITS.sub("", number or "")


def department_for_number(number: str | None, departments: Mapping[str, DepartmentInfo]) -> str | None:
    """The active department whose numbers include *number*, or None."""
    wanted = digits(number)
    if not wanted:
        return None
    for slug, info in departments.items():
        if info.active and any(digits(n) == wanted for n in info.numbers):
            return slug
    return None


def plan_for(department: str, departments: Mapping[str, DepartmentInfo], at: dt.datetime) -> CallPlan:
    """What happens to a call for *department* at *at* (queue it, voicemail, or reject)."""
    info = departments.get(department)
    if info is None:
        return CallPlan(True, "queue", "unknown department: queued")
    return call_plan(info.hours, at)
