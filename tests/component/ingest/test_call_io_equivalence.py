"""The SQLite writer process's raw-sqlite3 statements (SqliteIO) store exactly what CoreIO stores.

CoreIO is the plain implementation (the one PostgreSQL runs); SqliteIO is kept for the CTI writer
process because that process measured >= 2x on the cold screen pop's p99 (see BENCHMARKS.md), and
this test is its oracle: the same posts through both, on two fresh SQLite stores, give the same
outcomes and the same rows.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, text

from connectors.telephony.parse import digest, parse_cti
from contact_center.customers.repository import identify_sync, owners_sync
from contact_center.ingest.call_batch import Outcome, Post, apply_batch
from contact_center.ingest.call_io import CoreIO, SqliteIO, SqliteStatements
from contact_center.store.migrate import upgrade
from contact_center.store.session import Database, make_sync_sqlite_engine

T0 = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
VARYING = {"updated_at"}  # the batch's own clock


def _post(n: int, body: dict[str, Any], *, user_id: int | None = None) -> Post:
    event = parse_cti(body)
    return Post(pbx="main", event=event, digest=digest("main", event), reply={}, user_id=user_id,
                from_number=body.get("from"), to_number=body.get("to"), at=T0 + dt.timedelta(seconds=n),
                audit=[{"user_id": user_id, "customer_id": None, "action": "screen_pop", "at": T0,
                        "detail": {"n": n}}] if body["event"] == "answer" else [])


def _batches() -> list[list[Post]]:
    call = {"from": "+4930111111", "to": "+4940222", "direction": "in"}
    shared = {"from": "+4930333333", "to": "+4940222", "direction": "in"}
    return [
        [_post(0, {"event": "newCall", "callId": "c1", **call}),
         _post(1, {"event": "newCall", "callId": "c2", **shared}),
         _post(2, {"event": "answer", "callId": "c1", **call}, user_id=7)],
        [_post(3, {"event": "answer", "callId": "c3", "from": "+4930444444", "to": "+4940222", "direction": "in"},
               user_id=8),  # an answer before its newCall
         _post(4, {"event": "newCall", "callId": "c4", "origCallId": "c1", **call}),  # a transfer of c1
         _post(5, {"event": "hangup", "callId": "c2", "cause": "cancel"}),  # missed
         _post(0, {"event": "newCall", "callId": "c1", **call})],  # a repeat
        [_post(6, {"event": "hangup", "callId": "c1", "cause": "normalClearing"}, user_id=7),
         _post(7, {"event": "dtmf", "callId": "c4", "dtmf": "12"}),
         _post(8, {"event": "newCall", "callId": "c5", "from": "unknown", "to": "+4940222", "direction": "in"})],
    ]


def _seed(conn: Connection) -> None:
    conn.execute(text("""INSERT INTO user_account (id, username, display_name, password_hash, role, skills, capacity,
                         active, created_at) VALUES
                         (7, 'ann', 'Ann', 'x', 'agent', '{}', '{}', 1, '2026-01-01 00:00:00'),
                         (8, 'ben', 'Ben', 'x', 'agent', '{}', '{}', 1, '2026-01-01 00:00:00')"""))
    conn.execute(text("INSERT INTO customer (id, display_name, created_at) VALUES "
                      "(1, 'Ann', '2026-01-01 00:00:00'), (2, 'Bob', '2026-01-01 00:00:00'), "
                      "(3, 'Cy', '2026-01-01 00:00:00')"))
    conn.execute(text("INSERT INTO identity (customer_id, kind, value, created_at) VALUES "
                      "(1, 'phone', '+4930111111', '2026-01-01 00:00:00'), "
                      "(2, 'phone', '+4930333333', '2026-01-01 00:00:00'), "
                      "(3, 'phone', '+4930333333', '2026-01-01 00:00:00')"))


def _rows(conn: Connection) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    for table in ("call", "conversation", "cti_event", "audit"):
        result = conn.execute(text(f'SELECT * FROM "{table}" ORDER BY 1'))
        keep = [i for i, name in enumerate(result.keys()) if name not in VARYING]
        out[table] = [tuple(row[i] for i in keep) for row in result]
    return out


async def _store(path: Path) -> str:
    url = f"sqlite+aiosqlite:///{path}"
    db = Database(url)
    await upgrade(db)
    await db.close()
    return url


@pytest.mark.parametrize("split", [False, True], ids=["batches", "one-by-one"])
async def test_sqliteio_stores_what_coreio_stores(tmp_path: Path, split: bool) -> None:
    """Outcomes and the call, conversation, cti_event and audit rows are equal, column by column."""
    results: list[tuple[list[Outcome], dict[str, list[tuple[Any, ...]]]]] = []
    for name in ("core", "sqlite"):
        engine = make_sync_sqlite_engine(await _store(tmp_path / f"{name}.db"))
        statements = SqliteStatements(engine.dialect)
        outcomes: list[Outcome] = []
        with engine.connect() as conn:
            with conn.begin():
                _seed(conn)
            for batch in _batches():
                for part in ([[p] for p in batch] if split else [batch]):
                    with conn.begin():
                        io = (CoreIO(conn, owners=owners_sync, identify=identify_sync) if name == "core"
                              else SqliteIO(conn, statements, owners=owners_sync, identify=identify_sync))
                        outcomes += apply_batch(io, part)
            results.append((outcomes, _rows(conn)))
        engine.dispose()
    (core_outcomes, core_rows), (sqlite_outcomes, sqlite_rows) = results
    assert sqlite_outcomes == core_outcomes
    assert sqlite_rows == core_rows
    assert len(core_rows["call"]) == 5
    assert any(o.duplicate for o in core_outcomes)
