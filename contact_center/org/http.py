"""``/api/v1/departments``, ``/api/v1/queues``, ``/api/v1/users`` and the first-run ``/api/v1/setup``.

Admins change; supervisors read (they plan shifts and watch queues). The first-run call creates
the first admin on an empty store, once: after that it answers 409.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from contact_center import keys
from contact_center.auth.sessions import COOKIE_NAME
from contact_center.errors import Conflict, ValidationError
from contact_center.http.auth import current_user, remote_address
from contact_center.http.bodies import path_int, read_body, require_str
from contact_center.http.openapi import obj

_FIRST_RUN_LOCK = web.AppKey("org.first_run_lock", asyncio.Lock)
text, integer, boolean = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
QUEUE = obj(("slug", "department", "channel", "strategy"), slug=text, department=text, channel=text, strategy=text,
            service_level_seconds=integer, offer_timeout_seconds=integer,
            overflow_after_seconds={"type": ["integer", "null"]}, overflow_to={"type": ["string", "null"]})
DEPARTMENT = obj(("id", "slug", "name", "active"), id=integer, slug=text, name=text, active=boolean,
                 phone_number={"type": ["string", "null"]}, email_address={"type": ["string", "null"]},
                 numbers={"type": "array", "items": text}, service_level_target={"type": ["number", "null"]},
                 hours={"type": "object", "description": "timezone, weekly, holidays, out_of_hours, "
                                                         "voicemail_number, reject_reason"},
                 after_call_work_seconds={"type": ["integer", "null"], "minimum": 0, "maximum": 3600,
                                          "description": "wrap-up time after a call (null: the routing default)"},
                 outcome_required={"type": "boolean",
                                   "description": "the agent chooses an outcome before the next contact"},
                 outcomes={"type": "array", "items": text,
                           "description": "outcome codes agents choose from (empty: the desk's dispositions)"},
                 queues={"type": "array", "items": QUEUE})
USER = obj(("id", "username", "role", "active"), id=integer, username=text, display_name=text, role=text,
           active=boolean, extension={"type": ["string", "null"]}, phone={"type": ["string", "null"]},
           departments={"type": "array", "items": text}, skills={"type": "object"}, capacity={"type": "object"},
           created_at=text)
_SLUG = [{"name": "slug", "in": "path", "required": True, "schema": text}]
_ID = [{"name": "id", "in": "path", "required": True, "schema": integer}]


async def list_departments(request: web.Request) -> web.Response:
    await current_user(request, role="supervisor")
    return web.json_response({"departments": await request.app[keys.DEPARTMENTS].list()})


async def create_department(request: web.Request) -> web.Response:
    principal = await current_user(request, role="admin")
    created = await request.app[keys.DEPARTMENTS].create(await read_body(request), principal=principal,
                                                         remote=remote_address(request))
    return web.json_response({"department": created}, status=201)


async def get_department(request: web.Request) -> web.Response:
    await current_user(request, role="supervisor")
    return web.json_response({"department": await request.app[keys.DEPARTMENTS].get(request.match_info["slug"])})


async def update_department(request: web.Request) -> web.Response:
    principal = await current_user(request, role="admin")
    changed = await request.app[keys.DEPARTMENTS].update(request.match_info["slug"], await read_body(request),
                                                         principal=principal, remote=remote_address(request))
    return web.json_response({"department": changed})


async def update_queue(request: web.Request) -> web.Response:
    principal = await current_user(request, role="admin")
    changed = await request.app[keys.DEPARTMENTS].update_queue(request.match_info["slug"], await read_body(request),
                                                               principal=principal, remote=remote_address(request))
    return web.json_response({"queue": changed})


async def list_users(request: web.Request) -> web.Response:
    await current_user(request, role="supervisor")
    return web.json_response({"users": await request.app[keys.USERS].list()})


async def create_user(request: web.Request) -> web.Response:
    principal = await current_user(request, role="admin")
    created = await request.app[keys.USERS].create(await read_body(request), principal=principal,
                                                   remote=remote_address(request))
    return web.json_response({"user": created}, status=201)


async def get_user(request: web.Request) -> web.Response:
    await current_user(request, role="supervisor")
    return web.json_response({"user": await request.app[keys.USERS].get(path_int(request))})


async def update_user(request: web.Request) -> web.Response:
    principal = await current_user(request, role="admin")
    body = await read_body(request)
    if "password" in body:
        raise ValidationError("password", "set a password with POST /api/v1/users/{id}/password")
    changed = await request.app[keys.USERS].update(path_int(request), body, principal=principal,
                                                   remote=remote_address(request))
    return web.json_response({"user": changed})


async def reset_password(request: web.Request) -> web.Response:
    principal = await current_user(request, role="admin")
    body = await read_body(request)
    await request.app[keys.USERS].set_password(path_int(request), body.get("password"), principal=principal,
                                               remote=remote_address(request))
    return web.json_response({})


async def setup_status(request: web.Request) -> web.Response:
    """Whether the first-run page is open (no admin exists yet)."""
    return web.json_response({"needs_admin": not await request.app[keys.USERS].has_admin()})


async def setup_admin(request: web.Request) -> web.Response:
    """Create the first admin and log them in; 409 once any admin exists."""
    body = await read_body(request)
    username = require_str(body, "username", max_len=64)
    users = request.app[keys.USERS]
    async with request.app[_FIRST_RUN_LOCK]:
        if await users.has_admin():
            raise Conflict("the first admin exists already; log in instead")
        await users.create({**body, "role": "admin", "username": username}, principal=None,
                           remote=remote_address(request))
    settings = request.app[keys.SETTINGS]
    token, principal = await request.app[keys.SESSIONS].login(username, str(body["password"]),
                                                              remote=remote_address(request))
    resp = web.json_response({"user": principal.to_dict()}, status=201)
    resp.set_cookie(COOKIE_NAME, token, httponly=True, samesite="Strict", secure=settings.cookie_secure,
                    max_age=settings.session_ttl_seconds, path="/")
    return resp


def register(app: web.Application) -> None:
    """Add the organisation routes."""
    app[_FIRST_RUN_LOCK] = asyncio.Lock()
    api = app[keys.API]
    routes: list[tuple[str, str, Any, dict[str, Any]]] = [
        ("GET", "/api/v1/departments", list_departments,
         {"summary": "Every department with its queues (supervisors read)", "errors": (401, 403),
          "response": obj(("departments",), departments={"type": "array", "items": DEPARTMENT})}),
        ("POST", "/api/v1/departments", create_department,
         {"summary": "Create a department (and its call, email and chat queues)", "errors": (400, 401, 403, 409, 422),
          "request": obj(("slug", "name"), slug=text, name=text, phone_number=text, email_address=text,
                         numbers={"type": "array", "items": text}, service_level_target={"type": "number"},
                         hours={"type": "object"}, after_call_work_seconds={"type": ["integer", "null"]},
                         outcome_required=boolean, outcomes={"type": "array", "items": text}),
          "response": obj(("department",), department=DEPARTMENT)}),
        ("GET", "/api/v1/departments/{slug}", get_department,
         {"summary": "One department", "errors": (401, 403, 404), "parameters": _SLUG,
          "response": obj(("department",), department=DEPARTMENT)}),
        ("PATCH", "/api/v1/departments/{slug}", update_department,
         {"summary": "Rename; change numbers, address, SLA target, hours, wrap-up after calls; "
                     "active=false deactivates",
          "errors": (400, 401, 403, 404, 409, 422), "parameters": _SLUG, "request": DEPARTMENT,
          "response": obj(("department",), department=DEPARTMENT)}),
        ("PATCH", "/api/v1/queues/{slug}", update_queue,
         {"summary": "A queue's strategy, service level, offer timeout and overflow",
          "errors": (400, 401, 403, 404, 422), "parameters": _SLUG, "request": QUEUE,
          "response": obj(("queue",), queue=QUEUE)}),
        ("GET", "/api/v1/users", list_users,
         {"summary": "Every user (supervisors read)", "errors": (401, 403),
          "response": obj(("users",), users={"type": "array", "items": USER})}),
        ("POST", "/api/v1/users", create_user,
         {"summary": "Create a user (password policy applies)", "errors": (400, 401, 403, 409, 422),
          "request": obj(("username", "password"), username=text, password=text, role=text, display_name=text,
                         extension=text, phone=text, departments={"type": "array", "items": text},
                         skills={"type": "object"}, capacity={"type": "object"}),
          "response": obj(("user",), user=USER)}),
        ("GET", "/api/v1/users/{id}", get_user,
         {"summary": "One user", "errors": (401, 403, 404, 422), "parameters": _ID,
          "response": obj(("user",), user=USER)}),
        ("PATCH", "/api/v1/users/{id}", update_user,
         {"summary": "Edit a user; active=false deactivates (sessions end at once; never the last admin)",
          "errors": (400, 401, 403, 404, 409, 422), "parameters": _ID, "request": USER,
          "response": obj(("user",), user=USER)}),
        ("POST", "/api/v1/users/{id}/password", reset_password,
         {"summary": "Reset a user's password (policy applies; their sessions end)",
          "errors": (400, 401, 403, 404, 422), "parameters": _ID, "request": obj(("password",), password=text)}),
        ("GET", "/api/v1/setup", setup_status,
         {"summary": "First run: whether the first admin still has to be created", "auth": "none",
          "response": obj(("needs_admin",), needs_admin=boolean)}),
        ("POST", "/api/v1/setup", setup_admin,
         {"summary": "First run: create the first admin and log in (once; 409 after)", "auth": "none",
          "errors": (400, 409, 422), "request": obj(("username", "password"), username=text, password=text,
                                                    display_name=text),
          "response": obj(("user",), user={"type": "object"})}),
    ]
    for method, path, handler, doc in routes:
        app.router.add_route(method, path, handler)
        api.add(method, path, tag="admin", **doc)
