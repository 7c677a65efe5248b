"""Bad input and failures always answer JSON with a stable code: never HTML, never a traceback."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from contact_center.http.bodies import read_body
from tests.conftest import AppStarter, RunningApp


async def _echo(request: web.Request) -> web.Response:
    return web.json_response(await read_body(request, allow_form=True))


async def _boom(request: web.Request) -> web.Response:
    raise RuntimeError("secret internal detail /etc/passwd")


def _test_routes(app: web.Application) -> None:
    """A test-only plugin: an echo of read_body and a route that crashes."""
    app.router.add_post("/test/echo", _echo)
    app.router.add_get("/test/boom", _boom)


@pytest.fixture
async def app(start_app: AppStarter, settings_factory) -> RunningApp:
    """The core app with a 1 KiB body limit and the test-only routes."""
    return await start_app(settings_factory(max_body_bytes=1024), plugins=[("test", _test_routes)])


async def _error(resp: aiohttp.ClientResponse, status: int, code: str) -> dict[str, Any]:
    """Assert a JSON error of *status*/*code* (Zammad's ``{"error": "<text>"}`` beside the code) and return it."""
    text = await resp.text()
    assert resp.status == status, text
    assert resp.content_type == "application/json", text
    assert "Traceback" not in text
    assert "<html" not in text.lower()
    error: dict[str, Any] = json.loads(text)
    assert error["code"] == code
    assert error["message"]
    assert error["error"] == error["message"]
    return error


@pytest.mark.parametrize(
    ("data", "ctype", "needle"),
    [
        (b'{"username": "a", ', "application/json", "not valid JSON"),
        (b"\xff\xfe{}", "application/json", "not valid JSON"),
        (b"[1, 2]", "application/json", "JSON object"),
        (b'"text"', "application/json", "JSON object"),
        (b"", "application/json", "empty body"),
    ],
)
async def test_malformed_login_body_is_400_naming_the_problem(app: RunningApp, data: bytes, ctype: str,
                                                              needle: str) -> None:
    """Bodies that are not a JSON object get 400 malformed_body with a message saying why."""
    async with app.session() as client:
        resp = await client.post("/api/v1/auth/login", data=data, headers={"Content-Type": ctype})
        error = await _error(resp, 400, "malformed_body")
    assert needle in error["message"]


@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                                   "application/octet-stream", None])
async def test_json_endpoints_refuse_other_content_types(app: RunningApp, ctype: str | None) -> None:
    """A JSON endpoint answers 415 to a body of another type (what a cross-site form can send), or none."""
    async with app.session() as client:
        headers = {"Content-Type": ctype} if ctype else {}
        resp = await client.post("/api/v1/auth/login", data=b'{"username": "a", "password": "b"}', headers=headers)
        error = await _error(resp, 415, "unsupported_media_type")
    assert "application/json" in error["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"password": "x"}, "username"),
        ({"username": "admin"}, "password"),
        ({"username": "", "password": "x"}, "username"),
        ({"username": 12, "password": "x"}, "username"),
        ({"username": "a" * 65, "password": "x"}, "username"),
        ({"username": "admin", "password": ["x"]}, "password"),
    ],
)
async def test_missing_or_wrong_field_is_422_naming_it(app: RunningApp, body: dict[str, Any], field: str) -> None:
    """A missing, empty, wrong-typed or overlong field gets 422 with ``field`` naming it."""
    async with app.session() as client:
        error = await _error(await client.post("/api/v1/auth/login", json=body), 422, "validation_error")
    assert error["field"] == field
    assert field in error["message"]


async def test_oversize_body_is_413_json(app: RunningApp) -> None:
    """A body over max_body_bytes gets 413 payload_too_large as JSON."""
    async with app.session() as client:
        resp = await client.post("/api/v1/auth/login", json={"username": "admin", "password": "x" * 4096})
        error = await _error(resp, 413, "payload_too_large")
    assert "1024" in error["message"]


async def test_form_bodies_where_allowed(app: RunningApp) -> None:
    """Routes that accept forms decode them, ``user[]`` becoming a list."""
    async with app.session() as client:
        resp = await client.post("/test/echo", data="event=newCall&user%5B%5D=a&user%5B%5D=b",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert resp.status == 200
        assert await resp.json() == {"event": "newCall", "user": ["a", "b"]}
        multipart = aiohttp.FormData({"event": "hangup", "cause": "normalClearing"})
        assert await (await client.post("/test/echo", data=multipart)).json() == {
            "event": "hangup", "cause": "normalClearing"}


async def test_multipart_bodies_are_streamed_and_checked(app: RunningApp) -> None:
    """Real multipart/form-data is read part by part; no boundary is 400, too big is 413, never 500."""
    async with app.session() as client:
        form = aiohttp.FormData([("event", "newCall"), ("user[]", "Emma Taylor"), ("user[]", "Bob")],
                                default_to_multipart=True)
        resp = await client.post("/test/echo", data=form)
        assert resp.status == 200, await resp.text()
        assert await resp.json() == {"event": "newCall", "user": ["Emma Taylor", "Bob"]}
        bare = await client.post("/test/echo", data=b"event=newCall", headers={"Content-Type": "multipart/form-data"})
        assert "boundary" in (await _error(bare, 400, "malformed_body"))["message"]
        big = aiohttp.FormData([("event", "x" * 2048)], default_to_multipart=True)
        await _error(await client.post("/test/echo", data=big), 413, "payload_too_large")


async def test_query_fields_only_where_allowed(app: RunningApp) -> None:
    """URL variables are not read by routes that do not ask for them: an empty JSON body stays a 400."""
    async with app.session() as client:
        await _error(await client.post("/test/echo?event=newCall", data=b"",
                                       headers={"Content-Type": "application/json"}), 400, "malformed_body")


@pytest.mark.parametrize("path", ["/nope", "/api/v1/nope", "/api/v1/me/extra", "/static/../../etc/passwd"])
async def test_unknown_route_is_404_json(app: RunningApp, path: str) -> None:
    """Unknown paths get 404 not_found as JSON."""
    async with app.session() as client:
        await _error(await client.get(path), 404, "not_found")


async def test_wrong_method_is_405_json(app: RunningApp) -> None:
    """A known path with the wrong method gets 405 as JSON."""
    async with app.session() as client:
        await _error(await client.get("/api/v1/auth/login"), 405, "method_not_allowed")
        await _error(await client.delete("/api/v1/me"), 405, "method_not_allowed")


async def test_unexpected_exception_is_500_json_without_details(app: RunningApp, caplog) -> None:
    """A crash answers 500 internal_error with an incident id; the details only reach the log."""
    async with app.session() as client:
        error = await _error(await client.get("/test/boom"), 500, "internal_error")
    assert error["message"] == "internal error"
    assert "passwd" not in json.dumps(error)
    assert error["incident"] in caplog.text
    assert "secret internal detail" in caplog.text


async def test_protected_routes_answer_401_json(app: RunningApp) -> None:
    """Without a session, an API route answers 401 JSON rather than redirecting to a login page."""
    async with app.session() as client:
        resp = await client.get("/api/v1/me", allow_redirects=False)
        await _error(resp, 401, "unauthenticated")
