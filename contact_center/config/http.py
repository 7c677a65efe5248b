"""``/api/v1/config``: the live configuration over REST (admins change it, supervisors read it).

* ``GET /api/v1/config``: every live section (passwords and tokens never shown) and the version.
* ``PUT /api/v1/config/{section}``: replace one section (validated whole; 422 names the field and
  the running configuration stays). A mailbox or SMTP table sent without its password keeps the
  stored one.
* ``GET /api/v1/config/export``: the configuration as TOML (secrets sealed, tokens hashed).
* ``POST /api/v1/config/import``: apply a TOML document (``text/plain`` or ``application/toml``), all or nothing.
* ``POST /api/v1/config/pbx``: add a PBX; ``POST /api/v1/config/pbx/{name}/rotate``: a new token,
  the old ones still valid for ``overlap_seconds``. The token is in the answer, once.
"""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from contact_center import keys
from contact_center.config import pbx
from contact_center.config.document import from_toml, to_toml
from contact_center.config.secrets import keep_passwords, new_token
from contact_center.errors import Conflict, MalformedBody, ValidationError
from contact_center.http.auth import current_user, remote_address
from contact_center.http.bodies import optional_int, optional_str, read_body, require_str
from contact_center.http.openapi import obj

DEFAULT_OVERLAP_SECONDS = 24 * 3600
PBX_OPTIONS = ("route_inbound", "caller_id_routes", "default_caller_id", "voicemail_names")
_SECTION = {"name": "section", "in": "path", "required": True, "schema": {"type": "string"}}
_CONFIG = obj(("version", "sections"), version={"type": "integer"},
              sections={"type": "object", "description": "section name -> its table (no secrets)"})


def _view(request: web.Request) -> dict[str, Any]:
    live = request.app[keys.LIVE_CONFIG]
    return {"version": live.version, "sections": live.public_document()}


async def get_config(request: web.Request) -> web.Response:
    await current_user(request, role="supervisor")
    return web.json_response(_view(request))


async def put_section(request: web.Request) -> web.Response:
    principal = await current_user(request, role="admin")
    live = request.app[keys.LIVE_CONFIG]
    name = request.match_info["section"]
    if name not in live.sections:
        raise ValidationError("section", f"{name!r} is not a live configuration section; known: "
                                         f"{', '.join(live.sections)}")
    body = await read_body(request)
    if "value" not in body:
        raise ValidationError("value", "'value' (the section's new content) is required")
    value = body["value"]
    stored = live.stored_document().get(name)
    if name == "pbx":
        value = _keep_tokens(value, stored)
    elif isinstance(value, dict) and isinstance(stored, dict):
        value = keep_passwords(value, stored)
    await live.apply({name: value}, principal=principal, remote=remote_address(request))
    return web.json_response(_view(request))


def _keep_tokens(value: Any, stored: Any) -> Any:
    """The PBX list from a form keeps each PBX's stored tokens (a form never carries them)."""
    if not isinstance(value, list):
        raise ValidationError("value", "the pbx section is a list of PBXs")
    tokens = {p.get("name"): p.get("tokens", []) for p in stored or [] if isinstance(p, dict)}
    return [{**item, "tokens": tokens.get(item.get("name"), [])} if isinstance(item, dict) else item
            for item in value]


async def export_config(request: web.Request) -> web.Response:
    await current_user(request, role="admin")
    live = request.app[keys.LIVE_CONFIG]
    return web.Response(text=to_toml(live.stored_document(), version=live.version), content_type="application/toml",
                        headers={"Content-Disposition": 'attachment; filename="contact-center-live.toml"'})


async def import_config(request: web.Request) -> web.Response:
    principal = await current_user(request, role="admin")
    if request.content_type not in ("text/plain", "application/toml"):
        raise MalformedBody(f"expected text/plain or application/toml, got {request.content_type}")
    document = from_toml(await request.text())
    live = request.app[keys.LIVE_CONFIG]
    if "pbx" in document:
        document["pbx"] = pbx.hash_clear_tokens(document["pbx"], now=time.time())
    await live.apply(document, principal=principal, remote=remote_address(request), replace=True)
    return web.json_response(_view(request))


