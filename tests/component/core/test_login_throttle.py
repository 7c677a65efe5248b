"""Login throttling cannot be turned against the real user: guesses from elsewhere slow down, the
user's own desk still logs in; every attempt is kept for admins to read."""

from __future__ import annotations

from collections.abc import Callable

import aiohttp

from contact_center.settings import Settings
from tests.conftest import PASSWORD, AppStarter, RunningApp, seed_org

DESK, ATTACKER, ELSEWHERE = "198.51.100.10", "203.0.113.66", "192.0.2.44"


async def _login(app: RunningApp, client: aiohttp.ClientSession, address: str, password: str) -> aiohttp.ClientResponse:
    # The test talks to the app from loopback, a trusted proxy: X-Forwarded-For names the client.
    return await client.post("/api/v1/auth/login", json={"username": "agent_sales_1", "password": password},
                             headers={"X-Forwarded-For": address})


async def test_guessing_from_elsewhere_does_not_lock_out_the_user(
        start_app: AppStarter, settings_factory: Callable[..., Settings]) -> None:
    """After many failures from an attacker's address, the attacker and unknown addresses wait, the desk logs in."""
    app = await start_app(settings_factory(login_max_failures=2), plugins=[])
    await seed_org(app.db)
    async with app.session() as client:
        assert (await _login(app, client, DESK, PASSWORD)).status == 200  # the user's usual desk
        statuses = [(await _login(app, client, ATTACKER, "guess")).status for _ in range(5)]
        assert statuses[:2] == [401, 401]
        assert 429 in statuses[2:]  # back-off: the attacker must wait
        throttled = await _login(app, client, ATTACKER, PASSWORD)
        assert throttled.status == 429  # even with the right password, from the attacker's address
        assert int(throttled.headers["Retry-After"]) >= 1
        assert (await _login(app, client, ELSEWHERE, PASSWORD)).status == 429  # the account slows unknown addresses
        assert (await _login(app, client, DESK, PASSWORD)).status == 200  # not the real user at their desk
    async with await app.login("admin") as admin:
        attempts = (await (await admin.get("/api/v1/auth/login-attempts",
                                           params={"username": "agent_sales_1", "ok": "false"})).json())["attempts"]
        assert {a["remote"] for a in attempts} == {ATTACKER}
        assert len(attempts) == statuses.count(401)  # refused attempts are not counted as failures
        async with app.session() as agent_client:
            await agent_client.post("/api/v1/auth/login", json={"username": "agent_sales_2", "password": PASSWORD})
            assert (await agent_client.get("/api/v1/auth/login-attempts")).status == 403
