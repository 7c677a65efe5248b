"""The audit log on the spine's group commit, against a store that refuses audit rows (a trigger that
raises), on SQLite and PostgreSQL: a waiting read fails rather than going unrecorded, a queued entry
is retried until the store takes it, and a refused entry never takes its batch-mates down with it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from contact_center.audit import AuditLog
from contact_center.errors import Unavailable
from contact_center.store.migrate import upgrade
from contact_center.store.session import Database
from contact_center.store.tables import Audit

ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
REFUSE = {
    "sqlite": ["CREATE TRIGGER refuse_audit BEFORE INSERT ON audit WHEN NEW.action LIKE 'refused%' "
               "BEGIN SELECT RAISE(ABORT, 'audit refused'); END"],
    "postgresql": [
        "CREATE FUNCTION refuse_audit() RETURNS trigger AS $$ BEGIN "
        "IF NEW.action LIKE 'refused%' THEN RAISE EXCEPTION 'audit refused'; END IF; RETURN NEW; END $$ "
        "LANGUAGE plpgsql",
        "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit FOR EACH ROW EXECUTE FUNCTION refuse_audit()"],
}
ACCEPT = {"sqlite": ["DROP TRIGGER refuse_audit"], "postgresql": ["DROP TRIGGER refuse_audit ON audit"]}


@pytest.fixture(params=ENGINES)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[tuple[str, Database]]:
    """A migrated store of each kind whose ``audit`` table refuses rows whose action starts with 'refused'."""
    if request.param == "postgresql":
        db = Database(request.getfixturevalue("postgres_migrated_url"))
    else:
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'store.db'}")
        await upgrade(db)
    await _run(db, REFUSE[request.param])
    yield request.param, db
    await db.close()


async def _run(db: Database, statements: list[str]) -> None:
    async with db.session() as s:
        for sql in statements:
            await s.execute(text(sql))


async def _actions(db: Database) -> list[str]:
    async with db.session() as s:
        return sorted((await s.execute(select(Audit.action))).scalars())


async def test_a_refused_read_fails_and_its_batch_mates_are_written(store: tuple[str, Database]) -> None:
    """A read whose entry the store refuses raises Unavailable after the timeout (retried until then, not
    dropped silently); entries committed in the same batch are written all the same."""
    _, db = store
    audit = AuditLog(db, write_timeout=3)
    audit.start()
    try:
        results = await asyncio.gather(audit.record(None, action="refused_read"),
                                       audit.record(None, action="read_1"), audit.record(None, action="read_2"),
                                       return_exceptions=True)
        assert isinstance(results[0], Unavailable)
        assert results[1:] == [None, None]
        assert audit.failures >= 2  # refused in its batch and again alone, at least
        assert await _actions(db) == ["read_1", "read_2"]
    finally:
        await audit.close()


async def test_queued_entries_are_retried_until_the_store_takes_them(store: tuple[str, Database]) -> None:
    """Entries queued while the store refuses them are written once it accepts again, each once."""
    kind, db = store
    audit = AuditLog(db, write_timeout=5)
    audit.start()
    try:
        for n in range(3):
            audit.enqueue(action=f"refused_pop_{n}")
        audit.enqueue(action="pop_ok")
        for _ in range(1000):  # each refused entry refused at least twice: waiting, not dropped
            if audit.failures >= 6:
                break
            await asyncio.sleep(0.02)
        assert await _actions(db) == ["pop_ok"]
        await _run(db, ACCEPT[kind])
        await asyncio.wait_for(audit.flush(), 10)
        assert await _actions(db) == ["pop_ok", "refused_pop_0", "refused_pop_1", "refused_pop_2"]
        async with db.session() as s:
            assert (await s.execute(select(func.count()).select_from(Audit))).scalar_one() == 4
    finally:
        await audit.close()
