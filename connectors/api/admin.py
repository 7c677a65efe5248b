"""Admin REST for API-channel bridges: list, create, change, rotate credentials, read the delivery log.

Every route needs the ``admin`` role, and every change is audited (never with a token or secret
in it). A new token or secret is in the answer that made it and nowhere else, ever again::

    GET   /api/v1/admin/api-channels                       the bridges
    POST  /api/v1/admin/api-channels                       {name, department?, webhook_url?} -> token, secret
    PATCH /api/v1/admin/api-channels/{id}                  {name?, department?, webhook_url?, active?}
    POST  /api/v1/admin/api-channels/{id}/token            a new inbound token (the old one stops working)
    POST  /api/v1/admin/api-channels/{id}/secret           a new signing secret
    GET   /api/v1/admin/api-channels/{id}/deliveries       the delivery log (?message_id, ?before_id, ?limit)
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from connectors.api.appkeys import API_INSTANCES, API_TOKENS
from connectors.api.inbound import CHANNEL
from contact_center import keys
from contact_center.channel_instances import Credentials, Instance
from contact_center.http.auth import current_user
from contact_center.http.bodies import optional_int, path_int, read_body, require_str
from contact_center.http.openapi import obj

BASE = "/api/v1/admin/api-channels"
ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}, "description": "the bridge"}
OBJECT_TYPE = "api_channel"

INSTANCE = obj(
    ("id", "name", "active"), id={"type": "integer"}, channel={"type": "string"}, name={"type": "string"},
    department={"type": ["string", "null"]}, webhook_url={"type": ["string", "null"]},
    token_hint={"type": "string"}, active={"type": "boolean"}, inbound_path={"type": "string"},
    created_at={"type": "string"}, updated_at={"type": "string"},
)
CREDENTIALS = obj(("channel",), channel=INSTANCE, token={"type": "string"}, secret={"type": "string"})
ATTEMPT = obj(
    ("id", "message_id", "attempt", "ok", "outcome"), id={"type": "integer"}, message_id={"type": "integer"},
    attempt={"type": "integer"}, url={"type": "string"}, status_code={"type": ["integer", "null"]},
    ok={"type": "boolean"}, outcome={"type": "string", "enum": ["sent", "retry", "failed"]},
    error={"type": ["string", "null"]}, duration_ms={"type": "integer"}, at={"type": "string"},
)


def _public(instance: Instance) -> dict[str, Any]:
    return {k: v for k, v in instance.to_dict().items() if k not in ("created_at", "updated_at")}


async def _audit(request: web.Request, action: str, instance: Instance, before: Instance | None = None) -> None:
    request.app[API_TOKENS].forget()  # a changed bridge (or its old token) must not be trusted from memory
    await request.app[keys.AUDIT].record(request, action=action, object_type=OBJECT_TYPE, object_id=instance.id,
                                         before=_public(before) if before else None, after=_public(instance))


async def list_instances(request: web.Request) -> web.Response:
    await current_user(request, "admin")
    instances = await request.app[API_INSTANCES].all(CHANNEL)
    return web.json_response({"channels": [i.to_dict() for i in instances]})


async def create_instance(request: web.Request) -> web.Response:
    await current_user(request, "admin")
    body = await read_body(request)
    made = await request.app[API_INSTANCES].create(
        CHANNEL, require_str(body, "name", max_len=64), department=body.get("department"),
        webhook_url=body.get("webhook_url"))
    await _audit(request, "api_channel_create", made.instance)
    return _credentials(made, status=201)


async def update_instance(request: web.Request) -> web.Response:
    await current_user(request, "admin")
    body = await read_body(request)
    before, after = await request.app[API_INSTANCES].update(path_int(request), body)
    await _audit(request, "api_channel_update", after, before)
    return web.json_response({"channel": after.to_dict()})


async def rotate_token(request: web.Request) -> web.Response:
    await current_user(request, "admin")
    made = await request.app[API_INSTANCES].rotate_token(path_int(request))
    await _audit(request, "api_channel_rotate_token", made.instance)
    return _credentials(made)


async def rotate_secret(request: web.Request) -> web.Response:
    await current_user(request, "admin")
    made = await request.app[API_INSTANCES].rotate_secret(path_int(request))
    await _audit(request, "api_channel_rotate_secret", made.instance)
    return _credentials(made)


async def deliveries(request: web.Request) -> web.Response:
    await current_user(request, "admin")
    q = request.query
    rows = await request.app[API_INSTANCES].attempts(
        path_int(request), message_id=optional_int(q, "message_id", low=1),
        before_id=optional_int(q, "before_id", low=1), limit=optional_int(q, "limit", low=1, high=500) or 100)
    return web.json_response({"deliveries": rows})


def _credentials(made: Credentials, *, status: int = 200) -> web.Response:
    # Shown once: never cached anywhere on the way.
    return web.json_response(made.to_dict(), status=status, headers={"Cache-Control": "no-store"})


def register_admin(app: web.Application) -> None:
    """Add the admin routes and their OpenAPI entries."""
    api = app[keys.API]
    one = BASE + "/{id}"
    app.router.add_get(BASE, list_instances)
    api.add("GET", BASE, tag="channels", summary="API-channel bridges (admins)", errors=(401, 403),
            response=obj(("channels",), channels={"type": "array", "items": INSTANCE}))
    app.router.add_post(BASE, create_instance)
    api.add("POST", BASE, tag="channels", summary="Add a bridge; its token and secret are shown once",
            request=obj(("name",), name={"type": "string"}, department={"type": ["string", "null"]},
                        webhook_url={"type": ["string", "null"]}),
            response=CREDENTIALS, errors=(400, 401, 403, 409, 422))
    app.router.add_patch(one, update_instance)
    api.add("PATCH", one, tag="channels", summary="Change a bridge's name, department, webhook URL or state",
            request=obj((), name={"type": "string"}, department={"type": ["string", "null"]},
                        webhook_url={"type": ["string", "null"]}, active={"type": "boolean"}),
            response=obj(("channel",), channel=INSTANCE), errors=(400, 401, 403, 404, 409, 422), parameters=[ID])
    for suffix, handler, what in (("/token", rotate_token, "inbound token"), ("/secret", rotate_secret,
                                                                              "signing secret")):
        app.router.add_post(one + suffix, handler)
        api.add("POST", one + suffix, tag="channels", summary=f"Replace the bridge's {what} (shown once)",
                response=CREDENTIALS, errors=(401, 403, 404), parameters=[ID])
    app.router.add_get(one + "/deliveries", deliveries)
    api.add("GET", one + "/deliveries", tag="channels", summary="The bridge's webhook delivery log, newest first",
            response=obj(("deliveries",), deliveries={"type": "array", "items": ATTEMPT}),
            errors=(401, 403, 404, 422),
            parameters=[ID, *({"name": n, "in": "query", "schema": {"type": "integer", "minimum": 1}}
                                  for n in ("message_id", "before_id", "limit"))])
