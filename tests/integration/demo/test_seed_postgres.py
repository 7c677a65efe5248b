"""``seed`` against a real PostgreSQL core store: same organisation, customers and shared lines as on SQLite."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from contact_center.demo.seed import seed_demo
from contact_center.store.session import Database
from contact_center.store.tables import CHANNELS, Customer, Department, Identity, Queue, User

pytestmark = pytest.mark.postgres


async def test_seed_on_postgres_is_complete_and_idempotent(postgres_migrated_url: str, tmp_path: Path) -> None:
    """Bulk inserts work on PostgreSQL, ambiguous phone numbers are stored, and a second run adds nothing."""
    db = Database(postgres_migrated_url)
    try:
        report = await seed_demo(db, tmp_path, customers=80, orders=300, seed=2, today=dt.date(2026, 1, 10))
        again = await seed_demo(db, tmp_path, customers=80, orders=300, seed=2, today=dt.date(2026, 1, 10))
        async with db.session() as s:
            counts = {t.__tablename__: await s.scalar(select(func.count()).select_from(t))
                      for t in (Department, Queue, User, Customer)}
            shared = (await s.execute(
                select(Identity.value).where(Identity.kind == "phone").group_by(Identity.value)
                .having(func.count() > 1))).scalars().all()
    finally:
        await db.close()
    assert report.customers_created == 80
    assert (again.customers_created, again.identities_created, again.users_created) == (0, 0, ())
    assert counts == {"department": 5, "queue": 5 * len(CHANNELS), "user_account": 14, "customer": 80}
    assert shared
