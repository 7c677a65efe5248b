"""Pure demo generators: orders with real bundles, invoices and credit consistent with them."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

import pytest

from contact_center.demo.catalog import BUNDLES, BY_SKU, PRODUCTS
from contact_center.demo.ledger import LedgerData, generate_ledger
from contact_center.demo.orders import SalesData, generate_orders
from contact_center.demo.people import DemoCustomer, generate_customers

TODAY = dt.date(2026, 3, 15)


@pytest.fixture(scope="module")
def people() -> list[DemoCustomer]:
    """Four hundred demo customers."""
    return generate_customers(400, seed=5)


@pytest.fixture(scope="module")
def sales(people: list[DemoCustomer]) -> SalesData:
    """Six thousand orders for them."""
    return generate_orders(people, 6000, seed=5, today=TODAY)


@pytest.fixture(scope="module")
def ledger(people: list[DemoCustomer], sales: SalesData) -> LedgerData:
    """Their accounting and credit rows."""
    return generate_ledger(people, sales, seed=5, today=TODAY)


def test_orders_are_deterministic(people: list[DemoCustomer], sales: SalesData) -> None:
    """The same customers, count, seed and day give the same orders and lines."""
    assert generate_orders(people, 6000, seed=5, today=TODAY) == sales
    assert generate_orders(people, 6000, seed=6, today=TODAY) != sales


def test_orders_are_chronological_before_today_and_totals_match_lines(sales: SalesData) -> None:
    """Ids grow with ordered_at, every order is before today, and its total is the sum of its lines."""
    assert len(sales.orders) == 6000
    stamps = [o[2] for o in sales.orders]
    assert stamps == sorted(stamps)
    assert stamps[-1] < TODAY.isoformat()
    assert stamps[0] >= (TODAY - dt.timedelta(days=3 * 365 + 1)).isoformat()
    totals: dict[int, float] = defaultdict(float)
    for order_id, _product, qty, price in sales.items:
        totals[order_id] += qty * price
    assert all(abs(totals[o[0]] - o[3]) < 0.01 for o in sales.orders)
    assert {o[4] for o in sales.orders} <= {"processing", "shipped", "delivered", "returned", "cancelled"}


def test_bundles_make_co_purchases_meaningful(sales: SalesData) -> None:
    """A mesh extender is far more likely in an order with a Wi-Fi 6 router than in orders overall."""
    by_order: dict[int, set[str]] = defaultdict(set)
    sku_of = {p.id: p.sku for p in PRODUCTS}
    for order_id, product_id, _qty, _price in sales.items:
        by_order[order_id].add(sku_of[product_id])
    router_orders = [skus for skus in by_order.values() if "RT-300" in skus]
    with_mesh = sum("MX-1" in skus for skus in router_orders) / len(router_orders)
    overall = sum("MX-1" in skus for skus in by_order.values()) / len(by_order)
    assert with_mesh > 0.4
    assert with_mesh > 3 * overall


def test_bundle_table_only_names_catalogue_products() -> None:
    """Every anchor and companion in the bundle table exists in the catalogue."""
    for anchor, companions in BUNDLES.items():
        assert anchor in BY_SKU
        assert all(c.sku in BY_SKU and 0 < c.p <= 1 and 1 <= c.qty_min <= c.qty_max for c in companions)


def test_lifetime_value_is_uneven(people: list[DemoCustomer], sales: SalesData) -> None:
    """A few customers order far more than the median one (high lifetime value exists)."""
    per = Counter(o[1] for o in sales.orders)
    counts = sorted(per.values())
    assert counts[-1] > 5 * counts[len(counts) // 2]


def test_invoice_states_follow_the_dates(sales: SalesData, ledger: LedgerData) -> None:
    """Paid invoices are fully paid; open ones are not yet due; overdue ones are past due and not fully paid."""
    states = Counter(i[7] for i in ledger.invoices)
    assert states["paid"]
    assert states["open"]
    assert states["overdue"]
    for _id, _key, _number, issued, due, amount, paid, state in ledger.invoices:
        assert issued <= due
        if state == "paid":
            assert paid == amount
        elif state == "open":
            assert due >= TODAY.isoformat()
            assert paid < amount
        else:
            assert due < TODAY.isoformat()
            assert paid < amount
    invoiced = {o[0] for o in sales.orders if o[4] in ("shipped", "delivered")}
    assert len(ledger.invoices) == len(invoiced)


def test_payments_and_balances_add_up(people: list[DemoCustomer], ledger: LedgerData) -> None:
    """Payments sum to what invoices show as paid; each balance is the customer's unpaid amount."""
    paid_per_invoice: dict[int, float] = defaultdict(float)
    for _id, _key, invoice_id, _at, amount in ledger.payments:
        paid_per_invoice[invoice_id] += amount
    unpaid: dict[str, float] = defaultdict(float)
    for invoice_id, key, _n, _i, _d, amount, paid, _s in ledger.invoices:
        assert abs(paid_per_invoice.get(invoice_id, 0.0) - paid) < 0.01
        unpaid[key] += amount - paid
    assert len(ledger.balances) == len(people)
    for key, balance, currency, _at in ledger.balances:
        assert currency == "EUR"
        assert abs(balance - unpaid.get(key, 0.0)) < 0.01


def test_credit_status_follows_payment_behaviour(people: list[DemoCustomer], ledger: LedgerData) -> None:
    """Blocked accounts are bad payers with overdue invoices on prepayment; good ones have nothing overdue."""
    overdue = {i[1] for i in ledger.invoices if i[7] == "overdue"}
    payer = {p.key: p.payer for p in people}
    statuses = Counter(c[4] for c in ledger.credit)
    assert statuses["good"]
    assert statuses["watch"]
    assert statuses["blocked"]
    for key, limit, _cur, terms, status, _reviewed in ledger.credit:
        assert limit >= 1000
        if status == "blocked":
            assert payer[key] == "bad"
            assert key in overdue
            assert terms == "prepayment"
        elif status == "good":
            assert key not in overdue
            assert terms.startswith("net ")
