"""GET /api/v1/channels: the browser's copy of the channel registry."""

from __future__ import annotations

from contact_center import channels
from tests.conftest import AppStarter, seed_org


async def test_channels_are_served_to_logged_in_users(start_app: AppStarter) -> None:
    """A logged-in user gets every registered channel as the registry describes it; anonymous users 401."""
    ra = await start_app(plugins=[])
    await seed_org(ra.db)
    async with ra.session() as anonymous:
        assert (await anonymous.get("/api/v1/channels")).status == 401
    client = await ra.login("agent_sales_1")
    async with client:
        resp = await client.get("/api/v1/channels")
        assert resp.status == 200
        body = await resp.json()
        doc = await (await client.get("/api/openapi.json")).json()
    assert [c["name"] for c in body["channels"]] == list(channels.NAMES)
    api = next(c for c in body["channels"] if c["name"] == "api")
    assert api == {"name": "api", "label": "Messaging", "identity_kinds": ["phone", "messenger"],
                   "default_capacity": 3, "event": "MessageReceived", "reply": "signed_webhook",
                   "presentation": "messaging", "can_reply": True}
    assert "get" in doc["paths"]["/api/v1/channels"]
