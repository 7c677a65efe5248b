"""The core's own routes: login, logout, me, the channel registry, health, metrics and the OpenAPI document."""

from __future__ import annotations

from dataclasses import replace

from aiohttp import web

from contact_center import channels, keys
from contact_center.auth.sessions import COOKIE_NAME
from contact_center.auth.throttle import recent_attempts
from contact_center.auth.users import set_language
from contact_center.errors import Unavailable, ValidationError
from contact_center.http.auth import current_user, end_sessions, remote_address, request_session
from contact_center.http.bodies import optional_int, read_body, require_str
from contact_center.http.openapi import obj

USER_SCHEMA = obj(
    ("id", "username", "role"),
    id={"type": "integer"},
    username={"type": "string"},
    display_name={"type": "string"},
    role={"type": "string", "enum": ["agent", "supervisor", "admin"]},
    extension={"type": ["string", "null"]},
    departments={"type": "array", "items": {"type": "string"}},
    language={"type": ["string", "null"], "description": "the UI language the user chose; null: the browser's"},
)


async def login(request: web.Request) -> web.Response:
    body = await read_body(request)
    username = require_str(body, "username", max_len=64)
    password = require_str(body, "password", max_len=1024)
    settings = request.app[keys.SETTINGS]
    token, principal = await request.app[keys.SESSIONS].login(username, password, remote=remote_address(request))
    resp = web.json_response({"user": principal.to_dict()})
    resp.set_cookie(
        COOKIE_NAME, token, httponly=True, samesite="Strict", secure=settings.secure_cookies,
        max_age=settings.session_ttl_seconds, path="/",
    )
    return resp


async def logout(request: web.Request) -> web.Response:
    user_id = await request.app[keys.SESSIONS].logout(request.cookies.get(COOKIE_NAME))
    if user_id is not None:  # this session's sockets close on every instance
        await end_sessions(request.app, user_id, reason="logout", session=request_session(request))
    resp = web.json_response({})
    resp.del_cookie(COOKIE_NAME, path="/")
    return resp


async def login_attempts(request: web.Request) -> web.Response:
    await current_user(request, "admin")
    q = request.query
    ok = q.get("ok")
    if ok not in (None, "", "true", "false"):
        raise ValidationError("ok", "'ok' must be true or false")
    async with request.app[keys.DB].session() as s:
        items = await recent_attempts(
            s, username=q.get("username") or None, remote=q.get("remote") or None,
            ok=None if not ok else ok == "true", before_id=optional_int(q, "before_id", low=1, high=2**63 - 1),
            limit=optional_int(q, "limit", low=1, high=1000) or 100)
    await request.app[keys.AUDIT].record(request, action="login_attempts_read", object_type="login_attempt",
                                         detail={k: v for k, v in q.items()})
    return web.json_response({"attempts": items})


async def me(request: web.Request) -> web.Response:
    user = await current_user(request)
    return web.json_response({"user": user.to_dict()})


CHANNEL_SCHEMA = obj(
    ("name", "label", "identity_kinds", "default_capacity", "event", "reply", "presentation", "can_reply"),
    name={"type": "string"}, label={"type": "string"},
    identity_kinds={"type": "array", "items": {"type": "string"}}, default_capacity={"type": "integer"},
    event={"type": "string"}, reply={"type": "string", "enum": [r.value for r in channels.Reply]},
    presentation={"type": "string", "enum": [p.value for p in channels.Presentation]},
    can_reply={"type": "boolean"},
)


async def list_channels(request: web.Request) -> web.Response:
    """The channel registry, for the desk's and the wallboard's channel lists."""
    await current_user(request)
    return web.json_response({"channels": [c.to_dict() for c in channels.CHANNELS]})


async def update_me(request: web.Request) -> web.Response:
    """``PATCH /api/v1/me``: the user's own preferences (today: ``language``, or null to negotiate)."""
    user = await current_user(request)
    body = await read_body(request)
    if "language" not in body:
        raise ValidationError("language", "'language' is required (a language code, or null)")
    wanted = body["language"]
    language = None
    if wanted is not None:
        offered = request.app[keys.I18N].languages
        if not isinstance(wanted, str) or wanted not in offered:
            raise ValidationError("language", f"'language' must be one of {', '.join(offered)} or null")
        language = wanted
    await set_language(request.app[keys.DB], user.id, language)
    return web.json_response({"user": replace(user, language=language).to_dict()})


