"""Login, the session cookie, /me, logout and the failed-login throttle, over real HTTP."""

from __future__ import annotations

from http.cookies import SimpleCookie

import aiohttp
import pytest

from tests.conftest import PASSWORD, AppStarter, RunningApp, seed_org


@pytest.fixture
async def core_app(start_app: AppStarter) -> RunningApp:
    """The core app alone (no plugins) with the seeded organisation."""
    ra = await start_app(plugins=[])
    await seed_org(ra.db)
    return ra


async def _login(client: aiohttp.ClientSession, username: str, password: str) -> aiohttp.ClientResponse:
    return await client.post("/api/v1/auth/login", json={"username": username, "password": password})


async def test_login_sets_an_httponly_strict_session_cookie(core_app: RunningApp) -> None:
    """A good login answers the user and sets cc_session: HttpOnly, SameSite=Strict, Path=/, with a lifetime."""
    async with core_app.session() as client:
        resp = await _login(client, "agent_sales_1", PASSWORD)
        assert resp.status == 200
        user = (await resp.json())["user"]
        assert isinstance(user.pop("id"), int)
        assert user == {"username": "agent_sales_1", "display_name": "agent_sales_1", "role": "agent",
                        "extension": "201", "departments": ["sales"], "language": None}
        raw = resp.headers.getall("Set-Cookie")
        assert len(raw) == 1
        morsel = SimpleCookie(raw[0])["cc_session"]
        assert len(morsel.value) >= 32
        assert morsel["httponly"] is True
        assert morsel["samesite"] == "Strict"
        assert morsel["path"] == "/"
        assert int(morsel["max-age"]) == 12 * 3600
        assert not morsel["secure"]  # cookie_secure is off for plain-http installs; on behind TLS


async def test_secure_cookie_when_configured(start_app: AppStarter, settings_factory) -> None:
    """With auth.cookie_secure the cookie is marked Secure."""
    ra = await start_app(settings_factory(cookie_secure=True), plugins=[])
    await seed_org(ra.db)
    async with ra.session() as client:
        resp = await _login(client, "admin", PASSWORD)
        assert SimpleCookie(resp.headers["Set-Cookie"])["cc_session"]["secure"] is True


async def test_me_answers_the_logged_in_user(core_app: RunningApp) -> None:
    """/api/v1/me returns who the cookie belongs to, with role and departments."""
    async with await core_app.login("supervisor") as client:
        resp = await client.get("/api/v1/me")
        assert resp.status == 200
        user = (await resp.json())["user"]
    assert (user["username"], user["role"]) == ("supervisor", "supervisor")
    assert len(user["departments"]) == 5


@pytest.mark.parametrize("cookie", [None, "", "not-a-real-token", "x" * 4000])
async def test_me_without_a_valid_session_is_401_json(core_app: RunningApp, cookie: str | None) -> None:
    """No cookie, an empty one or an unknown token: 401 with the JSON error body."""
    headers = {"Cookie": f"cc_session={cookie}"} if cookie is not None else {}
    async with core_app.session() as client:
        resp = await client.get("/api/v1/me", headers=headers)
        assert resp.status == 401
        assert resp.content_type == "application/json"
        assert (await resp.json())["code"] == "unauthenticated"


async def test_logout_ends_the_session_everywhere(core_app: RunningApp) -> None:
    """After logout the cookie is cleared and the old token no longer works, even if replayed."""
    async with await core_app.login("agent_service_1") as client:
        token = next(c.value for c in client.cookie_jar if c.key == "cc_session")
        resp = await client.post("/api/v1/auth/logout")
        assert resp.status == 200
        cleared = SimpleCookie(resp.headers["Set-Cookie"])["cc_session"]
        assert cleared.value == ""
        assert (await client.get("/api/v1/me")).status == 401
    async with core_app.session() as replay:
        assert (await replay.get("/api/v1/me", headers={"Cookie": f"cc_session={token}"})).status == 401


async def test_logout_without_a_session_is_harmless(core_app: RunningApp) -> None:
    """Logging out when not logged in succeeds quietly."""
    async with core_app.session() as client:
        assert (await client.post("/api/v1/auth/logout")).status == 200


async def test_wrong_password_and_unknown_user_get_the_same_answer(core_app: RunningApp) -> None:
    """A wrong password and a user who does not exist are indistinguishable: same status, same body."""
    async with core_app.session() as client:
        wrong = await _login(client, "agent_sales_1", "wrong password")
        unknown = await _login(client, "nobody_here", "wrong password")
        assert wrong.status == unknown.status == 401
        assert await wrong.json() == await unknown.json() == {
            "error": "wrong username or password", "code": "unauthenticated", "message": "wrong username or password"
        }
        assert "Set-Cookie" not in wrong.headers
        assert "Set-Cookie" not in unknown.headers


@pytest.fixture
async def strict_app(start_app: AppStarter, settings_factory) -> RunningApp:
    """The core app throttling after two failures (fewer slow argon2 checks per test)."""
    ra = await start_app(settings_factory(login_max_failures=2), plugins=[])
    await seed_org(ra.db)
    return ra


async def test_repeated_failures_are_throttled_with_retry_after(strict_app: RunningApp) -> None:
    """After login_max_failures failures the user gets 429 with Retry-After, even with the right password."""
    async with strict_app.session() as client:
        for _ in range(2):
            assert (await _login(client, "agent_complaints_1", "guess")).status == 401
        resp = await _login(client, "agent_complaints_1", PASSWORD)
        assert resp.status == 429
        assert 1 <= int(resp.headers["Retry-After"]) <= 300
        body = await resp.json()
        assert body["code"] == "login_throttled"
        assert body["detail"]["retry_after"] == int(resp.headers["Retry-After"])
        assert (await _login(client, "AGENT_COMPLAINTS_1", "guess")).status == 429  # usernames fold case
        assert (await _login(client, "agent_complaints_2", PASSWORD)).status == 200  # others unaffected


async def test_a_good_login_resets_the_users_failure_count(strict_app: RunningApp) -> None:
    """Failures before a successful login do not count towards the next throttle."""
    async with strict_app.session() as client:
        assert (await _login(client, "agent_service_2", "guess")).status == 401
        assert (await _login(client, "agent_service_2", PASSWORD)).status == 200
        assert (await _login(client, "agent_service_2", "guess")).status == 401
        assert (await _login(client, "agent_service_2", PASSWORD)).status == 200
