"""The supervisor's floor from plain values: who sees and steers which department, the frame cut to
that scope, each agent's time in state and current contact, and a queue's waiting contacts."""

from __future__ import annotations

import pytest

from contact_center.auth.roles import Principal
from contact_center.auth.scope import covers, may_steer, scoped_frame, supervised
from routing.floor import by_agent, current_contact, state_since, waiting_rows
from routing.model import AgentState, ContactState
from routing.reservations import Live
from routing.stats import QueueInfo, snapshot

NOW = 50_000.0


def person(role: str, *departments: str) -> Principal:
    return Principal(id=9, username="p", display_name="P", role=role, extension=None, departments=departments)


@pytest.mark.parametrize(("role", "departments", "scope"), [
    ("admin", (), None),
    ("admin", ("sales",), None),
    ("supervisor", ("sales", "service"), frozenset({"sales", "service"})),
    ("supervisor", (), frozenset()),
    ("agent", ("sales",), frozenset()),
])
def test_supervised_departments(role, departments, scope):
    """Admins: every department (None); supervisors: their own (none without any); agents: none."""
    assert supervised(person(role, *departments)) == scope


@pytest.mark.parametrize(("scope", "departments", "covered"), [
    (None, (), True),
    (frozenset({"sales"}), ("sales", "service"), True),
    (frozenset({"sales"}), ("service",), False),
    (frozenset(), ("sales",), False),
])
def test_covers(scope, departments, covered):
    """An agent in several departments is in the scope of each of them."""
    assert covers(scope, departments) is covered


@pytest.mark.parametrize(("who", "role", "departments", "allowed"), [
    (person("admin"), "supervisor", ("complaints",), True),
    (person("admin"), "agent", (), True),
    (person("supervisor", "sales"), "agent", ("sales",), True),
    (person("supervisor", "sales"), "agent", ("service", "sales"), True),
    (person("supervisor", "sales"), "agent", ("service",), False),
    (person("supervisor", "sales"), "supervisor", ("sales",), False),
    (person("supervisor", "sales"), "admin", ("sales",), False),
    (person("agent", "sales"), "agent", ("sales",), False),
])
def test_may_steer(who, role, departments, allowed):
    """Supervisors steer the agents of their departments only; admins anyone."""
    assert may_steer(who, role, departments) is allowed


FRAME = {
    "type": "queue_snapshot", "at": NOW,
    "queues": [{"queue": "sales.email", "department": "sales", "waiting": 2, "offered": 1, "active": 3,
                "answered": 4, "abandoned": 1},
               {"queue": "service.call", "department": "service", "waiting": 5, "offered": 0, "active": 1,
                "answered": 9, "abandoned": 2}],
    "agents": [{"user_id": 1, "departments": ["sales"]}, {"user_id": 2, "departments": ["service"]},
               {"user_id": 3, "departments": ["service", "sales"]}],
    "totals": {"waiting": 7, "offered": 1, "active": 4, "answered": 13, "abandoned": 3},
}


def test_scoped_frame_keeps_the_supervisors_departments_and_sums_their_totals():
    """A sales supervisor's frame: the sales queue, the agents working sales, totals of sales only."""
    frame = scoped_frame(person("supervisor", "sales"), FRAME)
    assert [q["queue"] for q in frame["queues"]] == ["sales.email"]
    assert [a["user_id"] for a in frame["agents"]] == [1, 3]
    assert frame["totals"] == {"waiting": 2, "offered": 1, "active": 3, "answered": 4, "abandoned": 1}


def test_scoped_frame_leaves_an_admins_frame_and_other_frames_alone():
    """An admin sees the whole frame; a frame that is not a snapshot passes unchanged."""
    assert scoped_frame(person("admin"), FRAME) is FRAME
    other = {"type": "pong"}
    assert scoped_frame(person("supervisor", "sales"), other) is other


def contact(cid: int, **kw) -> ContactState:
    return ContactState(cid, kw.pop("channel", "email"), "sales", kw.pop("queue", "sales.email"), **kw)


