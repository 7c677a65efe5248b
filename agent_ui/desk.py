"""The agent desk and the supervisor wallboard: their pages, assets and the desk's small REST API.

Routes:

* ``GET /`` redirects by role: supervisors and admins to ``/wallboard``, everyone else to ``/desk``
  (which shows the login form when nobody is logged in).
* ``GET /desk`` and ``GET /wallboard``: the single-page screens (plain ES modules, no build step),
  served with a strict Content-Security-Policy: scripts, styles and sockets from this origin only,
  no inline script, and frames only as ``srcdoc`` (email bodies in a sandboxed iframe).
* ``/ui/desk/…`` and ``/ui/wallboard/…``: their static assets; ``/ui/i18n/…`` the message catalogs
  (``<lang>.json``) and ``i18n.js`` that every screen translates and formats with.
* ``GET /api/v1/desk/config``: canned responses, wrap-up codes and away reasons from ``[desk]``.
* ``POST /api/v1/conversations/{id}/wrap-up``: record a disposition and close the conversation.
* ``GET /api/v1/desk/wallboard/history``: contacts waiting over the last hour (the wallboard's
  chart), kept by :mod:`agent_ui.wallboard_history` from routing's snapshot frames.

The desk renders what the core and the plugins say over ``/ws/agent``, ``/ws/supervisor`` and the
REST API; it decides nothing itself.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web
from sqlalchemy import update

from agent_ui.desk_config import desk_config
from agent_ui.languages import localised_page
from agent_ui.wallboard_history import WaitingHistory
from contact_center import keys
from contact_center.auth.sessions import COOKIE_NAME
from contact_center.errors import AuthError, Forbidden, ValidationError
from contact_center.events import SupervisorsNotified
from contact_center.http.auth import current_user
from contact_center.http.bodies import path_int, read_body, require_str
from contact_center.http.openapi import obj
from contact_center.inbox import INBOX
from contact_center.inbox.conversations import Action
from contact_center.inbox.schemas import CONVERSATION, path_param
from contact_center.store.tables import Conversation

STATIC = Path(__file__).parent / "static"
HISTORY = web.AppKey("wallboard_history", WaitingHistory)

# Inline scripts are never allowed; email HTML is shown in <iframe sandbox srcdoc>, which inherits
# this policy, so even a sanitiser miss cannot run script or load remote (tracking) images.
CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "frame-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers without CSP level 2
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


async def home(request: web.Request) -> web.Response:
    """Send admins to the console, supervisors to the wallboard and agents (or anyone not logged in)
    to the desk; on an empty store (no admin yet), everyone to the console's first-run form."""
    if not await request.app[keys.USERS].has_admin():
        raise web.HTTPFound("/admin")
    try:
        principal = await request.app[keys.SESSIONS].resolve(request.cookies.get(COOKIE_NAME))
    except AuthError:
        raise web.HTTPFound("/desk") from None
    if principal.role == "admin":
        raise web.HTTPFound("/admin")
    raise web.HTTPFound("/wallboard" if principal.at_least("supervisor") else "/desk")


async def _page(request: web.Request, name: str) -> web.Response:
    """A screen's HTML with ``<html lang dir>`` set to the negotiated language (no flash of English)."""
    return web.Response(text=await localised_page(request, STATIC / name / "index.html"),
                        content_type="text/html", headers=PAGE_HEADERS)


async def desk_page(request: web.Request) -> web.Response:
    """The agent desk (login, presence, offers, screen pop, inbox)."""
    return await _page(request, "desk")


async def wallboard_page(request: web.Request) -> web.Response:
    """The supervisor wallboard (its script asks for the supervisor role itself)."""
    return await _page(request, "wallboard")


async def config_view(request: web.Request) -> web.Response:
    """``GET /api/v1/desk/config``: what the desk offers agents to pick from."""
    principal = await current_user(request)
    config = request.app[keys.LIVE_CONFIG].value("desk")
    return web.json_response(config.to_dict(None if principal.at_least("supervisor") else principal.departments))


