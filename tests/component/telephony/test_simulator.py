"""The PBX simulator against the real app: rings, answers and hangs up like a PBX would."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import aiohttp
from sqlalchemy import select

import routing
from connectors.telephony.simulator import PbxClient, plan_calls
from contact_center.cli import build_parser
from contact_center.settings import Settings
from contact_center.store.tables import Call
from routing.services import ROUTING
from tests.component.telephony.env import PLUGINS, TOKEN, AgentSocket, add_customers, start_world, world_settings
from tests.conftest import seed_org


def test_plan_calls_mixes_known_unknown_and_missed() -> None:
    """The plan uses known numbers, invents unknown ones and marks a share as missed (seeded)."""
    calls = plan_calls(["+49301111111"], 40, unknown_share=0.5, missed_share=0.25, to_number="+4930",
                       rng=random.Random(7))
    assert {c.from_number for c in calls} > {"+49301111111"}
    assert 0 < sum(c.missed for c in calls) < 40
    assert len({c.call_id for c in calls}) == 40
    nobody_known = plan_calls([], 3, unknown_share=0, missed_share=0, to_number="+4930", rng=random.Random(1))
    assert nobody_known[0].from_number.startswith("+4915")


def test_simulate_is_a_cli_command() -> None:
    """`contact-center simulate` is registered through the commands entry point."""
    args = build_parser().parse_args(["simulate", "--calls", "2", "--agent", "201"])
    assert (args.calls, args.agent, args.command) == (2, "201", "simulate")


async def test_simulated_calls_pop_and_miss(
    start_app: Callable, settings_factory: Callable[..., Settings], tmp_path: Path,
) -> None:
    """An answered simulated call pops on the agent's socket; a missed one is stored as missed."""
    app, users = await start_world(start_app, world_settings(settings_factory, tmp_path))
    agent = await AgentSocket.open(app, "agent_sales_1")
    answered, missed = plan_calls(["+49301111111"], 2, unknown_share=0, missed_share=0, to_number="+4930",
                                  rng=random.Random(3))
    missed = type(missed)(call_id=missed.call_id, from_number="+491719999999", to_number="+4930", missed=True)
    async with aiohttp.ClientSession() as http:
        client = PbxClient(http, f"{app.url}/api/v1/cti/{TOKEN}")
        line = await client.play(answered, agent="201", user="agent_sales_1", ring=0, talk=0)
        assert line == "+49301111111: answered by 201"
        assert await client.play(missed, agent="201", user=None, ring=0, talk=0) == "+491719999999: missed"
    pop = await agent.next("screen_pop")
    assert pop["customer"]["id"] == users["customer:ann"]
    async with app.db.session() as s:
        rows = {c.call_id: c for c in (await s.execute(select(Call))).scalars()}
    assert rows[answered.call_id].user_id == users["agent_sales_1"]
    assert rows[missed.call_id].missed is True
    await agent.close()


async def test_simulate_without_an_agent_rings_whoever_routing_picks_or_says_why_no_pop(
    start_app: Callable, settings_factory: Callable[..., Settings], tmp_path: Path,
) -> None:
    """Out of the box the simulated call is answered by the signed-in agent routing dials, whose
    desk gets the pop; with nobody free in the department, the line says so and how to get a pop."""
    settings = world_settings(settings_factory, tmp_path, main={"route_inbound": True},
                              sections={"telephony": {"director_timeout_ms": 5000}})
    app = await start_app(settings, plugins=[*PLUGINS, ("routing", routing.register)])
    users = await seed_org(app.db)
    customers = await add_customers(app)
    await app.app[ROUTING].router.load_org()
    agent = await AgentSocket.open(app, "agent_sales_1")
    await agent.next("presence")
    answered, nobody = plan_calls(["+49301111111"], 2, unknown_share=0, missed_share=0, to_number="+4930",
                                  rng=random.Random(3))
    async with aiohttp.ClientSession() as http:
        client = PbxClient(http, f"{app.url}/api/v1/cti/{TOKEN}")
        line = await client.play(answered, agent=None, user=None, ring=0, talk=0, queue="sales")
        assert line.startswith("+49301111111: answered by 201")
        pop = await agent.next("screen_pop")
        assert pop["customer"]["id"] == customers["ann"]
        idle = await client.play(nobody, agent=None, user=None, ring=0, talk=0, queue="complaints")
    assert "so no pop appears: sign in at /desk as a demo agent" in idle
    async with app.db.session() as s:
        rows = {c.call_id: c for c in (await s.execute(select(Call))).scalars()}
    assert rows[answered.call_id].user_id == users["agent_sales_1"]
    assert rows[nobody.call_id].user_id is None
    await agent.close()