@pytest.mark.parametrize(("agent", "mine", "since"), [
    (AgentState(1, presence="away", presence_since=NOW - 60), [], NOW - 60),
    (AgentState(1, presence="offline", presence_since=NOW - 9), [], NOW - 9),
    (AgentState(1, presence="offline"), [], None),  # set before the time was kept
    (AgentState(1, presence="available", load={"email": 2}, presence_since=NOW - 900),
     [contact(5, status="assigned", user_id=1, assigned_at=NOW - 30),
      contact(6, status="assigned", user_id=1, assigned_at=NOW - 120)], NOW - 120),
    (AgentState(1, presence="available", offer=7, last_offer_at=NOW - 4),
     [contact(7, status="offered", offer_user=1)], NOW - 4),
    (AgentState(1, presence="available", idle_since=NOW - 15, presence_since=NOW - 400), [], NOW - 15),
    (AgentState(1, presence="available", idle_since=NOW - 900, presence_since=NOW - 40), [], NOW - 40),
    (AgentState(1, presence="available", wrap_until=NOW + 5, idle_since=NOW + 5), [], None),
])
def test_state_since(agent, mine, since):
    """Away/offline from the presence change, busy from the oldest contact held (or the offer),
    available from the later of becoming available and the last contact's end; wrap-up: None."""
    assert state_since(agent, mine, NOW) == since


def test_current_contact_is_the_latest_taken_else_the_offered_one_with_the_customers_name():
    """The contact taken last wins over older ones and over an offer; the name comes from the store."""
    held = [contact(5, status="assigned", user_id=1, assigned_at=NOW - 30, customer_id=77, subject="Invoice"),
            contact(6, status="assigned", user_id=1, assigned_at=NOW - 120, customer_id=78)]
    shown = current_contact(held, {77: "Maria Schneider"})
    assert shown == {"conversation_id": 5, "channel": "email", "status": "assigned", "customer": "Maria Schneider",
                     "address": None, "subject": "Invoice"}
    offered = current_contact([contact(8, status="offered", offer_user=1, contact_address="a@example.org")], {})
    assert offered is not None
    assert (offered["status"], offered["customer"], offered["address"]) == (
        "offered", None, "a@example.org")
    assert current_contact([], {}) is None


def test_by_agent_groups_held_and_offered_contacts():
    """Assigned contacts go to their agent, offered ones to the agent they ring at; waiting to nobody."""
    grouped = by_agent([contact(1, status="assigned", user_id=4), contact(2, status="offered", offer_user=4),
                        contact(3, status="waiting"), contact(4, status="assigned", user_id=5)])
    assert {user: [c.conversation_id for c in cs] for user, cs in grouped.items()} == {4: [1, 2], 5: [4]}


def test_waiting_rows_list_a_queues_waiting_and_offered_contacts_in_queue_order():
    """Queue order (rank), waiting time, customer name, who an offered one rings at; other queues and
    assigned contacts are left out."""
    contacts = [
        contact(1, rank=5.0, enqueued_at=NOW - 10, customer_id=3, priority=0, reason="no rule matched"),
        contact(2, rank=1.0, enqueued_at=NOW - 70, status="offered", offer_user=4, priority=10),
        contact(3, rank=0.5, status="assigned", user_id=4),
        contact(4, rank=0.1, queue="service.email"),
    ]
    rows = waiting_rows(contacts, "sales.email", now=NOW, names={3: "Jonas Weber"}, agent_names={4: "Anna"})
    assert [r["conversation_id"] for r in rows] == [2, 1]
    assert rows[0]["offered_to"] == {"user_id": 4, "display_name": "Anna"}
    assert rows[0]["waited"] == 70.0
    assert rows[1]["customer"] == {"id": 3, "name": "Jonas Weber"}
    assert rows[1]["offered_to"] is None
    assert (rows[1]["priority"], rows[1]["reason"], rows[1]["status"]) == (0, "no rule matched", "waiting")


def test_the_snapshot_carries_time_in_state_and_the_current_customer_per_agent():
    """Each agent row of the frame has state_since and contact (with the customer's name given)."""
    live = Live([contact(5, status="assigned", user_id=1, assigned_at=NOW - 30, customer_id=77)],
                [AgentState(1, departments=("sales",), capacity={"email": 5}, presence="available",
                            load={"email": 1}),
                 AgentState(2, departments=("sales",), presence="away", presence_since=NOW - 8)])
    frame = snapshot(live, {"sales.email": QueueInfo("sales.email", "sales", "email", 20.0)}, now=NOW,
                     names={77: "Maria Schneider"})
    busy, away = frame["agents"]
    assert (busy["state_since"], busy["contact"]["customer"]) == (NOW - 30, "Maria Schneider")
    assert (away["state_since"], away["contact"]) == (NOW - 8, None)


def test_scoped_frame_cuts_only_what_the_frame_carries():
    """A frame without agents or totals gets none added; its queues are still cut to the scope."""
    frame = {"type": "queue_snapshot", "queues": FRAME["queues"]}
    assert scoped_frame(person("supervisor", "service"), frame) == {"type": "queue_snapshot",
                                                                    "queues": [FRAME["queues"][1]]}
