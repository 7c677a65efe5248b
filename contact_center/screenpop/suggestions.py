"""Pure "what else would suit them": products bought together with what the customer has.

The co-purchase table maps a product to the products bought in the same orders and how often.
It is computed once from the sales source (in SQL, or here from order lines) and refreshed now
and then; the per-customer part is a dictionary walk, cheap enough for every pop.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

Pairs = Mapping[str, Mapping[str, int]]


def co_purchase_pairs(order_lines: Iterable[tuple[Any, Any]]) -> dict[str, dict[str, int]]:
    """Count, for every product, how many orders also held each other product.

    *order_lines* are ``(order_id, product)`` pairs in any order; a product twice in one order
    counts once.
    """
    orders: dict[Any, set[str]] = defaultdict(set)
    for order_id, product in order_lines:
        if product is not None:
            orders[order_id].add(str(product))
    pairs: dict[str, dict[str, int]] = defaultdict(dict)
    for products in orders.values():
        for a in products:
            row = pairs[a]
            for b in products:
                if a != b:
                    row[b] = row.get(b, 0) + 1
    return dict(pairs)


def pairs_from_rows(rows: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, int]]:
    """Read a co-purchase table from rows ``(product, other, n)`` (by position)."""
    pairs: dict[str, dict[str, int]] = defaultdict(dict)
    for row in rows:
        a, b, n = list(row.values())[:3]
        if a is not None and b is not None and a != b:
            pairs[str(a)][str(b)] = pairs[str(a)].get(str(b), 0) + int(n or 0)
    return dict(pairs)


def owned_from_rows(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """The product of each row (a ``product`` column, else the first column), first seen first."""
    seen: dict[str, None] = {}
    for row in rows:
        value = row.get("product", next(iter(row.values()), None))
        if value is not None:
            seen[str(value)] = None
    return list(seen)


def suggest(owned: Iterable[str], pairs: Pairs, *, limit: int = 5) -> list[dict[str, Any]]:
    """The products most often bought together with *owned* that the customer lacks.

    Each suggestion is ``{"product", "score", "because"}``: the summed co-purchase count and
    the owned products (at most three, strongest first) that led to it. Ties break by name.
    """
    have = set(owned)
    scores: dict[str, int] = defaultdict(int)
    reasons: dict[str, dict[str, int]] = defaultdict(dict)
    for product in have:
        for other, n in pairs.get(product, {}).items():
            if other not in have and n > 0:
                scores[other] += n
                reasons[other][product] = n
    best = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return [
        {"product": p, "score": s,
         "because": [o for o, _ in sorted(reasons[p].items(), key=lambda i: (-i[1], i[0]))[:3]]}
        for p, s in best
    ]
