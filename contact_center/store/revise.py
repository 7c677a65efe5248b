"""Developer tool: regenerate the schema migration from the models.

``python -m contact_center.store.revise`` rewrites ``0001_initial`` (allowed while no release has
shipped); ``python -m contact_center.store.revise --new "message"`` adds a migration on top.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from alembic import command
from sqlalchemy import Connection

from contact_center.store.migrate import MIGRATIONS, alembic_config, upgrade
from contact_center.store.session import Database


async def _revise(message: str, *, initial: bool) -> None:
    versions = MIGRATIONS / "versions"
    if initial:
        for old in versions.glob("*.py"):
            old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'rev.db'}")
        await upgrade(db)

        def _run(conn: Connection) -> None:
            command.revision(alembic_config(conn), message=message, autogenerate=True,
                             rev_id="0001" if initial else None)

        async with db.engine.begin() as conn:
            await conn.run_sync(_run)
        await db.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--new", metavar="MESSAGE", help="add a migration instead of rewriting 0001_initial")
    args = parser.parse_args()
    asyncio.run(_revise(args.new or "initial", initial=args.new is None))


if __name__ == "__main__":
    main()
