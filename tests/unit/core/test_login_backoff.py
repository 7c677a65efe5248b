"""The login back-off: free failures, then a doubling wait after the last failure, capped."""

from __future__ import annotations

import datetime as dt

import pytest

from contact_center.auth.throttle import Backoff, Failures, wait_seconds

NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)
RULE = Backoff(free=3, base=30, cap=900)


@pytest.mark.parametrize(("count", "ago", "wait"), [
    (0, None, 0.0),
    (2, 0, 0.0),  # still free
    (3, 0, 30.0),  # the first failure beyond: 30 s
    (4, 0, 60.0),
    (5, 10, 110.0),  # 120 s after the last failure, 10 s gone
    (8, 0, 900.0),  # 960 capped at 900
    (40, 0, 900.0),
    (3, 31, 0.0),  # waited long enough
])
def test_wait_seconds(count: int, ago: int | None, wait: float) -> None:
    """The wait doubles with every failure beyond the free ones, from the last failure, up to the cap."""
    last = None if ago is None else NOW - dt.timedelta(seconds=ago)
    assert wait_seconds(Failures(count=count, last=last), RULE, now=NOW) == wait
