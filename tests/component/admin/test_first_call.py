"""From an empty store to a call that reaches the right agent, through the admin API alone."""

from __future__ import annotations

from tests.component.admin.conftest import AGENT_PASSWORD, expect, first_admin, socket_of
from tests.conftest import RunningApp


async def test_empty_store_to_a_call_reaching_the_agent(empty_app: RunningApp) -> None:
    """First admin -> department with a number -> agent -> PBX: a newCall to that number dials the agent,
    whose desk gets the offer; a call to another department's number dials that department's agent."""
    admin = await first_admin(empty_app)
    try:
        for slug, number, ext, user in (("sales", "+49 30 1111 0000", "201", "anna"),
                                        ("support", "+49 30 2222 0000", "202", "bert")):
            await expect(await admin.post("/api/v1/departments", json={
                "slug": slug, "name": slug.title(), "numbers": [number]}), 201)
            await expect(await admin.post("/api/v1/users", json={
                "username": user, "password": AGENT_PASSWORD, "role": "agent", "extension": ext,
                "departments": [slug]}), 201)
        pbx = await expect(await admin.post("/api/v1/config/pbx", json={"name": "office", "route_inbound": True}),
                           200)
        assert pbx["hook_url"].endswith(f"/api/v1/cti/{pbx['token']}")
        config = await expect(await admin.get("/api/v1/config"), 200)
        assert pbx["token"] not in str(config)  # shown once, never again
    finally:
        await admin.close()
    client = empty_app.session()
    try:
        async with socket_of(empty_app, "bert") as bert, socket_of(empty_app, "anna") as anna:
            await anna.next("presence", presence="available")
            await bert.next("presence", presence="available")
            async with client.post(f"/api/v1/cti/{pbx['token']}", json={
                    "event": "newCall", "callId": "c1", "from": "+4917012345", "to": "+493022220000",
                    "direction": "in"}) as resp:
                assert await resp.json() == {"action": "dial", "number": "202"}
            offer = await bert.next("offer", channel="call")
            assert offer["department"] == "support"
            async with client.post(f"/api/v1/cti/{pbx['token']}", json={
                    "event": "newCall", "callId": "c2", "from": "+4917054321", "to": "+493011110000",
                    "direction": "in"}) as resp:
                assert await resp.json() == {"action": "dial", "number": "201"}
            assert (await anna.next("offer", channel="call"))["department"] == "sales"
    finally:
        await client.close()


async def test_first_run_creates_one_admin_only(empty_app: RunningApp) -> None:
    """The first-run call works once: it needs a good password, then logs the admin in; after that it is refused."""
    client = empty_app.session()
    try:
        assert (await expect(await client.get("/api/v1/setup"), 200)) == {"needs_admin": True}
        weak = await expect(await client.post("/api/v1/setup", json={"username": "root", "password": "password1"}),
                            422)
        assert weak["field"] == "password"
        await expect(await client.post("/api/v1/setup", json={"username": "root", "password": "long-and-Unusual"}),
                     201)
        me = await expect(await client.get("/api/v1/me"), 200)
        assert me["user"]["role"] == "admin"
        assert (await expect(await client.get("/api/v1/setup"), 200)) == {"needs_admin": False}
    finally:
        await client.close()
    stranger = empty_app.session()
    try:
        again = await expect(await stranger.post("/api/v1/setup", json={"username": "evil",
                                                                        "password": "another-Long-one"}), 409)
        assert again["code"] == "conflict"
    finally:
        await stranger.close()
