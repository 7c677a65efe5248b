"""Agent strategies, eligibility, queue order with aging, and the dispatch plan."""

from __future__ import annotations

import pytest

from routing.model import AgentState, ContactState
from routing.selection import Need, choose, effective_priority, eligible, need_of, plan, queue_rank

NOW = 1000.0


def agent(uid, **kw):
    base = {"departments": ("sales",), "capacity": {"email": 3, "call": 1}, "presence": "available",
            "idle_since": 500.0, "skills": {}}
    return AgentState(user_id=uid, **{**base, **kw})


NEED = Need("email", "sales")


@pytest.mark.parametrize(("changes", "ok"), [
    ({}, True),
    ({"presence": "away"}, False),
    ({"presence": "offline"}, False),
    ({"offer": 17}, False),  # one pending offer at a time
    ({"wrap_until": NOW + 1}, False),
    ({"wrap_until": NOW}, True),
    ({"load": {"email": 3}}, False),  # at capacity on the channel
    ({"load": {"call": 1}}, True),  # other channels do not count
    ({"capacity": {"call": 1}}, False),  # no email capacity at all
])
def test_eligibility(changes, ok):
    """Available, no offer, out of wrap-up, below capacity on the contact's channel."""
    assert eligible(agent(1, **changes), NEED, NOW) is ok


@pytest.mark.parametrize(("skills", "need", "ok"), [
    ({"lang:de": 5}, {"lang:de": 3}, True),
    ({"lang:de": 2}, {"lang:de": 3}, False),
    ({"lang:de": 5}, {"lang:de": 3, "product:router": 1}, False),
    ({}, {}, True),
])
def test_skill_levels(skills, need, ok):
    """Every required skill at least at its level."""
    assert eligible(agent(1, skills=skills), Need("email", "sales", need), NOW) is ok


AGENTS = [
    agent(1, idle_since=300.0, last_offer_at=900.0, load={"email": 2}, skills={"lang:de": 2}),
    agent(2, idle_since=100.0, last_offer_at=950.0, load={"email": 1}, skills={"lang:de": 5}),
    agent(3, idle_since=200.0, last_offer_at=800.0, load={}, skills={"lang:de": 3}),
    agent(4, idle_since=50.0, presence="away", skills={"lang:de": 9}),
    agent(5, idle_since=10.0, departments=("service",)),
]


@pytest.mark.parametrize(("strategy", "need", "expected"), [
    ("longest_idle", NEED, 2),
    ("round_robin", NEED, 3),  # offered least recently
    ("least_occupied", NEED, 3),  # 0 of 4 in use
    ("best_skill", Need("email", "sales", {"lang:de": 1}), 2),
    ("longest_idle", Need("email", "sales", {"lang:de": 3}), 2),
    ("longest_idle", Need("email", "sales", exclude=frozenset({2})), 3),  # 2 declined it lately
    ("longest_idle", Need("email", "service"), 5),
    ("longest_idle", Need("chat", "sales"), None),
])
def test_strategies(strategy, need, expected):
    """Each strategy's choice among the eligible agents of the department."""
    chosen = choose(strategy, AGENTS, need, NOW)
    assert (chosen.user_id if chosen else None) == expected


@pytest.mark.parametrize(("a", "b", "aging", "first"), [
    ((0, 100.0), (0, 101.0), 60, "a"),  # FIFO within a priority
    ((0, 100.0), (1, 101.0), 60, "b"),  # higher priority jumps ahead of a recent arrival ...
    ((0, 100.0), (1, 170.0), 60, "a"),  # ... but not ahead of one that waited longer than a priority step
    ((0, 100.0), (5, 250.0), 60, "b"),
    ((0, 100.0), (5, 450.0), 60, "a"),  # nothing starves: waiting 350 s beats +5 priority at 60 s/step
    ((3, 100.0), (0, 100.0), 0, "a"),  # no aging: priority, then arrival
])
def test_priority_with_aging(a, b, aging, first):
    """Rank = arrival - priority * aging_seconds; the lower rank is served first."""
    rank_a, rank_b = queue_rank(*a, aging), queue_rank(*b, aging)
    assert ("a" if (rank_a, 0) < (rank_b, 1) else "b") == first


def test_effective_priority_grows_with_waiting():
    """For display: a contact gains one priority step per aging period waited."""
    assert effective_priority(1, 100.0, 60.0, 220.0) == pytest.approx(3.0)


def contact(cid, **kw):
    base = {"channel": "email", "department": "sales", "queue": "sales.email", "rank": float(cid)}
    return ContactState(conversation_id=cid, **{**base, **kw})


def test_plan_gives_one_offer_per_agent_in_rank_order_and_skips_unservable():
    """Best rank first; an agent gets one contact per pass; a contact nobody can take does not block."""
    agents = [agent(1, idle_since=1.0), agent(2, idle_since=2.0)]
    waiting = [contact(3), contact(1, skills={"lang:fi": 1}), contact(2), contact(4, dispatch=False)]
    proposals = plan(waiting, {"sales": agents}, strategy_of=lambda q: "longest_idle", now=NOW, reoffer_after=60)
    assert [(p.contact.conversation_id, p.agent.user_id) for p in proposals] == [(2, 1), (3, 2)]


def test_decliners_are_offered_again_after_the_reoffer_delay():
    """An agent who declined is skipped for reoffer_after seconds, then eligible again."""
    c = contact(1, declined={"7": NOW - 10})
    assert need_of(c, now=NOW, reoffer_after=30).exclude == frozenset({7})
    assert need_of(c, now=NOW, reoffer_after=5).exclude == frozenset()
