"""The world the browser tests drive: the real app in a background thread, small source databases,
a seeded organisation, a PBX and the test mail servers.

Browser tests are synchronous (Playwright's sync API cannot run inside pytest-asyncio's loop), so
the app runs in its own thread with its own event loop; :meth:`AppThread.call` runs a coroutine
there and waits for its result. Everything listens on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import sqlite3
import threading
import urllib.request
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web
from sqlalchemy import select

from contact_center.app import create_app
from contact_center.customers.repository import CustomerRepository
from contact_center.demo.catalog import BY_SKU, PRODUCTS
from contact_center.demo.sources import (
    ACCOUNTING_SCHEMA,
    CREDIT_SCHEMA,
    SALES_SCHEMA,
    screenpop_suggestions,
    source_definitions,
)
from contact_center.settings import Settings
from contact_center.store.migrate import upgrade
from contact_center.store.session import Database
from contact_center.store.tables import Conversation, Department
from tests.conftest import seed_org

T = TypeVar("T")
PBX_TOKEN = "browser-pbx-token-5150"
# seed_org numbers the departments +4930123450<i>: sales 0, technical support 1, service 2, complaints 3,
# account changes 4. The test rule table routes calls by the line dialled, so no test depends on timing.
ACCOUNTS_LINE, SERVICE_LINE = "+493012345004", "+493012345002"
RULES = (
    ("accounts line", "to", "equals", ACCOUNTS_LINE, "account_changes"),
    ("service line", "to", "equals", SERVICE_LINE, "service"),
    ("sales chat", "chat_topic", "equals", "sales", "sales"),
    ("technical words", "text", "contains_any", ["not working", "broken"], "technical_support"),
)

# The customer whose pop the screenshots show, and a second one for the timeline and pairs.
MARIA = {"name": "Maria Schneider", "company": "Schneider Haustechnik GmbH", "key": "K-10042",
         "phone": "+49 30 5550123", "email": "maria.schneider@example.org"}
JONAS = {"name": "Jonas Weber", "company": None, "key": "K-10077", "phone": "+49 40 5550188",
         "email": "jonas.weber@example.net"}
# Two people on one family landline: a call from it is ambiguous.
SHARED_LINE = "+49 30 5550999"
FISCHERS = ({"name": "Lena Fischer", "company": None, "key": "K-10110", "phone": SHARED_LINE,
             "email": "lena.fischer@example.com"},
            {"name": "Paul Fischer", "company": "Fischer Elektro", "key": "K-10111", "phone": SHARED_LINE,
             "email": "paul@fischer-elektro.example"})
# Maria's earlier contacts (channel, subject, department, disposition, days ago) for the pop's timeline.
MARIA_HISTORY = (
    ("email", "Question about invoice INV-2025-0512", "account_changes", "resolved", 9),
    ("call", None, "technical_support", "follow_up", 23),
    ("chat", "Chat: sales", "sales", "sale", 61),
)

# (order id, customer key, date, status, [(sku, qty)])
ORDERS = (
    (1, "K-10042", "2025-05-12 09:14:00", "delivered", [("RT-300", 1), ("MX-1", 2), ("CB-C6-2", 3)]),
    (2, "K-10042", "2025-03-02 16:40:00", "delivered", [("NAS-2", 1), ("HDD-8", 2)]),
    (3, "K-10042", "2025-06-20 11:05:00", "shipped", [("PH-DECT", 2), ("PH-BASE", 1)]),
    (4, "K-10042", "2024-11-18 10:00:00", "returned", [("CAM-IN", 1)]),
    (5, "K-10042", "2024-08-03 14:22:00", "delivered", [("SW-8", 1), ("CB-C6-10", 4)]),
    (6, "K-10042", "2024-02-27 08:30:00", "delivered", [("SP-6", 2)]),
    (7, "K-10077", "2025-04-01 12:00:00", "delivered", [("RT-300", 1), ("MX-1", 1), ("SV-CARE1", 1)]),
    (8, "K-10090", "2025-01-15 12:00:00", "delivered", [("NAS-2", 1), ("HDD-8", 2), ("UPS-600", 1)]),
    (9, "K-10091", "2025-02-11 12:00:00", "delivered", [("RT-300", 1), ("SV-CARE1", 1), ("SP-6", 1)]),
    (10, "K-10092", "2025-02-12 12:00:00", "delivered", [("NAS-2", 1), ("UPS-600", 1)]),
    (11, "K-10093", "2025-02-13 12:00:00", "delivered", [("PH-DECT", 1), ("PH-DECT2", 2), ("PH-BASE", 1)]),
)
# (id, customer key, number, issued, due, amount, paid, status)
INVOICES = (
    (1, "K-10042", "INV-2025-0311", "2025-03-02", "2025-04-01", 717.00, 717.00, "paid"),
    (2, "K-10042", "INV-2025-0512", "2025-05-12", "2025-06-11", 325.70, 100.00, "overdue"),
    (3, "K-10042", "INV-2025-0620", "2025-06-20", "2025-07-20", 217.00, 0.00, "overdue"),
    (4, "K-10042", "INV-2025-0702", "2025-07-02", "2026-08-01", 59.00, 0.00, "open"),
    (5, "K-10077", "INV-2025-0401", "2025-04-01", "2025-05-01", 266.90, 266.90, "paid"),
)


def write_sources(folder: Path) -> Path:
    """The three demo source databases (demo schemas) with a few curated rows; returns *folder*."""
    folder.mkdir(parents=True, exist_ok=True)
    totals = {o[0]: round(sum(BY_SKU[s].price * q for s, q in o[4]), 2) for o in ORDERS}
    items = [(o[0], BY_SKU[s].id, q, BY_SKU[s].price) for o in ORDERS for s, q in o[4]]
    data: dict[str, tuple[str, list[tuple[str, list[tuple[Any, ...]]]]]] = {
        "sales": (SALES_SCHEMA, [
            ("INSERT INTO products VALUES (?, ?, ?, ?, ?)", [(p.id, p.sku, p.name, p.category, p.price)
                                                              for p in PRODUCTS]),
            ("INSERT INTO orders VALUES (?, ?, ?, ?, ?)", [(o[0], o[1], o[2], totals[o[0]], o[3]) for o in ORDERS]),
            ("INSERT INTO order_items (order_id, product_id, qty, price) VALUES (?, ?, ?, ?)", items),
        ]),
        "accounting": (ACCOUNTING_SCHEMA, [
            ("INSERT INTO invoices VALUES (?, ?, ?, ?, ?, ?, ?, ?)", list(INVOICES)),
            ("INSERT INTO payments VALUES (?, ?, ?, ?, ?)", [
                (1, "K-10042", 1, "2025-03-28 10:00:00", 717.00), (2, "K-10042", 2, "2025-06-30 10:00:00", 100.00),
                (3, "K-10077", 5, "2025-04-20 10:00:00", 266.90)]),
            ("INSERT INTO balances VALUES (?, ?, ?, ?)", [
                ("K-10042", 501.70, "EUR", "2025-07-02 06:00:00"), ("K-10077", 0.0, "EUR", "2025-07-02 06:00:00")]),
        ]),
        "credit": (CREDIT_SCHEMA, [
            ("INSERT INTO credit_accounts VALUES (?, ?, ?, ?, ?, ?)", [
                ("K-10042", 5000.0, "EUR", "net 30", "watch", "2025-01-10"),
                ("K-10077", 1500.0, "EUR", "net 14", "good", "2024-12-01")]),
        ]),
    }
    for name, (schema, inserts) in data.items():
        with sqlite3.connect(folder / f"{name}.db") as conn:
            conn.executescript(schema)
            for sql, rows in inserts:
                conn.executemany(sql, rows)
        conn.close()
    return folder


def write_config(folder: Path, *, extra: str = "") -> Path:
    """A complete TOML configuration (store, PBX, sources, routing, desk) plus *extra* sections."""
    sources = source_definitions(write_sources(folder / "sources"), timeout_ms=2000)
    lines = [
        "[server]", f'data_dir = "{folder.as_posix()}"',
        "[database]", f'url = "sqlite+aiosqlite:///{(folder / "cc.db").as_posix()}"',
        "[[pbx]]", 'name = "main"', f'token = "{PBX_TOKEN}"',
        "[screenpop]", *(f"{k} = {json.dumps(v)}" for k, v in screenpop_suggestions().items()),
        "[routing]", "offer_timeout_seconds = 30", "sweep_interval_seconds = 0.05", "snapshot_interval_seconds = 0.2",
        "wrap_up_seconds = 30", "offline_grace_seconds = 60", 'default_department = "service"',
        *(line for name, fld, op, value, department in RULES for line in (
            "[[routing.rules]]", f"name = {json.dumps(name)}", f"field = {json.dumps(fld)}",
            f"operator = {json.dumps(op)}", f"value = {json.dumps(value)}", f"department = {json.dumps(department)}")),
        "[desk]", "service_level_target = 0.8",
    ]
    for source in sources:
        lines.append("[[sources]]")
        lines.extend(f"{k} = {json.dumps(v)}" for k, v in source.items())
    path = folder / "contact-center.toml"
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


class AppThread:
    """An asyncio loop in a daemon thread; the app and test-side async helpers run in it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="browser-test-app", daemon=True)
        self._thread.start()

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 20.0) -> T:
        """Run *coro* in the app's loop and return its result (re-raising its exception)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        async def cancel_rest() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        self.call(cancel_rest())
        self.call(self.loop.shutdown_asyncgens())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


@dataclass
class World:
    """The running app as the browser tests see it."""

    thread: AppThread
    settings: Settings
    runner: web.AppRunner | None = None
    url: str = ""
    users: dict[str, int] = field(default_factory=dict)
    customers: dict[str, int] = field(default_factory=dict)

    @property
    def app(self) -> web.Application:
        assert self.runner is not None
        return self.runner.app  # type: ignore[return-value]

    async def start(self) -> None:
        """Seed the store first (routing loads its agents at start-up), then serve the app."""
        db = Database(self.settings.database_url)
        try:
            await upgrade(db)
            self.users = await seed_org(db)
            repo = CustomerRepository(db, default_region=self.settings.default_region)
            for who in (MARIA, JONAS, *FISCHERS):
                record = await repo.create(who["name"], company=who["company"], external_key=who["key"],
                                           identities=[("phone", who["phone"], "home" if who in FISCHERS
                                                        else "mobile"), ("email", who["email"], None)])
                self.customers[who["name"]] = record.id
            await self._history(db, self.customers[MARIA["name"]])
        finally:
            await db.close()
        self.runner = web.AppRunner(create_app(self.settings), handle_signals=False, shutdown_timeout=2.0)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}"

    @staticmethod
    async def _history(db: Database, customer_id: int) -> None:
        now = dt.datetime.now(dt.UTC)
        async with db.session() as s:
            departments = {slug: id_ for slug, id_ in (await s.execute(select(Department.slug, Department.id))).all()}
            for n, (channel, subject, department, disposition, days) in enumerate(MARIA_HISTORY):
                at = now - dt.timedelta(days=days)
                address = MARIA["email"] if channel == "email" else "+49305550123" if channel == "call" else None
                s.add(Conversation(channel=channel, external_ref=f"history-{n}", customer_id=customer_id,
                                   department_id=departments[department], status="closed", subject=subject,
                                   contact_address=address, disposition=disposition, created_at=at,
                                   updated_at=at, closed_at=at + dt.timedelta(minutes=12)))

    async def close(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    # ------------------------------------------------------------------ the outside world, played

    def post_json(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        """POST JSON to the app as an outside system would (blocking; call from the test thread)."""
        request = urllib.request.Request(self.url + path, data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"null")

    def cti(self, event: str, **fields: Any) -> Any:
        """Post one CTI event with the configured PBX token; fails the test on a non-200 answer."""
        status, reply = self.post_json(f"/api/v1/cti/{PBX_TOKEN}", {"event": event, **fields})
        assert status == 200, f"CTI {event} answered {status}: {reply}"
        return reply


@contextlib.contextmanager
def served_world(thread: AppThread, folder: Path) -> Iterator[World]:
    """The browser tests' world started in *folder* (for one app per test module), closed after."""
    world = World(thread=thread, settings=Settings.load(write_config(folder), environ={}))
    thread.call(world.start())
    try:
        yield world
    finally:
        thread.call(world.close())
