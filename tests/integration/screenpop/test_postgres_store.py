"""The CTI hook and the pop with PostgreSQL as the core store (the multi-instance set-up)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from contact_center.settings import Settings
from contact_center.store.tables import Call, Conversation, CtiEvent
from tests.component.telephony.env import AgentSocket, Pbx, start_world, world_settings

pytestmark = pytest.mark.postgres


async def test_call_flow_on_postgres(start_app: Callable, settings_factory: Callable[..., Settings],
                                     tmp_path: Path, postgres_migrated_url: str) -> None:
    """Concurrent repeats store once; a transfer shares the conversation; the pop arrives."""
    settings = world_settings(settings_factory, tmp_path, database_url=postgres_migrated_url)
    app, users = await start_world(start_app, settings)
    agent = await AgentSocket.open(app, "agent_sales_1")
    async with app.session() as http:
        pbx = Pbx(app, http)
        replies = await asyncio.gather(*(pbx.call("pg-1", "+49301111111") for _ in range(5)))
        assert replies == [(200, {})] * 5
        await pbx.answer("pg-1", "201")
        pop = await agent.next("screen_pop")
        await asyncio.gather(pbx.call("pg-2", "+49301111111", origCallId="pg-1"), pbx.hangup("pg-1", "forwarded"))
        await pbx.answer("pg-2", "201")
        second = await agent.next("screen_pop")
        await pbx.hangup("pg-2")
    assert pop["customer"]["id"] == users["customer:ann"]
    assert second["conversation_id"] == pop["conversation_id"]
    async with app.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Conversation)) == 1
        assert await s.scalar(select(func.count()).select_from(CtiEvent).where(CtiEvent.call_id == "pg-1")) == 3
        legs = {c.call_id: c for c in (await s.execute(select(Call))).scalars()}
    assert legs["pg-2"].orig_call_id == "pg-1"
    assert (legs["pg-1"].missed, legs["pg-2"].state) == (False, "ended")
    await agent.close()
