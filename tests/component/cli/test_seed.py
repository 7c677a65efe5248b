"""``seed``: the demo organisation and customers in the core store, and the three source databases."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import phonenumbers
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from contact_center.demo.seed import SeedReport, seed_demo
from contact_center.demo.sources import source_settings
from contact_center.store.session import Database
from contact_center.store.tables import CHANNELS, Customer, Department, Identity, Queue, User
from tests.component.cli.conftest import CliRunner

SLUGS = {"sales", "technical_support", "service", "complaints", "account_changes"}
TODAY = dt.date(2026, 5, 4)


@pytest.fixture
def db(sqlite_store: Database) -> Database:
    """A migrated SQLite store in tmp_path."""
    return sqlite_store


async def _seed(db: Database, tmp_path: Path) -> SeedReport:
    return await seed_demo(db, tmp_path, customers=150, orders=2000, seed=11, today=TODAY)


def _sql(path: Path, query: str) -> list[tuple]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute(query).fetchall()
    finally:
        conn.close()


async def test_seed_creates_the_organisation(db: Database, tmp_path: Path) -> None:
    """Five departments with phone and email, a queue per channel each, agents, a supervisor and an admin."""
    report = await _seed(db, tmp_path)
    async with db.session() as s:
        deps = (await s.execute(select(Department))).scalars().all()
        queues = set((await s.execute(select(Queue.slug))).scalars())
        users = (await s.execute(select(User))).scalars().all()
    assert {d.slug for d in deps} == SLUGS
    assert {d.name for d in deps} == {"Sales", "Technical support", "Service", "Complaints", "Account changes"}
    assert all(d.phone_number and d.email_address and d.email_address.endswith("@example.com") for d in deps)
    assert queues == {f"{d}.{c}" for d in SLUGS for c in CHANNELS}  # a queue per registered channel
    roles = {u.username: u.role for u in users}
    assert roles["supervisor"] == "supervisor"
    assert roles["admin"] == "admin"
    assert set(report.users_created) == set(roles)
    for slug in SLUGS:
        agents = [u for u in users if u.role == "agent" and slug in {d.slug for d in u.departments}]
        assert 2 <= len(agents) <= 3
        assert all(a.extension and a.skills for a in agents)
    assert len({u.password_hash for u in users}) == 1  # one hash for everyone: seeding stays fast


async def test_seed_creates_customers_with_valid_identities_and_ambiguous_lines(db: Database, tmp_path: Path) -> None:
    """Customers get external keys, E.164 phones valid per phonenumbers, lower-case emails; some share a phone."""
    report = await _seed(db, tmp_path)
    assert report.customers_created == 150
    async with db.session() as s:
        keys = set((await s.execute(select(Customer.external_key))).scalars())
        phones = (await s.execute(select(Identity.value).where(Identity.kind == "phone"))).scalars().all()
        emails = (await s.execute(select(Identity.value).where(Identity.kind == "email"))).scalars().all()
        shared = (await s.execute(
            select(Identity.value).where(Identity.kind == "phone").group_by(Identity.value)
            .having(func.count(func.distinct(Identity.customer_id)) > 1))).scalars().all()
        countries = set((await s.execute(select(Customer.country))).scalars())
    assert len(keys) == 150
    assert "C00000001" in keys
    assert "C00000150" in keys
    assert all(phonenumbers.is_valid_number(phonenumbers.parse(p, None)) and p.startswith("+") for p in phones)
    assert emails
    assert all(e == e.lower() for e in emails)
    assert len(shared) >= 3
    assert len(countries) >= 6


async def test_seed_writes_three_source_databases_keyed_by_customer(db: Database, tmp_path: Path) -> None:
    """sales, accounting and credit are separate files; their customer_keys are the store's external keys."""
    await _seed(db, tmp_path)
    sources = tmp_path / "sources"
    async with db.session() as s:
        keys = set((await s.execute(select(Customer.external_key))).scalars())
    assert _sql(sources / "sales.db", "SELECT COUNT(*) FROM orders") == [(2000,)]
    assert _sql(sources / "sales.db", "SELECT COUNT(*) FROM order_items")[0][0] > 2000
    assert {k for (k,) in _sql(sources / "sales.db", "SELECT DISTINCT customer_key FROM orders")} <= keys
    assert _sql(sources / "sales.db", "SELECT COUNT(*) FROM order_items i LEFT JOIN orders o ON o.id = i.order_id "
                                      "WHERE o.id IS NULL") == [(0,)]
    assert {k for (k,) in _sql(sources / "accounting.db", "SELECT customer_key FROM balances")} == keys
    assert {k for (k,) in _sql(sources / "credit.db", "SELECT customer_key FROM credit_accounts")} == keys
    statuses = dict(_sql(sources / "accounting.db", "SELECT status, COUNT(*) FROM invoices GROUP BY status"))
    assert statuses.get("overdue", 0) > 0
    assert statuses.get("paid", 0) > 0
    credit = dict(_sql(sources / "credit.db", "SELECT status, COUNT(*) FROM credit_accounts GROUP BY status"))
    assert credit.get("blocked", 0) > 0
    assert credit.get("good", 0) > 0
    indexed = {name for (name,) in _sql(sources / "sales.db", "SELECT name FROM sqlite_master WHERE type='index'")}
    assert "ix_orders_customer_key" in indexed


