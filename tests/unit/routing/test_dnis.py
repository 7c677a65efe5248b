"""Dialled numbers find their department by digits, and a department's hours decide what happens to the call."""

from __future__ import annotations

import datetime as dt

import pytest

from contact_center.org.hours import parse_hours
from routing.dnis import department_for_number, digits, plan_for
from routing.store import DepartmentInfo

DEPARTMENTS = {
    "sales": DepartmentInfo(1, "sales", "Sales", None, numbers=("+49 30 1204-5010", "0800 111 222")),
    "service": DepartmentInfo(2, "service", "Service", None, numbers=("+49 30 1204 5020",),
                              hours=parse_hours({"weekly": {"mon": [["08:00", "18:00"]]},
                                                 "out_of_hours": "reject", "reject_reason": "rejected"})),
    "old": DepartmentInfo(3, "old", "Closed down", None, numbers=("+493012045030",), active=False),
}


@pytest.mark.parametrize(("number", "expected"), [
    ("+493012045010", "sales"),
    ("+49 (30) 1204 50 10", "sales"),
    ("0800-111-222", "sales"),
    ("+49-30-1204-5020", "service"),
    ("+493012045030", None),  # an inactive department's number reaches nobody
    ("+493012045099", None),
    ("", None),
    (None, None),
    ("anonymous", None),  # no digits at all
])
def test_department_for_number(number: str | None, expected: str | None) -> None:
    """Numbers are compared by their digits; inactive departments and unknown numbers give None."""
    assert department_for_number(number, DEPARTMENTS) == expected


@pytest.mark.parametrize(("raw", "expected"), [("+49 30 1204-5010", "493012045010"), (None, ""), ("ext. 12", "12")])
def test_digits(raw: str | None, expected: str) -> None:
    """Only the digits of a number count."""
    assert digits(raw) == expected


@pytest.mark.parametrize(("department", "at", "action", "reason"), [
    ("sales", "2026-12-09T03:00:00", "queue", None),  # no hours: always open
    ("service", "2026-12-07T09:00:00", "queue", None),  # Monday, open
    ("service", "2026-12-08T09:00:00", "reject", "rejected"),  # Tuesday, closed
    ("nowhere", "2026-12-08T09:00:00", "queue", None),  # unknown department: queued
])
def test_plan_for(department: str, at: str, action: str, reason: str | None) -> None:
    """The call plan is the department's hours at the given time."""
    plan = plan_for(department, DEPARTMENTS, dt.datetime.fromisoformat(at).replace(tzinfo=dt.UTC))
    assert (plan.action, plan.reason) == (action, reason)