async def add_pbx(request: web.Request) -> web.Response:
    principal = await current_user(request, role="admin")
    body = await read_body(request)
    name = require_str(body, "name", max_len=64)
    live = request.app[keys.LIVE_CONFIG]
    current = list(live.stored_document().get("pbx", []))
    if any(p.get("name") == name for p in current):
        raise Conflict(f"a PBX called {name!r} exists already", field="name")
    token = new_token()
    options = {key: body[key] for key in PBX_OPTIONS if body.get(key) is not None}
    entry = {"name": name, "default_department": optional_str(body, "default_department", max_len=64),
             **options, "tokens": [pbx.token_entry(token, now=time.time())]}
    await live.apply({"pbx": [*current, entry]}, principal=principal, remote=remote_address(request))
    return web.json_response(_token_answer(request, name, token))


async def rotate_pbx(request: web.Request) -> web.Response:
    principal = await current_user(request, role="admin")
    body = await read_body(request) if request.can_read_body else {}
    overlap = optional_int(body, "overlap_seconds", low=0, high=30 * 86400)
    live = request.app[keys.LIVE_CONFIG]
    name = request.match_info["name"]
    token = new_token()
    section = pbx.rotate(live.stored_document().get("pbx", []), name, token, now=time.time(),
                         overlap_seconds=DEFAULT_OVERLAP_SECONDS if overlap is None else overlap)
    await live.apply({"pbx": section}, principal=principal, remote=remote_address(request))
    return web.json_response(_token_answer(request, name, token))


def _token_answer(request: web.Request, name: str, token: str) -> dict[str, Any]:
    public = request.app[keys.SETTINGS].public_url.rstrip("/")
    return {"name": name, "token": token, "hook_url": f"{public}/api/v1/cti/{token}",
            "note": "the token is shown only now; store it in the PBX"}


def register(app: web.Application) -> None:
    """Add the configuration routes."""
    api = app[keys.API]
    app.router.add_get("/api/v1/config", get_config)
    api.add("GET", "/api/v1/config", tag="admin", summary="The live configuration (no secrets) and its version",
            response=_CONFIG, errors=(401, 403))
    app.router.add_put("/api/v1/config/{section}", put_section)
    api.add("PUT", "/api/v1/config/{section}", tag="admin", parameters=[_SECTION],
            summary="Replace one live section, validated whole; in force on every instance at once",
            request=obj(("value",), value={"description": "the section's new table (or list, for pbx)"}),
            response=_CONFIG, errors=(400, 401, 403, 409, 422))
    app.router.add_get("/api/v1/config/export", export_config)
    api.add("GET", "/api/v1/config/export", tag="admin", summary="The live configuration as TOML",
            response={"type": "string"}, errors=(401, 403))
    app.router.add_post("/api/v1/config/import", import_config)
    api.add("POST", "/api/v1/config/import", tag="admin",
            summary="Apply a TOML document (text/plain), validated, all or nothing",
            request={"type": "string"}, response=_CONFIG, errors=(400, 401, 403, 409, 422))
    text = {"type": "string"}
    token = obj(("name", "token", "hook_url"), name=text, token=text, hook_url=text, note=text)
    app.router.add_post("/api/v1/config/pbx", add_pbx)
    api.add("POST", "/api/v1/config/pbx", tag="admin", summary="Add a PBX; its token is shown once",
            request=obj(("name",), name=text, default_department=text, route_inbound={"type": "boolean"},
                        caller_id_routes={"type": "array", "items": obj(("dest", "caller_id"), dest=text,
                                                                        caller_id=text)},
                        default_caller_id=text, voicemail_names={"type": "array", "items": text}),
            response=token,
            errors=(400, 401, 403, 409, 422))
    app.router.add_post("/api/v1/config/pbx/{name}/rotate", rotate_pbx)
    api.add("POST", "/api/v1/config/pbx/{name}/rotate", tag="admin",
            summary="A new token for a PBX; the old ones keep working for overlap_seconds (default a day)",
            parameters=[{"name": "name", "in": "path", "required": True, "schema": text}],
            request=obj((), overlap_seconds={"type": "integer"}), response=token, errors=(401, 403, 409, 422))
