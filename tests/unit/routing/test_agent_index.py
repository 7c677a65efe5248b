"""The agent index chooses exactly as the pool scan does, through presence, offer and load changes."""

from __future__ import annotations

import random

import pytest

from routing.agent_index import AgentIndex
from routing.model import AgentState
from routing.selection import STRATEGIES, Need, choose

DEPARTMENTS = ("sales", "service", "complaints")
CHANNELS = ("email", "chat", "call")


def make_agents(rng: random.Random, n: int) -> list[AgentState]:
    return [AgentState(
        user_id=uid, departments=tuple(sorted(set(rng.sample(DEPARTMENTS, rng.choice((1, 2)))))),
        skills={"lang:de": rng.randint(0, 5), "lang:fr": rng.randint(0, 5)},
        capacity={"email": 3, "chat": 2, "call": 1}, presence=rng.choice(("available", "available", "away")),
        idle_since=float(rng.randint(0, 20)), last_offer_at=float(rng.randint(0, 20)),
    ) for uid in range(1, n + 1)]


def change(agent: AgentState, rng: random.Random) -> None:
    what = rng.randrange(6)
    if what == 0:
        agent.presence = rng.choice(("available", "away", "offline"))
    elif what == 1:
        agent.offer = None if agent.offer is not None else rng.randint(1, 99)
    elif what == 2:
        channel = rng.choice(CHANNELS)
        agent.load[channel] = rng.randint(0, agent.capacity[channel])
    elif what == 3:
        agent.idle_since = float(rng.randint(0, 20))
    elif what == 4:
        agent.last_offer_at = float(rng.randint(0, 20))
    else:
        agent.wrap_until = float(rng.randint(0, 20))


@pytest.mark.parametrize("seed", range(8))
def test_index_matches_the_pool_scan(seed):
    """After random in-place changes, every strategy picks the same agent from the index as from the pool."""
    rng = random.Random(seed)
    agents = make_agents(rng, 40)
    index = AgentIndex(agents)
    for _ in range(400):
        agent = rng.choice(agents)
        change(agent, rng)
        index.update(agent)
        skills = rng.choice(({}, {"lang:de": 3}, {"lang:fr": 2, "lang:de": 1}))
        exclude = frozenset(rng.sample(range(1, 41), rng.choice((0, 3))))
        need = Need(rng.choice(CHANNELS), rng.choice(DEPARTMENTS), skills, exclude)
        pool = [a for a in agents if need.department in a.departments]
        now = float(rng.randint(0, 20))
        for strategy in STRATEGIES:
            assert index.choose(strategy, need, now) is choose(strategy, pool, need, now), strategy


def test_busy_agent_is_never_chosen_even_if_not_yet_updated():
    """An agent changed in place without an update is re-checked, so a lagging index never offers them."""
    agent = AgentState(user_id=1, departments=("sales",), capacity={"chat": 1}, presence="available")
    index = AgentIndex([agent])
    agent.offer = 42  # claimed elsewhere; the index has not been told yet
    assert index.choose("longest_idle", Need("chat", "sales"), 0.0) is None
    agent.offer = None
    index.update(agent)
    assert index.choose("longest_idle", Need("chat", "sales"), 0.0) is agent


def test_ready_lists_agents_below_capacity_only():
    """ready() holds the available agents without an offer and below capacity on the channel."""
    a = AgentState(user_id=1, departments=("sales",), capacity={"chat": 1}, presence="available", idle_since=5)
    b = AgentState(user_id=2, departments=("sales",), capacity={"chat": 1}, presence="available", idle_since=1)
    index = AgentIndex([a, b])
    assert index.ready("sales", "chat") == [b, a]
    b.load["chat"] = 1
    index.update(b)
    assert index.ready("sales", "chat") == [a]