async def wrap_up(request: web.Request) -> web.Response:
    """``POST /api/v1/conversations/{id}/wrap-up``: disposition recorded, conversation closed."""
    principal = await current_user(request)
    conversation_id = path_int(request)
    body = await read_body(request)
    code = require_str(body, "disposition", max_len=64)
    config = request.app[keys.LIVE_CONFIG].value("desk")
    disposition = config.disposition(code)
    if disposition is None:
        codes = ", ".join(d.code for d in config.dispositions)
        raise ValidationError("disposition", f"'disposition' must be one of {codes}")
    inbox = request.app[INBOX]
    conv = await inbox.visible(principal, conversation_id)
    owner = conv["assigned_user_id"]
    if owner not in (None, principal.id) and not principal.at_least("supervisor"):
        raise Forbidden("only the agent who has this conversation (or a supervisor) can wrap it up")
    async with request.app[keys.DB].session() as s:
        await s.execute(update(Conversation).where(Conversation.id == conversation_id)
                        .values(disposition=disposition.code))
    result = await inbox.apply(conversation_id, Action.CLOSE)
    return web.json_response({"conversation": {**result.conversation, "disposition": disposition.code},
                              "changed": result.changed})


async def waiting_history(request: web.Request) -> web.Response:
    """``GET /api/v1/desk/wallboard/history``: ``{"samples": [[at, waiting, {channel: n}], …]}``."""
    await current_user(request, role="supervisor")
    samples = request.app[HISTORY].view(time.time())
    return web.json_response({"window_seconds": request.app[HISTORY].window,
                              "samples": [s.to_list() for s in samples]})


async def _history_ctx(app: web.Application) -> AsyncIterator[None]:
    history = WaitingHistory()
    app[HISTORY] = history
    unsubscribe = app[keys.BUS].subscribe(history.listener(), SupervisorsNotified)
    yield
    unsubscribe()


def register(app: web.Application) -> None:
    """Add the desk's pages, assets and REST routes (called from ``agent_ui.register``)."""
    desk_config(app[keys.SETTINGS].section("desk"))  # a bad [desk] fails at start-up
    app[keys.LIVE_CONFIG].section("desk", validate=lambda raw, _context: desk_config(raw or {}))
    app.router.add_get("/", home)
    app.router.add_get("/desk", desk_page)
    app.router.add_get("/wallboard", wallboard_page)
    app.router.add_static("/ui/desk/", STATIC / "desk", append_version=False)
    app.router.add_static("/ui/wallboard/", STATIC / "wallboard", append_version=False)
    app.router.add_static("/ui/i18n/", STATIC / "i18n", append_version=False)  # i18n.js and <lang>.json
    api = app[keys.API]
    api.add("GET", "/", summary="Redirect to the desk (agents), the wallboard (supervisors) or the console (admins)",
            tag="ui",
            auth="none")
    api.add("GET", "/desk", summary="The agent desk (HTML)", tag="ui", auth="none")
    api.add("GET", "/wallboard", summary="The supervisor wallboard (HTML)", tag="ui", auth="none")
    app.router.add_get("/api/v1/desk/config", config_view)
    text = {"type": "string"}
    api.add("GET", "/api/v1/desk/config", tag="desk",
            summary="Canned responses, wrap-up dispositions and away reasons ([desk] settings)",
            response=obj(
                ("canned_responses", "dispositions", "away_reasons"),
                canned_responses={"type": "array", "items": obj(("id", "title", "text"), id=text, title=text,
                                                                 text=text)},
                dispositions={"type": "array", "items": obj(("code", "label"), code=text, label=text)},
                away_reasons={"type": "array", "items": text},
                service_level_target={"type": "number", "description": "share answered in time the wallboard expects"}),
            errors=(401,))
    app.router.add_get("/api/v1/desk/wallboard/history", waiting_history)
    api.add("GET", "/api/v1/desk/wallboard/history", tag="desk",
            summary="Contacts waiting (and on offer) over the last hour, one peak per 10 s, for the wallboard chart",
            response=obj(("window_seconds", "samples"), window_seconds={"type": "number"},
                         samples={"type": "array",
                                  "items": {"type": "array", "description": "[at, waiting, {channel: n}]"}}),
            errors=(401, 403))
    app.cleanup_ctx.append(_history_ctx)
    app.router.add_post("/api/v1/conversations/{id}/wrap-up", wrap_up)
    api.add("POST", "/api/v1/conversations/{id}/wrap-up", tag="inbox",
            summary="Wrap up: record the disposition code and close the conversation",
            parameters=[path_param("id", "Conversation id")],
            request=obj(("disposition",), disposition={"type": "string",
                                                       "description": "a code from GET /api/v1/desk/config"}),
            response={"type": "object", "properties": {"conversation": CONVERSATION,
                                                       "changed": {"type": "boolean"}}},
            errors=(401, 403, 404, 422))
