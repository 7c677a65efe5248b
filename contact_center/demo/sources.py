"""The three demo source databases: their schemas, how they are written, and the screen-pop queries.

They are separate SQLite files under ``<data_dir>/sources/`` that the product only *reads*,
each keyed by the customer's ``customer.external_key`` (column ``customer_key``, indexed).
Dates are ISO text (``YYYY-MM-DD``; timestamps ``YYYY-MM-DD HH:MM:SS``, UTC), money is REAL
in EUR rounded to cents.

sales.db
    ``products(id INTEGER PK, sku TEXT UNIQUE, name, category, price REAL)``
    ``orders(id INTEGER PK, customer_key TEXT, ordered_at TEXT, total REAL, status TEXT)``
    — status ``processing | shipped | delivered | returned | cancelled``;
    index ``(customer_key, ordered_at)``
    ``order_items(id INTEGER PK, order_id INTEGER, product_id INTEGER, qty INTEGER, price REAL)``
    — indexes on ``order_id`` and ``product_id`` (for "bought together" statistics)

accounting.db
    ``invoices(id INTEGER PK, customer_key, number TEXT UNIQUE, issued_at, due_at, amount REAL,
    paid_amount REAL, status TEXT)`` — status ``open | paid | overdue``; index ``(customer_key, status)``
    ``payments(id INTEGER PK, customer_key, invoice_id, paid_at, amount REAL)`` — index ``customer_key``
    ``balances(customer_key TEXT PK, balance REAL, currency TEXT, updated_at TEXT)`` — one row per customer

credit.db
    ``credit_accounts(customer_key TEXT PK, credit_limit REAL, currency TEXT, terms TEXT, status TEXT,
    reviewed_at TEXT)`` — terms ``net 14 | net 30 | net 60 | prepayment``, status ``good | watch | blocked``

The screen-pop sources (:func:`source_definitions`, written into the demo configuration) run one
query each, with ``:customer_key`` bound:

``sales`` (kind ``rows``)
    :data:`SALES_RECENT` — the last 10 orders, **one row per order line**, newest order first:
    ``order_id, ordered_at, status, order_total, currency, sku, product, category, qty, price``. Group by
    ``order_id`` to show orders. ``history_query`` :data:`SALES_HISTORY` has the same columns for
    every order the customer ever placed.
``accounting`` (kind ``row``)
    :data:`ACCOUNTING` — ``balance, currency, balance_updated_at, overdue_count, overdue_amount,
    last_payment_at, overdue_invoices``; ``overdue_invoices`` is JSON *text* (SQLite
    ``json_group_array``) of at most 20 objects ``{number, issued_at, due_at, amount, open_amount}``,
    oldest due first, ``"[]"`` when none. ``history_query`` :data:`ACCOUNTING_HISTORY` lists every
    invoice: ``number, issued_at, due_at, amount, paid_amount, status``.
``credit`` (kind ``row``)
    :data:`CREDIT` — ``credit_limit, currency, terms, status, reviewed_at``.

Suggestions (``[screenpop]``, :func:`screenpop_suggestions`): :data:`SUGGESTIONS_OWNED` gives the
customer's products (``product`` = product name), :data:`SUGGESTIONS_PAIRS` the co-purchase
counts ``product, other, n`` over all orders (no bound parameter).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from contact_center.demo.catalog import PRODUCTS
from contact_center.demo.ledger import LedgerData
from contact_center.demo.orders import SalesData
from contact_center.settings import SourceSettings

SOURCE_NAMES = ("sales", "accounting", "credit")

SALES_SCHEMA = """
CREATE TABLE products (id INTEGER PRIMARY KEY, sku TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
                       category TEXT NOT NULL, price REAL NOT NULL);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_key TEXT NOT NULL, ordered_at TEXT NOT NULL,
                     total REAL NOT NULL, status TEXT NOT NULL);
CREATE TABLE order_items (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL REFERENCES orders(id),
                          product_id INTEGER NOT NULL REFERENCES products(id), qty INTEGER NOT NULL,
                          price REAL NOT NULL);
"""
SALES_INDEXES = """
CREATE INDEX ix_orders_customer_key ON orders (customer_key, ordered_at);
CREATE INDEX ix_order_items_order_id ON order_items (order_id);
CREATE INDEX ix_order_items_product_id ON order_items (product_id);
"""
ACCOUNTING_SCHEMA = """
CREATE TABLE invoices (id INTEGER PRIMARY KEY, customer_key TEXT NOT NULL, number TEXT NOT NULL UNIQUE,
                       issued_at TEXT NOT NULL, due_at TEXT NOT NULL, amount REAL NOT NULL,
                       paid_amount REAL NOT NULL, status TEXT NOT NULL);
