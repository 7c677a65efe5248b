"""Retention rules: days per known channel, and the cut-off moment each gives."""

from __future__ import annotations

import datetime as dt

import pytest

from contact_center.errors import ConfigError
from contact_center.privacy.retention import cutoffs, parse_rules

NOW = dt.datetime(2026, 12, 7, tzinfo=dt.UTC)


def test_cutoffs_per_channel() -> None:
    """Call records kept 365 days, email 30: each channel's cut-off is that long before now."""
    rules = parse_rules({"call": 365, "email": 30})
    assert cutoffs(rules, NOW) == {"call": NOW - dt.timedelta(days=365), "email": NOW - dt.timedelta(days=30)}


@pytest.mark.parametrize("raw", [{"fax": 10}, {"call": 0}, {"call": "365"}, {"call": True}, {"email": 1.5}])
def test_bad_rules_are_refused(raw: dict[str, object]) -> None:
    """Unknown channels and periods that are not whole positive days fail the configuration."""
    with pytest.raises(ConfigError):
        parse_rules(raw)
