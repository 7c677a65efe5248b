"""The full path on the real app: CTI newCall -> answer -> screen pop on the agent's websocket."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from contact_center import keys
from contact_center.settings import Settings
from contact_center.store.tables import Audit, Call
from tests.component.telephony.env import AgentSocket, Pbx, start_world, world_settings


async def test_known_caller_pop_reaches_the_answering_agent(
    start_app: Callable, settings_factory: Callable[..., Settings], tmp_path: Path,
) -> None:
    """Ann calls, extension 201 answers: the pop carries her sections, timeline and suggestions."""
    app, users = await start_world(start_app, world_settings(settings_factory, tmp_path))
    await app.app[keys.SCREENPOP].pairs_loaded.wait()
    agent = await AgentSocket.open(app, "agent_sales_1")
    async with app.session() as http:
        pbx = Pbx(app, http)
        assert await pbx.call("call-1", "030 1111111") == (200, {})
        assert await pbx.answer("call-1", "201") == (200, {})
        pop = await agent.next("screen_pop")
        assert await pbx.hangup("call-1") == (200, {})
    assert pop["call_id"] == "call-1"
    assert pop["customer"]["id"] == users["customer:ann"]
    assert pop["customer"]["display_name"] == "Ann Example"
    assert pop["candidates"] == []
    assert pop["contact"] == {"channel": "call", "address": "+49301111111"}
    assert pop["sections"]["sales"]["status"] == "ok"
    assert [r["product"] for r in pop["sections"]["sales"]["data"]] == ["router", "cable"]
    assert pop["sections"]["accounting"]["data"] == {"balance": 120.5, "overdue": 1}
    assert pop["sections"]["credit"]["data"] == {"credit_limit": 5000.0, "terms": "net 30"}
    assert pop["sections"]["credit"]["title"] == "Credit"
    assert pop["sections"]["sales"]["fetched_at"].endswith("+00:00")
    assert pop["suggestions"] == [
        {"product": "antenna", "score": 2, "because": ["cable", "router"]},
        {"product": "switch", "score": 2, "because": ["router"]},
    ]
    ended = await agent.next("call_ended")
    assert ended["missed"] is False
    await app.app[keys.SCREENPOP].audit.flush()
    async with app.db.session() as s:
        audit = (await s.execute(select(Audit).where(Audit.action == "screen_pop"))).scalars().all()
        call = (await s.execute(select(Call).where(Call.call_id == "call-1"))).scalar_one()
    assert [(a.user_id, a.customer_id) for a in audit] == [(users["agent_sales_1"], users["customer:ann"])]
    assert audit[0].detail["call_id"] == "call-1"
    assert call.user_id == users["agent_sales_1"]
    assert call.state == "ended"
    assert call.missed is False
    assert call.waiting_seconds is not None
    assert call.talking_seconds is not None
    await agent.close()