CREATE TABLE payments (id INTEGER PRIMARY KEY, customer_key TEXT NOT NULL,
                       invoice_id INTEGER NOT NULL REFERENCES invoices(id), paid_at TEXT NOT NULL,
                       amount REAL NOT NULL);
CREATE TABLE balances (customer_key TEXT PRIMARY KEY, balance REAL NOT NULL, currency TEXT NOT NULL,
                       updated_at TEXT NOT NULL);
"""
ACCOUNTING_INDEXES = """
CREATE INDEX ix_invoices_customer_key ON invoices (customer_key, status);
CREATE INDEX ix_payments_customer_key ON payments (customer_key);
CREATE INDEX ix_payments_invoice_id ON payments (invoice_id);
"""
CREDIT_SCHEMA = """
CREATE TABLE credit_accounts (customer_key TEXT PRIMARY KEY, credit_limit REAL NOT NULL,
                              currency TEXT NOT NULL, terms TEXT NOT NULL, status TEXT NOT NULL,
                              reviewed_at TEXT NOT NULL);
"""

_LINE_COLUMNS = """o.id AS order_id, o.ordered_at, o.status, o.total AS order_total, 'EUR' AS currency,
       p.sku, p.name AS product, p.category, i.qty, i.price"""

SALES_RECENT = f"""SELECT {_LINE_COLUMNS}
FROM (SELECT id, ordered_at, status, total FROM orders
      WHERE customer_key = :customer_key ORDER BY ordered_at DESC, id DESC LIMIT 10) AS o
JOIN order_items AS i ON i.order_id = o.id
JOIN products AS p ON p.id = i.product_id
ORDER BY o.ordered_at DESC, o.id DESC, i.id"""

SALES_HISTORY = f"""SELECT {_LINE_COLUMNS}
FROM orders AS o
JOIN order_items AS i ON i.order_id = o.id
JOIN products AS p ON p.id = i.product_id
WHERE o.customer_key = :customer_key
ORDER BY o.ordered_at DESC, o.id DESC, i.id"""

ACCOUNTING = """SELECT b.balance, b.currency, b.updated_at AS balance_updated_at,
  (SELECT COUNT(*) FROM invoices
    WHERE customer_key = b.customer_key AND status = 'overdue') AS overdue_count,
  (SELECT ROUND(COALESCE(SUM(amount - paid_amount), 0), 2) FROM invoices
    WHERE customer_key = b.customer_key AND status = 'overdue') AS overdue_amount,
  (SELECT MAX(paid_at) FROM payments WHERE customer_key = b.customer_key) AS last_payment_at,
  (SELECT json_group_array(json_object('number', number, 'issued_at', issued_at, 'due_at', due_at,
                                       'amount', amount, 'open_amount', ROUND(amount - paid_amount, 2)))
     FROM (SELECT number, issued_at, due_at, amount, paid_amount FROM invoices
            WHERE customer_key = b.customer_key AND status = 'overdue'
            ORDER BY due_at LIMIT 20)) AS overdue_invoices
