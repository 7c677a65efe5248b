"""UTC timestamps on SQLite: the one-step bind processor stores exactly what SQLAlchemy's composed one does."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Column, DateTime, MetaData, Table, create_engine, insert, select, text
from sqlalchemy.dialects import sqlite

from contact_center.store.tables import UTCDateTime

DIALECT = sqlite.dialect()
ZONES = (dt.UTC, dt.timezone(dt.timedelta(hours=5, minutes=30)), dt.timezone(dt.timedelta(hours=-11)))
MOMENTS = (
    dt.datetime(2026, 11, 24, 5, 4, 25, 123456), dt.datetime(2026, 1, 1, 0, 0, 0, 0),
    dt.datetime(1999, 12, 31, 23, 59, 59, 999999), dt.datetime(2, 1, 2, 3, 4, 5, 6), dt.datetime(9999, 12, 30, 1),
)


def composed(value: dt.datetime | None) -> str | None:
    """What SQLAlchemy's TypeDecorator composition (process_bind_param, then DATETIME's processor) stores."""
    impl = DateTime(timezone=True).dialect_impl(DIALECT).bind_processor(DIALECT)
    assert impl is not None
    return impl(UTCDateTime().process_bind_param(value, DIALECT))  # type: ignore[no-any-return]


@pytest.mark.parametrize("moment", MOMENTS)
@pytest.mark.parametrize("zone", ZONES)
def test_sqlite_text_matches_sqlalchemy(moment: dt.datetime, zone: dt.tzinfo) -> None:
    """Every zone and moment (microsecond 0, far past and future) is stored as the composed processors store it."""
    value = moment.replace(tzinfo=zone)
    fast = UTCDateTime().bind_processor(DIALECT)
    assert fast is not None
    assert fast(value) == composed(value)


def test_none_and_naive() -> None:
    """None stays None; a naive datetime is refused, as the composed processors refuse it."""
    fast = UTCDateTime().bind_processor(DIALECT)
    assert fast is not None
    assert fast(None) is None
    with pytest.raises(ValueError, match="naive"):
        fast(dt.datetime(2026, 1, 1))


def test_round_trip_through_sqlite() -> None:
    """A value stored through SQLAlchemy on SQLite reads back as the same instant, timezone-aware UTC."""
    engine = create_engine("sqlite://")
    table = Table("t", MetaData(), Column("at", UTCDateTime()))
    value = dt.datetime(2026, 11, 24, 7, 8, 9, 10, tzinfo=ZONES[1])
    with engine.begin() as conn:
        table.create(conn)
        conn.execute(insert(table), [{"at": value}])
        stored = conn.execute(text("SELECT at FROM t")).scalar_one()
        back = conn.execute(select(table.c.at)).scalar_one()
    assert stored == "2026-11-24 01:38:09.000010"
    assert back == value
    assert back.tzinfo == dt.UTC
