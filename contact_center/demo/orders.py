"""Pure: deterministic orders and order lines for the demo sales database.

Orders spread over customers very unevenly (a Pareto draw per customer, business customers three
times as active), so a few customers have a high lifetime value and many have one or two orders.
Each order is an anchor product plus companions from :data:`~contact_center.demo.catalog.BUNDLES`.
Rows are plain tuples in the column order of the sales tables, ready for ``executemany``.
"""

from __future__ import annotations

import datetime as dt
import random
from bisect import bisect
from dataclasses import dataclass
from itertools import accumulate

from contact_center.demo.catalog import ANCHOR_WEIGHTS, BUNDLES, BY_SKU, Companion
from contact_center.demo.people import DemoCustomer

HISTORY_DAYS = 3 * 365

# (id, customer_key, ordered_at, total, status)
OrderRow = tuple[int, str, str, float, str]
# (order_id, product_id, qty, price)
ItemRow = tuple[int, int, int, float]


@dataclass(frozen=True)
class SalesData:
    """Everything the sales database holds besides the catalogue."""

    orders: list[OrderRow]
    items: list[ItemRow]


def generate_orders(customers: list[DemoCustomer], count: int, seed: int, today: dt.date) -> SalesData:
    """*count* orders over the three years before *today*, deterministic for *seed*.

    Order ids grow with ``ordered_at`` (like a real shop's), ``status`` is ``delivered`` for
    most, ``processing``/``shipped`` for the last days, and a few ``returned``/``cancelled``.
    """
    if not customers or count <= 0:
        return SalesData([], [])
    rng = random.Random(f"orders:{seed}")
    activity = [min(rng.paretovariate(1.6), 40.0) * (3.0 if c.business else 1.0) for c in customers]
    buyers = rng.choices(customers, cum_weights=list(accumulate(activity)), k=count)
    anchors = {seg: (list(w), list(accumulate(w.values()))) for seg, w in ANCHOR_WEIGHTS.items()}
    days = [(today - dt.timedelta(days=n)).isoformat() for n in range(HISTORY_DAYS + 2)]
    rand = rng.random
    drafts = []
    for buyer in buyers:
        # Skewed towards recent dates (the shop grows); minutes since midnight 07:00-21:59.
        days_ago = 1 + int(HISTORY_DAYS * (1.0 - rand() ** 0.8))
        minute = 420 + int(rand() * 900)
        skus, cum = anchors["business" if buyer.business else "private"]
        anchor = skus[bisect(cum, rand() * cum[-1])]
        drafts.append((-days_ago, minute, buyer.key, _lines(rng, anchor), _status(rand(), days_ago)))
    drafts.sort(key=lambda d: (d[0], d[1]))
    orders: list[OrderRow] = []
    items: list[ItemRow] = []
    for order_id, (neg_days, minute, key, lines, status) in enumerate(drafts, start=1):
        total = 0.0
        for sku, qty in lines:
            product = BY_SKU[sku]
            items.append((order_id, product.id, qty, product.price))
            total += qty * product.price
        at = f"{days[-neg_days]} {minute // 60:02d}:{minute % 60:02d}:00"
        orders.append((order_id, key, at, round(total, 2), status))
    return SalesData(orders, items)


def _lines(rng: random.Random, anchor: str) -> list[tuple[str, int]]:
    lines = [(anchor, 1)]
    companion: Companion
    for companion in BUNDLES.get(anchor, ()):
        if rng.random() < companion.p:
            qty = companion.qty_min + int(rng.random() * (companion.qty_max - companion.qty_min + 1))
            lines.append((companion.sku, qty))
    return lines


def _status(roll: float, days_ago: int) -> str:
    if days_ago <= 1:
        return "processing"
    if days_ago <= 4:
        return "shipped"
    if roll < 0.02:
        return "cancelled"
    if roll < 0.05:
        return "returned"
    return "delivered"
