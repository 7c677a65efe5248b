"""Routing's REST routes and agent websocket commands.

REST (all documented in the OpenAPI document):

* ``GET /api/v1/stats/queues`` (supervisor) — the ``queue_snapshot`` frame.
* ``GET /api/v1/routing/presence`` / ``PUT /api/v1/routing/presence`` (agent) — own presence.
* (the supervisor's actions on agents and queues are :mod:`routing.supervise`)
* ``POST /api/v1/routing/offers/{offer_id}/accept`` and ``…/reject`` (agent) — answer an offer.
* ``POST /api/v1/routing/wrap-up/extend`` (agent) ``{"seconds"}`` — more after-call work time.

Agent websocket commands (frame ``type`` -> reply): ``offer.accept`` ``{"offer_id"}`` ->
``{"type": "offer.accepted", "offer_id", "conversation_id"}``; ``offer.reject`` ``{"offer_id"}``
-> ``{"type": "offer.rejected", …}``; ``presence.set`` ``{"presence", "reason"?}`` -> a
``presence`` frame; ``wrap_up.extend`` ``{"seconds"}`` -> a ``presence`` frame; ``_connected`` /
``_disconnected`` follow the agent's sockets.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from contact_center import keys
from contact_center.auth.roles import Principal
from contact_center.auth.scope import scoped_frame
from contact_center.errors import NotFound, ValidationError
from contact_center.http.auth import current_user
from contact_center.http.bodies import optional_str, read_body, require_str
from contact_center.http.openapi import obj
from routing.notifier import presence_frame
from routing.services import ROUTING, RoutingServices
from routing.wrapup import MAX_EXTENSION

Frame = dict[str, Any]
PRESENCE_REQUEST = obj(("presence",), presence={"type": "string", "enum": ["available", "away", "offline"]},
                       reason={"type": "string"})
PRESENCE_FRAME = obj(("type", "presence", "state"), type={"type": "string"}, presence={"type": "string"},
                     state={"type": "string"}, reason={"type": ["string", "null"]}, load={"type": "object"},
                     capacity={"type": "object"}, wrap_up_until={"type": ["number", "null"]},
                     routed={"type": "boolean", "description": "false: routing offers this user nothing"},
                     wrap_up={"type": ["object", "null"],
                              "description": "conversation_id, until, outcome_required while wrapping up"})
EXTEND_REQUEST = obj(("seconds",), seconds={"type": "number", "minimum": 1, "maximum": 600})
OFFER_REPLY = obj(("type", "offer_id", "conversation_id"), type={"type": "string"}, offer_id={"type": "string"},
                  conversation_id={"type": "integer"})


def _services(app: web.Application) -> RoutingServices:
    return app[ROUTING]


async def queue_stats(request: web.Request) -> web.Response:
    principal = await current_user(request, role="supervisor")
    return web.json_response(scoped_frame(principal, await _services(request.app).feed.snapshot()))


async def get_presence(request: web.Request) -> web.Response:
    """My presence; a user routing offers nothing to (a supervisor, an admin) gets ``routed: false``
    and no state, so their desk shows no presence switch (and nothing that looks like a lost link)."""
    principal = await current_user(request)
    services = _services(request.app)
    agent = await services.router.reservations.agent(principal.id)
    if agent is None:
        try:
            agent = await services.presence.set(principal.id, "offline", None)
        except NotFound:
            return web.json_response({"type": "presence", "routed": False, "presence": "offline", "state": "offline",
                                      "reason": None})
    return web.json_response({**presence_frame(agent, services.router.clock()), "routed": True})


async def _set_presence(request: web.Request, user_id: int) -> web.Response:
    body = await read_body(request)
    services = _services(request.app)
    agent = await services.presence.set(user_id, require_str(body, "presence", max_len=16),
                                        optional_str(body, "reason", max_len=200))
    return web.json_response(presence_frame(agent, services.router.clock()))


async def put_presence(request: web.Request) -> web.Response:
    principal = await current_user(request)
    return await _set_presence(request, principal.id)


def _extension(raw: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not 1 <= raw <= MAX_EXTENSION:
        raise ValidationError("seconds", f"'seconds' must be a number from 1 to {MAX_EXTENSION:.0f}")
    return float(raw)


async def extend_wrap_up(request: web.Request) -> web.Response:
    """``POST /api/v1/routing/wrap-up/extend``: more after-call work time for my current wrap-up."""
    principal = await current_user(request)
    body = await read_body(request)
    services = _services(request.app)
    agent = await services.router.extend_wrap_up(principal.id, _extension(body.get("seconds")))
    return web.json_response(presence_frame(agent, services.router.clock()))


async def accept_offer(request: web.Request) -> web.Response:
    principal = await current_user(request)
    contact = await _services(request.app).router.accept(principal.id, request.match_info["offer_id"])
    return web.json_response({"type": "offer.accepted", "offer_id": request.match_info["offer_id"],
                              "conversation_id": contact.conversation_id})


async def reject_offer(request: web.Request) -> web.Response:
    principal = await current_user(request)
    contact = await _services(request.app).router.decline(principal.id, request.match_info["offer_id"])
    return web.json_response({"type": "offer.rejected", "offer_id": request.match_info["offer_id"],
                              "conversation_id": contact.conversation_id})


# --------------------------------------------------------------------------- websocket commands


def _offer_id(frame: Frame) -> str:
    value = frame.get("offer_id")
    if not isinstance(value, str) or not value:
        raise ValidationError("offer_id", "'offer_id' is required")
    return value


def agent_commands(app: web.Application) -> dict[str, Callable[[Principal, Frame], Awaitable[Frame | None]]]:
    """The handlers routing adds to ``app[keys.AGENT_COMMANDS]``."""

    async def accept(principal: Principal, frame: Frame) -> Frame | None:
        offer_id = _offer_id(frame)
        contact = await _services(app).router.accept(principal.id, offer_id)
        return {"type": "offer.accepted", "offer_id": offer_id, "conversation_id": contact.conversation_id}

    async def reject(principal: Principal, frame: Frame) -> Frame | None:
        offer_id = _offer_id(frame)
        contact = await _services(app).router.decline(principal.id, offer_id)
        return {"type": "offer.rejected", "offer_id": offer_id, "conversation_id": contact.conversation_id}

    async def set_presence(principal: Principal, frame: Frame) -> Frame | None:
        presence = frame.get("presence")
        reason = frame.get("reason")
        if not isinstance(presence, str):
            raise ValidationError("presence", "'presence' is required")
        services = _services(app)
        agent = await services.presence.set(principal.id, presence, reason if isinstance(reason, str) else None)
        return presence_frame(agent, services.router.clock())

    async def extend(principal: Principal, frame: Frame) -> Frame | None:
        services = _services(app)
        agent = await services.router.extend_wrap_up(principal.id, _extension(frame.get("seconds")))
        return presence_frame(agent, services.router.clock())

    async def connected(principal: Principal, frame: Frame) -> Frame | None:
        return await _services(app).presence.connected(principal, int(frame.get("sockets", 1)))

    async def disconnected(principal: Principal, frame: Frame) -> Frame | None:
        await _services(app).presence.disconnected(principal, int(frame.get("sockets", 0)))
        return None

    return {"offer.accept": accept, "offer.reject": reject, "presence.set": set_presence, "wrap_up.extend": extend,
            "_connected": connected, "_disconnected": disconnected}


def register(app: web.Application) -> None:
    """Add the routes, document them, and install the agent commands."""
    api = app[keys.API]
    app.router.add_get("/api/v1/stats/queues", queue_stats)
    api.add("GET", "/api/v1/stats/queues", tag="routing", errors=(401, 403),
            summary="Live queue view per department and channel (the supervisor websocket's snapshot frame)",
            response=obj(("type", "queues", "agents", "totals"), type={"type": "string"},
                         queues={"type": "array"}, agents={"type": "array"}, totals={"type": "object"}))
    app.router.add_get("/api/v1/routing/presence", get_presence)
    api.add("GET", "/api/v1/routing/presence", tag="routing", summary="My routing presence and load",
            response=PRESENCE_FRAME, errors=(401,))
    app.router.add_put("/api/v1/routing/presence", put_presence)
    api.add("PUT", "/api/v1/routing/presence", tag="routing", summary="Set my presence (available, away, offline)",
            request=PRESENCE_REQUEST, response=PRESENCE_FRAME, errors=(401, 404, 422))
    offer_param = [{"name": "offer_id", "in": "path", "required": True, "schema": {"type": "string"}}]
    app.router.add_post("/api/v1/routing/offers/{offer_id}/accept", accept_offer)
    api.add("POST", "/api/v1/routing/offers/{offer_id}/accept", tag="routing", summary="Accept an offer",
            response=OFFER_REPLY, errors=(401, 404, 409), parameters=offer_param)
    app.router.add_post("/api/v1/routing/offers/{offer_id}/reject", reject_offer)
    api.add("POST", "/api/v1/routing/offers/{offer_id}/reject", tag="routing", summary="Reject an offer",
            response=OFFER_REPLY, errors=(401, 404, 409), parameters=offer_param)
    app.router.add_post("/api/v1/routing/wrap-up/extend", extend_wrap_up)
    api.add("POST", "/api/v1/routing/wrap-up/extend", tag="routing",
            summary="More after-call work time for my current wrap-up (the websocket's wrap_up.extend)",
            request=EXTEND_REQUEST, response=PRESENCE_FRAME, errors=(400, 401, 409, 422))
    app[keys.AGENT_COMMANDS].update(agent_commands(app))