async def healthz(request: web.Request) -> web.Response:
    """``ok``; ``degraded`` (200) while only Redis is down: the instance still takes and stores
    contacts, holding its events until Redis is back; ``unavailable`` (503) when the store cannot write."""
    checks: dict[str, str] = {}
    failed: set[str] = set()
    for name, probe in (("store", request.app[keys.DB].ping_write), ("bus", request.app[keys.BUS].healthy)):
        try:
            await probe()
            checks[name] = "ok"
        except Unavailable as exc:
            checks[name] = exc.message
            failed.add(name)
    if request.app[keys.REDIS] is None:
        checks["redis"] = "not configured"
    status = "unavailable" if "store" in failed else "degraded" if failed else "ok"
    return web.json_response({"status": status, "checks": checks}, status=503 if status == "unavailable" else 200)


async def metrics(request: web.Request) -> web.Response:
    return web.Response(text=request.app[keys.METRICS].render(), content_type="text/plain", charset="utf-8")


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(request.app[keys.API].render())


def register(app: web.Application) -> None:
    api = app[keys.API]
    app.router.add_post("/api/v1/auth/login", login)
    api.add("POST", "/api/v1/auth/login", summary="Log in; sets the HttpOnly session cookie", tag="auth",
            request=obj(("username", "password"), username={"type": "string"}, password={"type": "string"}),
            response=obj(("user",), user=USER_SCHEMA), errors=(400, 401, 422, 429), auth="none")
    app.router.add_post("/api/v1/auth/logout", logout)
    api.add("POST", "/api/v1/auth/logout", summary="End the session", tag="auth")
    app.router.add_get("/api/v1/auth/login-attempts", login_attempts)
    api.add("GET", "/api/v1/auth/login-attempts", summary="Recent login attempts, newest first (admins)", tag="auth",
            parameters=[{"name": n, "in": "query", "schema": schema} for n, schema in (
                ("username", {"type": "string", "maxLength": 64}), ("remote", {"type": "string", "maxLength": 64}),
                ("ok", {"type": "string", "enum": ["true", "false"]}), ("before_id", {"type": "integer"}),
                ("limit", {"type": "integer", "minimum": 1, "maximum": 1000}))],
            response=obj(("attempts",), attempts={"type": "array", "items": obj(
                ("id", "username", "ok", "at"), id={"type": "integer"}, username={"type": "string"},
                remote={"type": ["string", "null"]}, ok={"type": "boolean"}, at={"type": "string"})}),
            errors=(401, 403, 422))
    app.router.add_get("/api/v1/me", me)
    api.add("GET", "/api/v1/me", summary="The logged-in user", tag="auth", response=obj(("user",), user=USER_SCHEMA),
            errors=(401,))
    app.router.add_get("/api/v1/channels", list_channels)
    api.add("GET", "/api/v1/channels", summary="The registered channels (name, identity kinds, capacity, replies)",
            tag="channels", response=obj(("channels",), channels={"type": "array", "items": CHANNEL_SCHEMA}),
            errors=(401,))
    app.router.add_patch("/api/v1/me", update_me)
    api.add("PATCH", "/api/v1/me", summary="Change the logged-in user's preferences (the UI language)", tag="auth",
            request=obj(("language",), language={"type": ["string", "null"]}),
            response=obj(("user",), user=USER_SCHEMA), errors=(400, 401, 422))
    app.router.add_get("/healthz", healthz)
    api.add("GET", "/healthz", summary="Store, bus and Redis health: ok, degraded (Redis down), unavailable (store)",
            tag="ops", errors=(503,), auth="none")
    app.router.add_get("/metrics", metrics)
    api.add("GET", "/metrics", summary="Prometheus metrics (text format)", tag="ops", auth="none")
    app.router.add_get("/api/openapi.json", openapi)
    api.add("GET", "/api/openapi.json", summary="This document", tag="ops", auth="none")
