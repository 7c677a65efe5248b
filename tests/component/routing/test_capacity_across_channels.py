"""Capacity across channels on the real router: a busy channel keeps others away, and a total holds."""

from __future__ import annotations

from tests.component.routing.conftest import BOTH, agent_socket, send_email, services, users


async def _accept(agent, cid):
    offer = await agent.next("offer", conversation_id=cid)
    await agent.request({"type": "offer.accept", "offer_id": offer["offer_id"]})
    await agent.next("assigned", conversation_id=cid)


@BOTH
async def test_a_total_capacity_across_channels_stops_offers(start_routed):
    """With a total of one contact, an agent who holds an email gets no second one; a colleague does."""
    ra = await start_routed(total_capacity=1)
    async with agent_socket(ra, "agent_sales_1") as first:
        await first.next("presence", presence="available")
        cid = await send_email(ra, "I want to buy a router", "Which one?")
        await _accept(first, cid)
        agent = await services(ra).router.reservations.agent(users(ra)["agent_sales_1"])
        assert agent is not None
        assert agent.total_capacity == 1
        async with agent_socket(ra, "agent_sales_2") as second:
            await second.next("presence", presence="available")
            other = await send_email(ra, "I want to buy a switch", "Which one?")
            await _accept(second, other)
        assert first.of("offer", conversation_id=other) == []


@BOTH
async def test_while_on_one_channel_others_wait(start_routed):
    """Configured so that an email in hand keeps further emails away, the agent gets no second email."""
    ra = await start_routed(while_on_channel={"email": ["email"]})
    async with agent_socket(ra, "agent_sales_1") as first:
        await first.next("presence", presence="available")
        cid = await send_email(ra, "I want to buy a router", "Which one?")
        await _accept(first, cid)
        async with agent_socket(ra, "agent_sales_2") as second:
            await second.next("presence", presence="available")
            other = await send_email(ra, "I want to buy a switch", "Which one?")
            await _accept(second, other)
        assert first.of("offer", conversation_id=other) == []
