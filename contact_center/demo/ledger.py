"""Pure: the demo accounting and credit databases, derived from the orders.

Every shipped order is invoiced on its order date and due after the customer's payment terms.
How an invoice gets paid depends on the customer's ``payer`` behaviour:

* ``prompt`` pays within the terms;
* ``late`` pays up to two months after the due date, and sometimes pays part first;
* ``bad`` pays months late or not at all, and sometimes pays part first.

An invoice not paid by *today* is ``open`` while it is not yet due and ``overdue`` after. The
balance is what is still unpaid. Credit status follows: a ``bad`` payer with overdue invoices is
``blocked`` (terms ``prepayment``), anyone else with overdue invoices (or a ``bad`` payer) is on
``watch``, the rest are ``good``. Limits grow with lifetime value.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from contact_center.demo.orders import SalesData
from contact_center.demo.people import DemoCustomer

CURRENCY = "EUR"

# (id, customer_key, number, issued_at, due_at, amount, paid_amount, status)
InvoiceRow = tuple[int, str, str, str, str, float, float, str]
# (id, customer_key, invoice_id, paid_at, amount)
PaymentRow = tuple[int, str, int, str, float]
# (customer_key, balance, currency, updated_at)
BalanceRow = tuple[str, float, str, str]
# (customer_key, credit_limit, currency, terms, status, reviewed_at)
CreditRow = tuple[str, float, str, str, str, str]


@dataclass(frozen=True)
class LedgerData:
    """The rows of the accounting database and the credit database."""

    invoices: list[InvoiceRow]
    payments: list[PaymentRow]
    balances: list[BalanceRow]
    credit: list[CreditRow]


@dataclass
class _Terms:
    days: int
    limit: float


def generate_ledger(customers: list[DemoCustomer], sales: SalesData, seed: int, today: dt.date) -> LedgerData:
    """Invoices, payments, balances and credit accounts for *customers*, deterministic for *seed*."""
    rng = random.Random(f"ledger:{seed}")
    terms = _terms(customers, sales)
    payer = {c.key: c.payer for c in customers}
    today_ord = today.toordinal()
    iso: dict[int, str] = {}

    def day(ordinal: int) -> str:
        text = iso.get(ordinal)
        if text is None:
            text = iso[ordinal] = dt.date.fromordinal(ordinal).isoformat()
        return text

    invoices: list[InvoiceRow] = []
    payments: list[PaymentRow] = []
    unpaid: dict[str, float] = defaultdict(float)
    overdue: set[str] = set()
    for _order_id, key, ordered_at, total, status in sales.orders:
        if status not in ("shipped", "delivered"):
            continue
        issued = dt.date.fromisoformat(ordered_at[:10]).toordinal()
        due = issued + terms[key].days
        paid_on = _payment_day(rng, payer[key], issued, due)
        invoice_id = len(invoices) + 1
        paid = 0.0
        if paid_on <= today_ord:
            paid = total
            payments.append((len(payments) + 1, key, invoice_id, day(paid_on), total))
        elif payer[key] != "prompt" and rng.random() < 0.3 and today_ord - issued > 3:
            paid = round(total * (0.2 + 0.5 * rng.random()), 2)
            partial_on = issued + 1 + int(rng.random() * (today_ord - issued - 1))
            payments.append((len(payments) + 1, key, invoice_id, day(partial_on), paid))
        state = "paid" if paid >= total else ("open" if due >= today_ord else "overdue")
        if state != "paid":
            unpaid[key] += total - paid
        if state == "overdue":
            overdue.add(key)
        number = f"INV-{ordered_at[:4]}-{invoice_id:07d}"
        invoices.append((invoice_id, key, number, day(issued), day(due), total, paid, state))
    stamp = f"{today.isoformat()} 06:00:00"
    balances = [(c.key, round(unpaid.get(c.key, 0.0), 2), CURRENCY, stamp) for c in customers]
    credit = [_credit_row(rng, c, terms[c.key], c.key in overdue, today_ord, day) for c in customers]
    return LedgerData(invoices, payments, balances, credit)


def _terms(customers: list[DemoCustomer], sales: SalesData) -> dict[str, _Terms]:
    """Payment terms and credit limit per customer, from segment and lifetime value."""
    value: dict[str, float] = defaultdict(float)
    for _id, key, _at, total, status in sales.orders:
        if status != "cancelled":
            value[key] += total
    out = {}
    for c in customers:
        ltv = value.get(c.key, 0.0)
        if c.business:
            limit = min(100_000.0, max(5_000.0, round(ltv / 3 / 2_500) * 2_500))
            out[c.key] = _Terms(days=60 if ltv > 50_000 else 30, limit=limit)
        else:
            out[c.key] = _Terms(days=14, limit=min(5_000.0, max(1_000.0, round(ltv / 4 / 500) * 500)))
    return out


def _payment_day(rng: random.Random, payer: str, issued: int, due: int) -> int:
    """The day an invoice is (or will be) paid in full, as a date ordinal."""
    roll = rng.random()
    if payer == "prompt":
        return issued + 1 + int(roll * (due - issued))
    if payer == "late":
        return due + int(roll * 60)
    if roll < 0.15:  # a bad payer never pays this one
        return due + 100_000
    return due + 20 + int(rng.random() * 480)


def _credit_row(
    rng: random.Random, c: DemoCustomer, terms: _Terms, has_overdue: bool, today: int, day: Callable[[int], str]
) -> CreditRow:
    if c.payer == "bad" and has_overdue:
        status, text = "blocked", "prepayment"
    else:
        status = "watch" if has_overdue or c.payer == "bad" else "good"
        text = f"net {terms.days}"
    reviewed = day(today - int(rng.random() * 365))
    return (c.key, terms.limit, CURRENCY, text, status, reviewed)
