"""The supervisor snapshot and the customer-data extraction, from plain values."""

from __future__ import annotations

import pytest

from contact_center.sources.result import SectionResult
from routing.customer_data import extract
from routing.model import AgentState, ContactState
from routing.reservations import Counters, Live
from routing.stats import QueueInfo, snapshot

NOW = 10_000.0


def test_snapshot_counts_waiting_longest_wait_service_level_and_agents():
    """Per queue: waiting/offered/active, longest wait, SL = within / (answered + abandoned), ASA, agent states."""
    contacts = [
        ContactState(1, "call", "sales", "sales.call", enqueued_at=NOW - 42),
        ContactState(2, "call", "sales", "sales.call", enqueued_at=NOW - 5, status="offered", offer_user=1),
        ContactState(3, "call", "sales", "sales.call", enqueued_at=NOW - 90, status="assigned", user_id=2),
        ContactState(4, "email", "service", "service.email", enqueued_at=NOW - 7),
    ]
    agents = [
        AgentState(1, departments=("sales",), capacity={"call": 1}, presence="available", offer=2),
        AgentState(2, departments=("sales",), capacity={"call": 1}, presence="available", load={"call": 1}),
        AgentState(3, departments=("sales",), capacity={"call": 1}, presence="available", wrap_until=NOW + 3),
        AgentState(4, departments=("sales",), capacity={"call": 1}, presence="away", reason="lunch"),
        AgentState(5, departments=("sales",), capacity={"email": 5}, presence="available"),
    ]
    live = Live(contacts, agents, {"sales.call": Counters(answered=8, answered_within=6, wait_total=80.0,
                                                          abandoned=2)})
    frame = snapshot(live, {"sales.call": QueueInfo("sales.call", "sales", "call", 20.0)}, now=NOW)
    assert frame["type"] == "queue_snapshot"
    sales, service = frame["queues"]
    assert (sales["waiting"], sales["offered"], sales["active"], sales["longest_wait"]) == (1, 1, 1, 42.0)
    assert sales["service_level"] == pytest.approx(0.6)
    assert sales["asa"] == 10.0
    assert sales["abandoned"] == 2
    assert sales["agents"] == {"available": 0, "busy": 2, "wrap_up": 1, "away": 1, "offline": 0}
    assert service["queue"] == "service.email"
    assert service["service_level"] is None
    assert frame["totals"] == {"waiting": 2, "offered": 1, "active": 1, "answered": 8, "abandoned": 2}
    assert [a["state"] for a in frame["agents"]] == ["busy", "busy", "wrap_up", "away", "available"]


def section(data, status="ok"):
    return SectionResult("x", "X", status, data)


@pytest.mark.parametrize(("spec", "sections", "value"), [
    ("accounting.overdue_amount", {"accounting": section({"overdue_amount": 120.5})}, 120.5),
    ("accounting.overdue_amount", {"accounting": section({"overdue_amount": None})}, None),
    ("accounting.overdue_amount", {"accounting": section(None, "timeout")}, None),
    ("accounting.overdue_amount", {}, None),
    ("sales.order_total/order_id", {"sales": section([
        {"order_id": 1, "order_total": 100.0}, {"order_id": 1, "order_total": 100.0},
        {"order_id": 2, "order_total": 50.0}])}, 150.0),
    ("sales.order_total", {"sales": section([{"order_total": 10}, {"order_total": 5}])}, 15.0),
    ("sales.order_total/order_id", {"sales": section([])}, None),
])
def test_customer_facts_from_source_sections(spec, sections, value):
    """'source.column' reads a row source; '/unique' sums a rows source once per distinct key; missing is None."""
    assert extract(spec, sections) == value