FROM balances AS b
WHERE b.customer_key = :customer_key"""

ACCOUNTING_HISTORY = """SELECT number, issued_at, due_at, amount, paid_amount, status
FROM invoices WHERE customer_key = :customer_key
ORDER BY issued_at DESC, id DESC"""

CREDIT = """SELECT credit_limit, currency, terms, status, reviewed_at
FROM credit_accounts WHERE customer_key = :customer_key"""

# For the screen pop's "what else would suit them" ([screenpop] suggestions_* settings): the
# products a customer owns, and how many orders held each pair of products (about a second
# on 200,000 orders; the screen pop runs it in the background now and then, not per pop).
SUGGESTIONS_OWNED = """SELECT DISTINCT p.name AS product
FROM orders AS o
JOIN order_items AS i ON i.order_id = o.id
JOIN products AS p ON p.id = i.product_id
WHERE o.customer_key = :customer_key AND o.status <> 'cancelled'"""

SUGGESTIONS_PAIRS = """SELECT pa.name AS product, pb.name AS other, COUNT(DISTINCT a.order_id) AS n
FROM order_items AS a
JOIN order_items AS b ON b.order_id = a.order_id AND b.product_id <> a.product_id
JOIN products AS pa ON pa.id = a.product_id
JOIN products AS pb ON pb.id = b.product_id
GROUP BY a.product_id, b.product_id"""

_DEFINITIONS: tuple[tuple[str, str, str, str | None], ...] = (
    # name, title, kind, history query
    ("sales", "Recent purchases", "rows", SALES_HISTORY),
    ("accounting", "Balance and overdue invoices", "row", ACCOUNTING_HISTORY),
    ("credit", "Credit limit and terms", "row", None),
)
_QUERIES = {"sales": SALES_RECENT, "accounting": ACCOUNTING, "credit": CREDIT}
DEFAULT_TIMEOUT_MS = 200


def source_path(sources_dir: Path, name: str) -> Path:
    """The file of source *name* (``sales``, ``accounting`` or ``credit``) in *sources_dir*."""
    return sources_dir / f"{name}.db"


def source_definitions(sources_dir: Path, timeout_ms: int = DEFAULT_TIMEOUT_MS) -> list[dict[str, Any]]:
    """The ``[[sources]]`` entries for the demo databases in *sources_dir* (absolute URLs)."""
    out = []
    for name, title, kind, history in _DEFINITIONS:
        entry: dict[str, Any] = {
            "name": name,
            "title": title,
            "url": f"sqlite+aiosqlite:///{source_path(sources_dir.resolve(), name).as_posix()}",
            "query": _QUERIES[name],
            "timeout_ms": timeout_ms,
            "kind": kind,
        }
        if history:
            entry["history_query"] = history
        out.append(entry)
    return out


def screenpop_suggestions() -> dict[str, str]:
    """The ``[screenpop]`` suggestion settings for the demo sales database."""
    return {
        "suggestions_source": "sales",
        "suggestions_owned_query": SUGGESTIONS_OWNED,
        "suggestions_pairs_query": SUGGESTIONS_PAIRS,
    }


def source_settings(sources_dir: Path, timeout_ms: int = DEFAULT_TIMEOUT_MS) -> tuple[SourceSettings, ...]:
    """The same definitions as :class:`SourceSettings` values (for tests and benchmarks)."""
    return tuple(SourceSettings(**entry) for entry in source_definitions(sources_dir, timeout_ms))


def write_source_databases(sources_dir: Path, sales: SalesData, ledger: LedgerData) -> dict[str, Path]:
    """Write the three databases, each replacing its old file atomically; return their paths.

    Runs synchronously (call it in a thread): plain ``sqlite3`` ``executemany`` with the journal
    off while building, indexes created after the data.
    """
    sources_dir.mkdir(parents=True, exist_ok=True)
    products = [(p.id, p.sku, p.name, p.category, p.price) for p in PRODUCTS]
    plans: dict[str, tuple[str, str, Sequence[tuple[str, Iterable[tuple[Any, ...]]]]]] = {
        "sales": (SALES_SCHEMA, SALES_INDEXES, (
            ("INSERT INTO products VALUES (?, ?, ?, ?, ?)", products),
            ("INSERT INTO orders VALUES (?, ?, ?, ?, ?)", sales.orders),
            ("INSERT INTO order_items (order_id, product_id, qty, price) VALUES (?, ?, ?, ?)", sales.items),
        )),
        "accounting": (ACCOUNTING_SCHEMA, ACCOUNTING_INDEXES, (
            ("INSERT INTO invoices VALUES (?, ?, ?, ?, ?, ?, ?, ?)", ledger.invoices),
            ("INSERT INTO payments VALUES (?, ?, ?, ?, ?)", ledger.payments),
            ("INSERT INTO balances VALUES (?, ?, ?, ?)", ledger.balances),
        )),
        "credit": (CREDIT_SCHEMA, "", (
            ("INSERT INTO credit_accounts VALUES (?, ?, ?, ?, ?, ?)", ledger.credit),
        )),
    }
    paths = {}
    for name, (schema, indexes, inserts) in plans.items():
        paths[name] = _write_one(source_path(sources_dir, name), schema, indexes, inserts)
    return paths


def _write_one(
    path: Path, schema: str, indexes: str, inserts: Sequence[tuple[str, Iterable[tuple[Any, ...]]]]
) -> Path:
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(tmp)
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.executescript(schema)
        with conn:
            for sql, rows in inserts:
                conn.executemany(sql, rows)
        conn.executescript(indexes + "ANALYZE;")
    finally:
        conn.close()
    os.replace(tmp, path)
    return path


def read_marker(sources_dir: Path) -> dict[str, Any] | None:
    """The parameters the databases in *sources_dir* were generated with, or None."""
    try:
        return json.loads((sources_dir / "seed.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_marker(sources_dir: Path, params: dict[str, Any]) -> None:
    """Record the generation parameters, so seeding again with the same ones skips the work."""
    (sources_dir / "seed.json").write_text(json.dumps(params, sort_keys=True), encoding="utf-8")
