"""``contact-center seed``: the demo organisation, customers and the three source databases.

Idempotent: departments, queues and users are created when missing; customers are matched by
``external_key`` (the same seed always generates the same customer for the same key), so a second
run adds nothing; the source databases are rebuilt only when the generation parameters changed
(``sources/seed.json``), and then replaced atomically.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from contact_center.demo.ledger import generate_ledger
from contact_center.demo.orders import generate_orders
from contact_center.demo.org import DEMO_PASSWORD, seed_org
from contact_center.demo.people import DemoCustomer, customer_key, generate_customers
from contact_center.demo.sources import SOURCE_NAMES, read_marker, source_path, write_marker, write_source_databases
from contact_center.store.session import Database
from contact_center.store.tables import Customer, Department, Identity, utcnow

DEFAULT_CUSTOMERS = 3_000
ORDERS_PER_CUSTOMER = 10
_CHUNK = 2_000
_FORMAT = 1  # bump when the generated data changes shape, so old source files are rebuilt


@dataclass(frozen=True)
class SeedReport:
    """What one seed run did."""

    users_created: tuple[str, ...]
    customers_created: int
    identities_created: int
    sources_dir: Path
    sources_written: bool
    orders: int


def sources_dir_for(data_dir: Path) -> Path:
    """Where the demo source databases live for *data_dir*."""
    return data_dir / "sources"


async def seed_demo(
    db: Database,
    data_dir: Path,
    *,
    customers: int = DEFAULT_CUSTOMERS,
    orders: int | None = None,
    seed: int = 1,
    password: str = DEMO_PASSWORD,
    today: dt.date | None = None,
) -> SeedReport:
    """Seed the core store behind *db* and write the source databases under *data_dir*.

    Args:
        orders: how many orders in the sales database; ten per customer when None.
        today: the date the history ends at (UTC today by default).
    """
    order_count = ORDERS_PER_CUSTOMER * customers if orders is None else orders
    day = today or dt.datetime.now(dt.UTC).date()
    people = await asyncio.to_thread(generate_customers, customers, seed)
    users = await seed_org(db, password)
    folder = sources_dir_for(data_dir)
    params = {"format": _FORMAT, "seed": seed, "customers": customers, "orders": order_count}
    written, (created, identities) = await asyncio.gather(
        asyncio.to_thread(_build_sources, folder, people, params, day),
        _insert_customers(db, people),
    )
    return SeedReport(tuple(users), created, identities, folder, written, order_count)


async def is_seeded(db: Database, data_dir: Path) -> bool:
    """True when the demo organisation, customers and source databases are all there."""
    folder = sources_dir_for(data_dir)
    if read_marker(folder) is None or not all(source_path(folder, n).exists() for n in SOURCE_NAMES):
        return False
    async with db.session() as s:
        deps = await s.scalar(select(func.count()).select_from(Department).where(Department.slug == "sales"))
        first = await s.scalar(select(func.count()).select_from(Customer).where(
            Customer.external_key == customer_key(0)))
    return bool(deps) and bool(first)


def _build_sources(folder: Path, people: list[DemoCustomer], params: dict[str, Any], today: dt.date) -> bool:
    if read_marker(folder) == params and all(source_path(folder, n).exists() for n in SOURCE_NAMES):
        return False
    sales = generate_orders(people, params["orders"], params["seed"], today)
    ledger = generate_ledger(people, sales, params["seed"], today)
    write_source_databases(folder, sales, ledger)
    write_marker(folder, params)
    return True


async def _insert_customers(db: Database, people: list[DemoCustomer]) -> tuple[int, int]:
    """Insert the customers (and their identities) not in the store yet; return both counts."""
    async with db.session() as s:
        known = set((await s.execute(select(Customer.external_key).where(Customer.external_key.is_not(None))))
                    .scalars())
        new = [p for p in people if p.key not in known]
        if not new:
            return 0, 0
        now = utcnow()
        rows = [{"display_name": p.display_name, "company": p.company, "external_key": p.key,
                 "country": p.country, "language": p.language, "created_at": now} for p in new]
        for start in range(0, len(rows), _CHUNK):
            await s.execute(insert(Customer), rows[start:start + _CHUNK])
        wanted = {p.key for p in new}
        ids = {key: cid for cid, key in await s.execute(select(Customer.id, Customer.external_key))
               if key in wanted}
        idents = [{"customer_id": ids[p.key], "kind": "phone", "value": number, "label": label, "created_at": now}
                  for p in new for number, label in p.phones]
        idents += [{"customer_id": ids[p.key], "kind": "email", "value": email, "label": None, "created_at": now}
                   for p in new for email in p.emails]
        for start in range(0, len(idents), _CHUNK):
            await s.execute(insert(Identity), idents[start:start + _CHUNK])
    return len(new), len(idents)
