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
* ``POST /api/v1/conversations/{id}/wrap-up``: record the outcome (and a note) and close the
  conversation, which ends its agent's wrap-up.
* ``GET /api/v1/desk/wallboard/history``: contacts waiting over the last hour (the wallboard's
  chart), kept by :mod:`agent_ui.wallboard_history` from routing's snapshot frames.

The desk renders what the core and the plugins say over ``/ws/agent``, ``/ws/supervisor`` and the
REST API; it decides nothing itself.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import update

from agent_ui.desk_config import MAX_TEXT, desk_config, outcome_choice
from agent_ui.languages import localised_page
from agent_ui.wallboard_history import WaitingHistory
from contact_center import keys
from contact_center.auth.sessions import COOKIE_NAME
from contact_center.errors import AuthError, Forbidden, NotFound
from contact_center.events import SupervisorsNotified
from contact_center.http.auth import current_user
from contact_center.http.bodies import optional_str, path_int, read_body
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


def _wrap_up_settings(department: Mapping[str, Any]) -> dict[str, Any]:
    return {"outcomes": department["outcomes"], "outcome_required": department["outcome_required"],
            "after_call_work_seconds": department["after_call_work_seconds"]}


async def config_view(request: web.Request) -> web.Response:
    """``GET /api/v1/desk/config``: what the desk offers agents to pick from, with the wrap-up
    settings (outcome codes, whether one is required, after-call work) of their departments."""
    principal = await current_user(request)
    config = request.app[keys.LIVE_CONFIG].value("desk")
    mine = None if principal.at_least("supervisor") else principal.departments
    departments = await request.app[keys.DEPARTMENTS].list(include_inactive=False)
    return web.json_response({**config.to_dict(mine), "wrap_up": {
        d["slug"]: _wrap_up_settings(d) for d in departments if mine is None or d["slug"] in mine}})


async def wrap_up(request: web.Request) -> web.Response:
    """``POST /api/v1/conversations/{id}/wrap-up``: the outcome (and a note) recorded, conversation
    closed; the agent's wrap-up ends (routing hears the close) and the next contact may come."""
    principal = await current_user(request)
    conversation_id = path_int(request)
    body = await read_body(request)
    code = optional_str(body, "disposition", max_len=64)
    note = optional_str(body, "note", max_len=MAX_TEXT)
    inbox = request.app[INBOX]
    conv = await inbox.visible(principal, conversation_id)
    owner = conv["assigned_user_id"]
    if owner not in (None, principal.id) and not principal.at_least("supervisor"):
        raise Forbidden("only the agent who has this conversation (or a supervisor) can wrap it up")
    config = request.app[keys.LIVE_CONFIG].value("desk")
    department = await _department(request, conv.get("department"))
    allowed = tuple(department["outcomes"] if department and department["outcomes"]
                    else (d.code for d in config.dispositions))
    # Calls follow their department (an outcome may be optional there); other contacts need one.
    required = conv["channel"] != "call" or bool(department and department["outcome_required"])
    disposition = outcome_choice(code, allowed=allowed, required=required)
    if note and note.strip():
        await inbox.reply(principal, conversation_id, text=note, direction="note")
    async with request.app[keys.DB].session() as s:
        await s.execute(update(Conversation).where(Conversation.id == conversation_id)
                        .values(disposition=disposition))
    result = await inbox.apply(conversation_id, Action.CLOSE)
    return web.json_response({"conversation": {**result.conversation, "disposition": disposition},
                              "changed": result.changed})


async def _department(request: web.Request, slug: str | None) -> dict[str, Any] | None:
    if not slug:
        return None
    try:
        return await request.app[keys.DEPARTMENTS].get(slug)
    except NotFound:
        return None


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
                wrap_up={"type": "object", "description": "per department: outcomes (codes; empty: the dispositions), "
                                                          "outcome_required, after_call_work_seconds"},
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
            summary="Wrap up: record the outcome (and a note), close the conversation, end the agent's wrap-up",
            parameters=[path_param("id", "Conversation id")],
            request=obj((), disposition={"type": "string",
                                         "description": "an outcome code of the department (GET /api/v1/desk/config); "
                                                        "optional for a call whose department requires none"},
                        note={"type": "string", "description": "an internal note stored with the conversation"}),
            response={"type": "object", "properties": {"conversation": CONVERSATION,
                                                       "changed": {"type": "boolean"}}},
            errors=(401, 403, 404, 422))