async def test_configured_source_queries_answer_for_a_customer(db: Database, tmp_path: Path) -> None:
    """The screen-pop queries of the demo config return the documented columns for an overdue customer."""
    await _seed(db, tmp_path)
    sources = tmp_path / "sources"
    (key,) = _sql(sources / "accounting.db", "SELECT customer_key FROM invoices WHERE status = 'overdue' "
                                             "GROUP BY customer_key ORDER BY COUNT(*) DESC LIMIT 1")[0]
    results = {}
    for source in source_settings(sources):
        engine = create_async_engine(source.url)
        async with engine.connect() as conn:
            results[source.name] = (await conn.execute(text(source.query), {"customer_key": key})).mappings().all()
            if source.history_query:
                history = (await conn.execute(text(source.history_query), {"customer_key": key})).mappings().all()
                assert len(history) >= len(results[source.name])
        await engine.dispose()
    sales, (accounting,), (credit,) = results["sales"], results["accounting"], results["credit"]
    assert sales
    assert len({r["order_id"] for r in sales}) <= 10
    assert set(sales[0]) == {"order_id", "ordered_at", "status", "order_total", "currency", "sku", "product",
                             "category", "qty", "price"}
    assert accounting["overdue_count"] > 0
    assert accounting["overdue_amount"] > 0
    assert accounting["currency"] == "EUR"
    overdue = json.loads(accounting["overdue_invoices"])
    assert len(overdue) == min(20, accounting["overdue_count"])
    assert set(overdue[0]) == {"number", "issued_at", "due_at", "amount", "open_amount"}
    assert set(credit) == {"credit_limit", "currency", "terms", "status", "reviewed_at"}


async def test_seeding_twice_adds_nothing(db: Database, tmp_path: Path) -> None:
    """A second seed with the same parameters creates no user, customer or identity and keeps the source files."""
    await _seed(db, tmp_path)
    sales_file = tmp_path / "sources" / "sales.db"
    before = sales_file.stat().st_ino
    async with db.session() as s:
        counts = [await s.scalar(select(func.count()).select_from(t)) for t in (Customer, Identity, User, Queue)]
    again = await _seed(db, tmp_path)
    assert (again.users_created, again.customers_created, again.identities_created) == ((), 0, 0)
    assert not again.sources_written
    assert sales_file.stat().st_ino == before
    async with db.session() as s:
        after = [await s.scalar(select(func.count()).select_from(t)) for t in (Customer, Identity, User, Queue)]
    assert after == counts


async def test_seeding_more_customers_extends_the_first_ones(db: Database, tmp_path: Path) -> None:
    """Seeding 150 after 100 adds exactly the 50 new keys, and the source databases are rebuilt for all."""
    await seed_demo(db, tmp_path, customers=100, orders=500, seed=11, today=TODAY)
    report = await _seed(db, tmp_path)
    assert report.customers_created == 50
    assert report.sources_written
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Customer)) == 150
    assert _sql(tmp_path / "sources" / "credit.db", "SELECT COUNT(*) FROM credit_accounts") == [(150,)]


async def test_seed_command_is_idempotent(run_cli: CliRunner, tmp_path: Path) -> None:
    """`contact-center seed` run twice reports nothing new the second time and duplicates nothing."""
    first = await run_cli("seed", "--customers", "40", "--orders", "300")
    assert first.returncode == 0, first.stderr
    assert "customers created: 40" in first.stdout
    assert "source databases written" in first.stdout
    second = await run_cli("seed", "--customers", "40", "--orders", "300")
    assert second.returncode == 0, second.stderr
    assert "customers created: 0" in second.stdout
    assert "source databases unchanged" in second.stdout
    assert "none (all existed)" in second.stdout
    assert _sql(tmp_path / "cc.db", "SELECT COUNT(*) FROM customer") == [(40,)]
    assert _sql(tmp_path / "sources" / "sales.db", "SELECT COUNT(*) FROM orders") == [(300,)]

