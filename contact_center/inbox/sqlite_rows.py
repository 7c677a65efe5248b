"""Inserting a batch's rows straight through ``sqlite3``, as SQLAlchemy Core would have inserted them.

In the email writer process every batch inserts a few hundred rows (customers, identities,
conversations, messages with their raw bytes, attachments). Through Core each row's values went
through the compiled statement's parameter machinery (~0.05 ms a message). Here the statement
is fixed SQL text, prepared once and cached by ``sqlite3``; the values are converted by the
column types' own bind processors (JSON, UTC timestamps, booleans, blobs) and Python-side
column defaults fill the columns a row does not name, exactly as Core does for an
``executemany``, so the rows read back identically. Only for a plain ``sqlite3`` connection (the
writer process); under aiosqlite the caller keeps to Core.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Dialect, Table
from sqlalchemy.orm import Session

Convert = Callable[[Any], Any] | None


def driver_sqlite(s: Session) -> sqlite3.Connection | None:
    """The ``sqlite3`` connection under *s* (same transaction), or ``None`` for any other driver."""
    raw = s.connection().connection.driver_connection
    return raw if isinstance(raw, sqlite3.Connection) else None


@dataclass(frozen=True)
class _Plan:
    sql: str
    names: tuple[str, ...]  # the row's own keys, in statement order after the id
    converters: tuple[Convert, ...]
    defaults: tuple[tuple[Callable[[], Any], Convert], ...]  # columns the rows do not name


def _default(col: Column[Any]) -> Callable[[], Any]:
    """The column's Python-side default as a function (a callable one is called per row)."""
    default = col.default
    arg = default.arg  # type: ignore[union-attr]
    if default.is_scalar:  # type: ignore[union-attr]
        return lambda: arg
    return lambda: arg(None)


@functools.lru_cache(maxsize=64)
def _plan(dialect: Dialect, table: Table, keys: tuple[str, ...]) -> _Plan:
    names = tuple(k for k in keys if k != "id")
    filled = [c for c in table.columns if c.name not in keys and not c.primary_key and c.default is not None]
    columns = ["id", *names, *(c.name for c in filled)]
    sql = f'INSERT INTO "{table.name}" ({", ".join(columns)}) VALUES ({", ".join("?" * len(columns))})'
    return _Plan(
        sql=sql,
        names=names,
        converters=tuple(table.c[n].type._cached_bind_processor(dialect) for n in names),
        defaults=tuple((_default(c), c.type._cached_bind_processor(dialect)) for c in filled),
    )


def insert_numbered(
    raw: sqlite3.Connection, dialect: Dialect, table: Table, rows: Sequence[dict[str, Any]]
) -> list[int]:
    """Insert *rows* (every row with the same keys) with ids numbered after the table's largest;
    their ids in order. The caller's transaction must already hold SQLite's write lock."""
    if not rows:
        return []
    plan = _plan(dialect, table, tuple(rows[0]))
    (largest,) = raw.execute(f'SELECT coalesce(max(id), 0) FROM "{table.name}"').fetchone()
    ids = list(range(largest + 1, largest + 1 + len(rows)))
    values = []
    for row_id, row in zip(ids, rows, strict=True):
        row["id"] = row_id
        out = [row_id]
        for name, convert in zip(plan.names, plan.converters, strict=True):
            value = row[name]
            out.append(value if convert is None else convert(value))  # (as Core: None goes through too)
        for make, convert in plan.defaults:
            value = make()
            out.append(value if convert is None else convert(value))
        values.append(out)
    raw.executemany(plan.sql, values)
    return ids
