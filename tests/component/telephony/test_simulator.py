"""The PBX simulator against the real app: rings, answers and hangs up like a PBX would."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

import routing
from connectors.telephony.simulator import FORMATS, PbxClient, form_pairs, plan_calls, sipgate_reply
from contact_center.cli import build_parser
from contact_center.customers.repository import CustomerRepository, known_phone_numbers
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


def test_the_first_planned_call_is_from_a_known_customer() -> None:
    """However large the unknown share, the first call comes from a known number (a newcomer's first
    call shows a full pop); only an unknown share of 1 makes every caller unknown."""
    for seed in range(20):
        first = plan_calls(["+49301111111"], 3, unknown_share=0.9, missed_share=0, to_number="+4930",
                           rng=random.Random(seed))[0]
        assert first.from_number == "+49301111111"
    everyone = plan_calls(["+49301111111"], 3, unknown_share=1, missed_share=0, to_number="+4930",
                          rng=random.Random(3))
    assert all(c.from_number.startswith("+4915") for c in everyone)


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


@pytest.mark.parametrize("fmt", FORMATS)
async def test_every_wire_format_plays_a_whole_call(
    start_app: Callable, settings_factory: Callable[..., Settings], tmp_path: Path, fmt: str,
) -> None:
    """`simulate --format` plays newCall, answer and hangup in Zammad's JSON, form and multipart forms and as
    sipgate.io (XML replies; answer and hangup sent to the onAnswer/onHangup URL): the agent gets the pop each time."""
    settings = world_settings(settings_factory, tmp_path, public_url="https://cc.example.test")
    app, users = await start_world(start_app, settings)
    agent = await AgentSocket.open(app, "agent_sales_1")
    (call,) = plan_calls(["+49301111111"], 1, unknown_share=0, missed_share=0, to_number="+4930",
                         rng=random.Random(5))
    path = "/api/v1/sipgate" if fmt == "sipgate" else "/api/v1/cti"
    async with aiohttp.ClientSession() as http:
        client = PbxClient(http, f"{app.url}{path}/{TOKEN}", fmt=fmt)
        assert await client.play(call, agent="201", user="agent_sales_1", ring=0, talk=0) == \
            "+49301111111: answered by 201"
    pop = await agent.next("screen_pop")
    assert pop["customer"]["id"] == users["customer:ann"]
    await agent.drain()
    assert {"call_ringing", "screen_pop", "call_ended"} <= {f["type"] for f in agent.seen}
    async with app.db.session() as s:
        row = (await s.execute(select(Call).where(Call.call_id == call.call_id))).scalar_one()
    assert (row.state, row.user_id, row.missed) == ("ended", users["agent_sales_1"], False)
    assert bool(client.notes) is (fmt == "sipgate")  # sipgate.io is told to call back at the public URL
    await agent.close()


@pytest.mark.parametrize(
    ("xml", "reply", "callback"),
    [
        ('<?xml version="1.0"?><Response onAnswer="https://h/a" onHangup="https://h/a"/>', {}, "https://h/a"),
        ('<Response><Reject reason="busy"/></Response>', {"action": "reject", "reason": "busy"}, None),
        ('<Response><Dial callerId="492111234567"><Number>4915799912345</Number></Dial></Response>',
         {"action": "dial", "number": "4915799912345", "caller_id": "492111234567"}, None),
    ],
)
def test_sipgate_replies_are_read(xml: str, reply: dict[str, str], callback: str | None) -> None:
    """The simulator reads sipgate.io's XML replies (README: Response onAnswer/onHangup, Reject, Dial callerId)."""
    assert sipgate_reply(xml) == (reply, callback)


def test_form_pairs_write_lists_as_brackets() -> None:
    """Lists become repeated name[] fields, as Zammad's form samples and sipgate.io post them."""
    assert form_pairs({"event": "newCall", "user": ["A", "B"]}) == [("event", "newCall"), ("user[]", "A"),
                                                                  ("user[]", "B")]


async def test_the_simulator_calls_from_numbers_of_one_customer_each(sqlite_store, tmp_path: Path) -> None:
    """A number two customers share (a company's switchboard) asks the agent who is calling: the
    simulator's known callers leave it out, so its first call always pops a customer (a clean-clone
    run of the newcomer test rang from a shared demo number and got "Who is this?")."""
    customers = CustomerRepository(sqlite_store, default_region="DE")
    await customers.create("Aisha Evans", identities=[("phone", "+4930111000", "work")])
    await customers.create("Amelia Martinez", identities=[("phone", "+4930111000", "work")])
    await customers.create("Maria Schneider", identities=[("phone", "+4930222000", "mobile"),
                                                          ("email", "maria@example.org", None)])
    url = f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"
    assert await known_phone_numbers(url) == ["+4930222000"]
