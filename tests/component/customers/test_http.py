"""Customer REST on the real app: create, link identities, errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from contact_center import keys
from contact_center.settings import Settings
from tests.component.telephony.env import AgentSocket, Pbx, start_world, world_settings


async def test_link_identity_to_the_popped_conversation(
    start_app: Callable, settings_factory: Callable[..., Settings], tmp_path: Path,
) -> None:
    """Linking a caller's new number to a known customer attaches the call and re-pops it."""
    app, users = await start_world(start_app, world_settings(settings_factory, tmp_path))
    agent = await AgentSocket.open(app, "agent_sales_1")
    client = await app.login("agent_sales_1")
    async with app.session() as http:
        pbx = Pbx(app, http)
        await pbx.call("lnk-1", "+49 171 7777777")
        await pbx.answer("lnk-1", "201")
        pop = await agent.next("screen_pop")
        ann = users["customer:ann"]
        resp = await client.post(f"/api/v1/customers/{ann}/identities",
                                 json={"kind": "phone", "value": "0171 7777777", "label": "mobile",
                                       "conversation_id": pop["conversation_id"]})
        doc = await resp.json()
        repop = await agent.next("screen_pop")
    assert resp.status == 200
    assert doc["identity"] == {"kind": "phone", "value": "+491717777777", "label": "mobile"}
    assert repop["customer"]["id"] == ann
    assert repop["sections"]["sales"]["status"] == "ok"
    bad = await client.post(f"/api/v1/customers/{ann}/identities", json={"kind": "phone", "value": "anonymous"})
    assert (bad.status, (await bad.json())["field"]) == (422, "value")
    gone = await client.post("/api/v1/customers/999999/identities", json={"kind": "email", "value": "a@b.org"})
    assert gone.status == 404
    nameless = await client.post("/api/v1/customers", json={"display_name": ""})
    assert (nameless.status, (await nameless.json())["field"]) == (422, "display_name")
    taken = await client.post("/api/v1/customers", json={"display_name": "X", "external_key": "C-1"})
    assert taken.status == 409
    await client.close()
    async with app.session() as anonymous:
        assert (await anonymous.post("/api/v1/customers", json={"display_name": "X"})).status == 401
    assert (await app.app[keys.CUSTOMERS].identify("phone", "+491717777777")).customer_id == ann
    await agent.close()
