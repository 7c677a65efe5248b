"""Apply Alembic migrations to the core store (``contact-center migrate`` and at start-up)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text

from contact_center.store.session import Database

MIGRATIONS = Path(__file__).with_name("migrations")
# What the migrations make that the models do not describe, by name prefix: the inbox search's
# FTS5 table on SQLite (and the shadow tables FTS5 keeps beside it), its GIN index on PostgreSQL.
UNMODELLED = {"table": "search_fts", "index": "ix_search_entry_text_fts"}


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's ``include_name`` hook: leave the unmodelled objects out of schema comparisons."""
    prefix = UNMODELLED.get(type_)
    return not (prefix and name is not None and name.startswith(prefix))


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at the packaged migrations (no ``alembic.ini`` needed)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


async def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the store's schema up to *revision*; idempotent."""

    def _run(sync_conn: Connection) -> None:
        command.upgrade(alembic_config(sync_conn), revision)

    async with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Several instances may start at once: one migrates, the others wait for it.
            await conn.execute(text("SELECT pg_advisory_xact_lock(7242001)"))
        await conn.run_sync(_run)
