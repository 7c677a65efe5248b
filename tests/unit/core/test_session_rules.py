"""When a login session is still valid: before its absolute end, and not idle for too long."""

from __future__ import annotations

import datetime as dt

import pytest

from contact_center.auth.sessions import session_alive

NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)
IDLE = dt.timedelta(hours=2)


@pytest.mark.parametrize(("expires_in", "seen_ago", "alive"), [
    (dt.timedelta(hours=1), dt.timedelta(minutes=5), True),
    (dt.timedelta(hours=1), dt.timedelta(hours=2), False),  # idle exactly as long as allowed: over
    (dt.timedelta(hours=1), dt.timedelta(hours=1, minutes=59), True),
    (dt.timedelta(0), dt.timedelta(0), False),  # the absolute end, however busy
    (-dt.timedelta(seconds=1), dt.timedelta(0), False),
    (dt.timedelta(hours=1), None, True),  # a session from before idle tracking
])
def test_session_alive(expires_in: dt.timedelta, seen_ago: dt.timedelta | None, alive: bool) -> None:
    """Expiry ends a session regardless of activity; idleness ends it before expiry."""
    seen = None if seen_ago is None else NOW - seen_ago
    assert session_alive(now=NOW, expires_at=NOW + expires_in, last_seen_at=seen, idle=IDLE) is alive
