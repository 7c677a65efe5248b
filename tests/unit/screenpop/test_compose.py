"""Pop composition and co-purchase suggestions (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from contact_center.screenpop.compose import compose_pop, ended_frame, iso, ringing_frame, section_frame
from contact_center.screenpop.suggestions import co_purchase_pairs, owned_from_rows, pairs_from_rows, suggest
from contact_center.sources.result import SectionResult

OK = SectionResult(name="sales", title="Sales", status="ok", data=[{"product": "router"}], fetched_at=0.0,
                   error="hidden")
LATE = SectionResult(name="credit", title="Credit", status="timeout")
CUSTOMER = {"id": 1, "display_name": "Ann"}
CANDIDATES = [{"customer_id": 2, "display_name": "Bob"}, {"customer_id": 3, "display_name": "Cleo"}]


@pytest.mark.parametrize(
    ("customer", "candidates", "expected_customer", "expected_candidates"),
    [
        (CUSTOMER, [], CUSTOMER, []),
        (CUSTOMER, CANDIDATES[:1], CUSTOMER, []),
        (None, CANDIDATES, None, CANDIDATES),
        (None, [], None, []),
    ],
)
def test_compose_pop(customer: dict[str, Any] | None, candidates: list[dict[str, Any]],
                     expected_customer: dict[str, Any] | None, expected_candidates: list[dict[str, Any]]) -> None:
    """The pop has exactly the documented keys; candidates show only while the customer is undecided."""
    pop = compose_pop(call_id="c1", conversation_id=9, channel="call", address="+4930", customer=customer,
                      candidates=candidates, sections={"sales": OK, "credit": LATE}, timeline=[{"channel": "email"}],
                      suggestions=[{"product": "switch"}])
    assert pop == {
        "type": "screen_pop", "call_id": "c1", "conversation_id": 9,
        "contact": {"channel": "call", "address": "+4930"},
        "customer": expected_customer, "candidates": expected_candidates,
        "sections": {
            "sales": {"status": "ok", "title": "Sales", "data": [{"product": "router"}],
                      "fetched_at": "1970-01-01T00:00:00+00:00"},
            "credit": {"status": "timeout", "title": "Credit", "data": None, "fetched_at": None},
        },
        "timeline": [{"channel": "email"}], "suggestions": [{"product": "switch"}],
    }


def test_follow_up_and_call_frames() -> None:
    """Late sections, ringing and ended calls have their own small frames."""
    assert section_frame(call_id=None, conversation_id=4, result=OK) == {
        "type": "screen_pop_section", "call_id": None, "conversation_id": 4, "name": "sales",
        "section": {"status": "ok", "title": "Sales", "data": [{"product": "router"}],
                    "fetched_at": "1970-01-01T00:00:00+00:00"}}
    assert section_frame(call_id="c", conversation_id=4, result=OK, suggestions=[])["suggestions"] == []
    ringing = ringing_frame(call_id="c", conversation_id=4, from_number="+49", to_number="+4930", direction="in",
                            queue=None, customer=None, candidates=CANDIDATES)
    assert (ringing["type"], ringing["candidates"]) == ("call_ringing", CANDIDATES)
    assert ended_frame(call_id="c", conversation_id=4, cause="cancel", missed=True)["missed"] is True
    assert iso(None) is None


ORDERS = [(1, "router"), (1, "cable"), (2, "router"), (2, "switch"), (3, "router"), (3, "switch"),
          (3, "antenna"), (4, "cable"), (4, "antenna"), (4, "cable")]
PAIRS = co_purchase_pairs(ORDERS)


def test_co_purchase_pairs() -> None:
    """Pairs count orders holding both products, each product once per order."""
    assert PAIRS["router"] == {"cable": 1, "switch": 2, "antenna": 1}
    assert PAIRS["cable"] == {"router": 1, "antenna": 1}
    assert pairs_from_rows([{"a": "x", "b": "y", "n": 3}, {"a": "x", "b": "x", "n": 9}]) == {"x": {"y": 3}}


@pytest.mark.parametrize(
    ("owned", "limit", "expected"),
    [
        ([], 5, []),
        (["router"], 5, [("switch", 2, ["router"]), ("antenna", 1, ["router"]), ("cable", 1, ["router"])]),
        (["router", "cable"], 5, [("antenna", 2, ["cable", "router"]), ("switch", 2, ["router"])]),
        (["router", "cable"], 1, [("antenna", 2, ["cable", "router"])]),
        (["router", "cable", "switch", "antenna"], 5, []),
        (["unknown product"], 5, []),
    ],
)
def test_suggest(owned: list[str], limit: int, expected: list[tuple[str, int, list[str]]]) -> None:
    """Products bought with what the customer has, never what they have, strongest first."""
    got = suggest(owned, PAIRS, limit=limit)
    assert [(s["product"], s["score"], s["because"]) for s in got] == expected


def test_owned_from_rows() -> None:
    """The product column (or the first one) of each row, once, in order."""
    assert owned_from_rows([{"product": "a"}, {"product": "b"}, {"product": "a"}, {"sku": "c"}]) == ["a", "b", "c"]
