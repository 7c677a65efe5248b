"""The supervisor's actions from the wallboard, each within the departments they supervise
(:mod:`contact_center.auth.scope`; admins everywhere) and each audited.

* ``GET /api/v1/routing/queues/{queue}/contacts`` — a tile opened: the contacts waiting (or on
  offer) in that queue with channel, customer, waiting time, priority and routing reason, and the
  agents who could take one (the supervisor's, working that channel; the queue's department first)
  with whether they can now. Reading customer names is audited.
* ``POST /api/v1/routing/contacts/{id}/assign`` ``{"user_id"}`` — a waiting contact to one agent.
  As Flex's supervisor transfer does, the agent gets an *offer* (ringing, with their alerts) rather
  than the contact landing on them unannounced: it reaches them however busy their screen is, and
  it stays in the queue, held for them, should they let it pass (see :meth:`Router.transfer`).
* ``PUT /api/v1/routing/agents/{id}/presence`` ``{"presence", "reason"}`` — an agent's state, with
  one of ``[routing] state_reasons``.
* ``POST /api/v1/routing/agents/{id}/logout`` ``{"reason"}`` — ends every session of the user
  (their desks and wallboards close at once on every instance) and sets them offline.
* ``GET /api/v1/routing/state-reasons`` — the reasons the two above accept.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from contact_center import keys
from contact_center.auth.roles import Principal
from contact_center.auth.scope import covers, may_steer, supervised
from contact_center.errors import Conflict, NotFound, ValidationError
from contact_center.http.auth import current_user, end_sessions
from contact_center.http.bodies import optional_int, path_int, read_body, require_str
from contact_center.http.openapi import obj
from routing.floor import waiting_rows
from routing.model import WAITING, AgentState
from routing.notifier import presence_frame
from routing.selection import Need, eligible
from routing.services import ROUTING, RoutingServices

ID_PARAM = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]
REASON = {"type": "string", "description": "one of [routing] state_reasons"}


def _services(request: web.Request) -> RoutingServices:
    return request.app[ROUTING]


def _reason(request: web.Request, body: dict[str, Any]) -> str:
    reasons = _services(request).router.config.state_reasons
    reason = require_str(body, "reason", max_len=64)
    if reason not in reasons:
        raise ValidationError("reason", f"'reason' must be one of: {', '.join(reasons)}")
    return reason


def _agent_name(agent: AgentState) -> str:
    return agent.display_name or agent.username


async def queue_contacts(request: web.Request) -> web.Response:
    principal = await current_user(request, role="supervisor")
    slug = request.match_info["queue"]
    router = _services(request).router
    queue = router.org.queues.get(slug)
    scope = supervised(principal)
    if queue is None or not covers(scope, (queue.department,)):
        raise NotFound(f"no queue {slug}")
    now = router.clock()
    live = await router.reservations.live(now)
    waiting = [c for c in live.contacts if c.queue == slug and c.status != "assigned"]
    customers = sorted({c.customer_id for c in waiting if c.customer_id is not None})
    names = await router.repository.customer_names(customers) if customers else {}
    need = Need(queue.channel, queue.department)
    # Anyone the supervisor steers who works the channel: the queue's own department first, then the free.
    agents = sorted((a for a in live.agents if covers(scope, a.departments) and a.capacity.get(queue.channel)),
                    key=lambda a: (queue.department not in a.departments, not eligible(a, need, now),
                                   _agent_name(a).casefold()))
    if customers:
        await request.app[keys.AUDIT].record(request, action="queue_view", object_type="queue", object_id=slug,
                                             detail={"customers": customers})
    return web.json_response({
        "queue": slug, "department": queue.department, "channel": queue.channel,
        "contacts": waiting_rows(waiting, slug, now=now, names=names,
                                 agent_names={a.user_id: _agent_name(a) for a in live.agents}),
        "agents": [{"user_id": a.user_id, "display_name": _agent_name(a), "state": a.state(now),
                    "load": {k: v for k, v in a.load.items() if v}, "can_take": eligible(a, need, now)}
                   for a in agents],
    })


async def assign(request: web.Request) -> web.Response:
    principal = await current_user(request, role="supervisor")
    conversation_id = path_int(request)
    body = await read_body(request)
    user_id = optional_int(body, "user_id", low=1)
    if user_id is None:
        raise ValidationError("user_id", "'user_id' (the agent to offer it to) is required")
    router = _services(request).router
    scope = supervised(principal)
    contact = await router.reservations.contact(conversation_id)
    if contact is None or not covers(scope, (contact.department,)):
        raise NotFound(f"conversation {conversation_id} is not waiting in a queue you supervise")
    target = await router.reservations.agent(user_id)
    if target is None or not covers(scope, target.departments):
        raise ValidationError("user_id", "'user_id' is not an agent of a department you supervise")
    if contact.status != WAITING:
        raise Conflict("the contact is no longer waiting (an agent has it or it is on offer)")
    if not contact.dispatch:
        raise Conflict("a waiting call is rung by the telephone system; transfer it once answered")
    moved = await router.transfer(conversation_id, user_id=user_id,
                                  why=f"assigned by {principal.display_name or principal.username} "
                                      f"to {_agent_name(target)}")
    await request.app[keys.AUDIT].record(
        request, action="conversation_assign", object_type="conversation", object_id=conversation_id,
        customer_id=contact.customer_id, before={"queue": contact.queue, "status": contact.status},
        after={"queue": moved.queue, "offered_to": user_id})
    return web.json_response({"conversation_id": conversation_id, "queue": moved.queue, "offered_to": user_id})


async def _steerable(request: web.Request, principal: Principal, user_id: int) -> dict[str, Any]:
    """The user *principal* may steer, as the organisation has them; 404 alike for a missing user and
    one outside their departments (ids do not leak)."""
    user = await request.app[keys.USERS].get(user_id)
    if not may_steer(principal, str(user["role"]), user.get("departments") or ()):
        raise NotFound(f"no user {user_id} in the departments you supervise")
    return user


def _state(agent: AgentState | None, now: float) -> dict[str, Any] | None:
    if agent is None:
        return None
    return {"presence": agent.presence, "state": agent.state(now), "reason": agent.reason}


async def agent_presence(request: web.Request) -> web.Response:
    principal = await current_user(request, role="supervisor")
    user_id = path_int(request)
    body = await read_body(request)
    presence = require_str(body, "presence", max_len=16)
    reason = _reason(request, body)
    await _steerable(request, principal, user_id)
    services = _services(request)
    now = services.router.clock()
    before = _state(await services.router.reservations.agent(user_id), now)
    # The reason is what the agent's desk and the wallboard show while away or offline.
    agent = await services.presence.set(user_id, presence, None if presence == "available" else reason)
    await request.app[keys.AUDIT].record(
        request, action="agent_state_change", object_type="user", object_id=user_id,
        before=before, after=_state(agent, now), detail={"reason": reason})
    return web.json_response(presence_frame(agent, services.router.clock()))


async def logout(request: web.Request) -> web.Response:
    principal = await current_user(request, role="supervisor")
    user_id = path_int(request)
    body = await read_body(request)
    reason = _reason(request, body)
    if user_id == principal.id:
        raise ValidationError("id", "sign yourself out with POST /api/v1/auth/logout")
    await _steerable(request, principal, user_id)
    ended = await request.app[keys.SESSIONS].revoke_user(user_id)
    await end_sessions(request.app, user_id, reason="forced_logout")
    services = _services(request)
    before = _state(await services.router.reservations.agent(user_id), services.router.clock())
    presence = None
    if before is not None:
        presence = (await services.presence.set(user_id, "offline", reason)).presence
    await request.app[keys.AUDIT].record(
        request, action="user_forced_logout", object_type="user", object_id=user_id, before=before,
        after={"sessions": 0, "presence": presence}, detail={"reason": reason, "sessions_ended": ended})
    return web.json_response({"user_id": user_id, "sessions_ended": ended, "presence": presence})


async def state_reasons(request: web.Request) -> web.Response:
    await current_user(request, role="supervisor")
    return web.json_response({"reasons": list(_services(request).router.config.state_reasons)})


def register(app: web.Application) -> None:
    """Add the supervisor's routes and document them."""
    api = app[keys.API]
    add = app.router
    add.add_get("/api/v1/routing/queues/{queue}/contacts", queue_contacts)
    api.add("GET", "/api/v1/routing/queues/{queue}/contacts", tag="routing",
            summary="The contacts waiting in a queue, and its agents (supervisors: their departments)",
            parameters=[{"name": "queue", "in": "path", "required": True, "schema": {"type": "string"}}],
            response=obj(("queue", "department", "channel", "contacts", "agents"), queue={"type": "string"},
                         department={"type": "string"}, channel={"type": "string"},
                         contacts={"type": "array", "items": {"type": "object"}},
                         agents={"type": "array", "items": {"type": "object"}}),
            errors=(401, 403, 404))
    add.add_post("/api/v1/routing/contacts/{id}/assign", assign)
    api.add("POST", "/api/v1/routing/contacts/{id}/assign", tag="routing",
            summary="Offer a waiting contact to one agent (held for them; back in the queue if they let it pass)",
            parameters=ID_PARAM, request=obj(("user_id",), user_id={"type": "integer"}),
            response=obj(("conversation_id", "queue", "offered_to"), conversation_id={"type": "integer"},
                         queue={"type": "string"}, offered_to={"type": "integer"}),
            errors=(401, 403, 404, 409, 422))
    add.add_put("/api/v1/routing/agents/{id}/presence", agent_presence)
    api.add("PUT", "/api/v1/routing/agents/{id}/presence", tag="routing",
            summary="Set an agent's presence, with a reason (supervisors: agents of their departments)",
            parameters=ID_PARAM,
            request=obj(("presence", "reason"), presence={"type": "string", "enum": ["available", "away", "offline"]},
                        reason=REASON),
            response=obj(("type", "presence", "state"), type={"type": "string"}, presence={"type": "string"},
                         state={"type": "string"}, reason={"type": ["string", "null"]}),
            errors=(401, 403, 404, 422))
    add.add_post("/api/v1/routing/agents/{id}/logout", logout)
    api.add("POST", "/api/v1/routing/agents/{id}/logout", tag="routing",
            summary="Sign a user out everywhere (their sockets close) and set them offline, with a reason",
            parameters=ID_PARAM, request=obj(("reason",), reason=REASON),
            response=obj(("user_id", "sessions_ended"), user_id={"type": "integer"},
                         sessions_ended={"type": "integer"}, presence={"type": ["string", "null"]}),
            errors=(401, 403, 404, 422))
    add.add_get("/api/v1/routing/state-reasons", state_reasons)
    api.add("GET", "/api/v1/routing/state-reasons", tag="routing",
            summary="The reasons a supervisor gives for changing an agent's state or signing them out",
            response=obj(("reasons",), reasons={"type": "array", "items": {"type": "string"}}), errors=(401, 403))
