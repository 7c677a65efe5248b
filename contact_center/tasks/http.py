"""The tasks' REST API and wiring: callbacks' outcomes, follow-ups, missed-call notices.

* ``GET /api/v1/conversations/{id}/tasks``: the conversation's tasks (a callback's own with its
  linked calls, follow-ups set on it); audited.
* ``POST /api/v1/tasks/{id}/outcome`` ``{"outcome", "retry_at"?, "note"?}``: how calling back went.
* ``POST|DELETE /api/v1/conversations/{id}/follow-up`` ``{"at", "note"?}``: pending until *at*.
* ``GET /api/v1/desk/missed-calls``, ``POST /api/v1/desk/missed-calls/{id}/dismiss``: the user's
  "missed call from …" notices.

Settings (``[tasks]``): ``callbacks`` (default true: missed inbound calls become callbacks) and
``scheduler_interval_seconds`` (default 5: how often due follow-ups and retries are looked for).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from contact_center import keys
from contact_center.errors import ConfigError
from contact_center.http.auth import current_user
from contact_center.http.bodies import optional_str, path_int, read_body, require_str
from contact_center.http.openapi import obj
from contact_center.inbox import INBOX
from contact_center.inbox.schemas import path_param
from contact_center.tasks import TASKS
from contact_center.tasks.decide import MAX_NOTE, OUTCOMES
from contact_center.tasks.service import TaskService

TASK = obj(("id", "kind", "status", "conversation_id"),
           id={"type": "integer"}, kind={"type": "string", "enum": ["callback", "follow_up"]},
           status={"type": "string", "enum": ["open", "done", "cancelled"]}, conversation_id={"type": "integer"},
           number={"type": ["string", "null"]}, outcome={"type": ["string", "null"]},
           due_at={"type": ["string", "null"]}, attempts={"type": "integer"}, missed_calls={"type": "integer"},
           calls={"type": "array", "items": {"type": "object"}})
NOTICE = obj(("id", "call_id"), id={"type": "integer"}, call_id={"type": "string"},
             number={"type": ["string", "null"]}, customer_name={"type": ["string", "null"]},
             at={"type": "string"})


def _service(request: web.Request) -> TaskService:
    return request.app[TASKS]


async def list_tasks(request: web.Request) -> web.Response:
    principal = await current_user(request)
    conversation_id = path_int(request)
    tasks = await _service(request).tasks_of(principal, conversation_id)
    await request.app[keys.AUDIT].record(request, action="tasks_view", object_type="conversation",
                                         object_id=conversation_id,
                                         customer_id=next((t["customer_id"] for t in tasks if t["customer_id"]), None))
    return web.json_response({"tasks": tasks})


async def record_outcome(request: web.Request) -> web.Response:
    principal = await current_user(request)
    task_id = path_int(request)
    body = await read_body(request)
    retry_at = body.get("retry_at")
    task = await _service(request).record_outcome(
        principal, task_id, outcome=require_str(body, "outcome", max_len=32),
        retry_at=None if retry_at is None else require_str(body, "retry_at", max_len=64),
        note=optional_str(body, "note", max_len=MAX_NOTE))
    return web.json_response({"task": task})


async def set_follow_up(request: web.Request) -> web.Response:
    principal = await current_user(request)
    conversation_id = path_int(request)
    body = await read_body(request)
    task = await _service(request).follow_up(principal, conversation_id, at=require_str(body, "at", max_len=64),
                                             note=optional_str(body, "note", max_len=MAX_NOTE))
    return web.json_response({"task": task})


async def cancel_follow_up(request: web.Request) -> web.Response:
    principal = await current_user(request)
    task = await _service(request).cancel_follow_up(principal, path_int(request))
    return web.json_response({"task": task})


async def missed_calls(request: web.Request) -> web.Response:
    principal = await current_user(request)
    notices = await _service(request).notices(principal)
    if notices:
        await request.app[keys.AUDIT].record(request, action="missed_calls_view",
                                             detail={"notices": [n["id"] for n in notices]})
    return web.json_response({"notices": notices})


async def dismiss_missed_call(request: web.Request) -> web.Response:
    principal = await current_user(request)
    await _service(request).dismiss(principal, path_int(request))
    return web.json_response({"dismissed": True})


def _settings(app: web.Application) -> tuple[bool, float]:
    raw = app[keys.SETTINGS].section("tasks")
    callbacks = raw.get("callbacks", True)
    if not isinstance(callbacks, bool):
        raise ConfigError("tasks.callbacks must be true or false")
    try:
        interval = float(raw.get("scheduler_interval_seconds", 5))
    except (TypeError, ValueError) as exc:
        raise ConfigError("tasks.scheduler_interval_seconds must be a number") from exc
    if not 0 < interval <= 3600:
        raise ConfigError("tasks.scheduler_interval_seconds must be above 0 and at most 3600")
    return callbacks, interval


def _blocked(app: web.Application) -> Any:
    """Whether a number is on ``[telephony] blocked_numbers`` (the telephony plugin's live section,
    read by its ``blocked`` set when that plugin is loaded): a blocked caller gets no callback."""
    live = app[keys.LIVE_CONFIG]

    def blocked(number: str) -> bool:
        try:
            section = live.value("telephony")
        except KeyError:
            return False
        return number in getattr(section, "blocked", ())

    return blocked


async def _tasks_ctx(app: web.Application) -> AsyncIterator[None]:
    callbacks, interval = _settings(app)
    service = TaskService(db=app[keys.DB], bus=app[keys.BUS], inbox=app[INBOX], blocked=_blocked(app),
                          callbacks=callbacks)
    service.subscribe()
    app[TASKS] = service
    scheduler = asyncio.create_task(service.run_scheduler(interval), name="tasks-scheduler")
    yield
    scheduler.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await scheduler


def register(app: web.Application) -> None:
    """Add the task routes and the service (after the inbox's context, before the bus starts)."""
    app.cleanup_ctx.append(_tasks_ctx)
    api = app[keys.API]
    cid = path_param("id", "Conversation id")
    app.router.add_get("/api/v1/conversations/{id}/tasks", list_tasks)
    api.add("GET", "/api/v1/conversations/{id}/tasks", tag="tasks", parameters=[cid],
            summary="The conversation's tasks: a callback with its missed calls and attempts, follow-ups (audited)",
            response=obj(("tasks",), tasks={"type": "array", "items": TASK}), errors=(401, 404, 503))
    app.router.add_post("/api/v1/tasks/{id}/outcome", record_outcome)
    api.add("POST", "/api/v1/tasks/{id}/outcome", tag="tasks", parameters=[path_param("id", "Task id")],
            summary="Record how calling back went; not reached with retry_at: try again then",
            request=obj(("outcome",), outcome={"type": "string", "enum": list(OUTCOMES)},
                        retry_at={"type": "string", "format": "date-time"}, note={"type": "string"}),
            response=obj(("task",), task=TASK), errors=(401, 403, 404, 409, 415, 422))
    app.router.add_post("/api/v1/conversations/{id}/follow-up", set_follow_up)
    api.add("POST", "/api/v1/conversations/{id}/follow-up", tag="tasks", parameters=[cid],
            summary="Follow up at a time: the conversation is pending until then, then back with this agent "
                    "(a call's: a callback then)",
            request=obj(("at",), at={"type": "string", "format": "date-time"}, note={"type": "string"}),
            response=obj(("task",), task=TASK), errors=(401, 404, 409, 415, 422))
    app.router.add_delete("/api/v1/conversations/{id}/follow-up", cancel_follow_up)
    api.add("DELETE", "/api/v1/conversations/{id}/follow-up", tag="tasks", parameters=[cid],
            summary="Cancel the follow-up; a pending conversation is queued again at once",
            response=obj(("task",), task=TASK), errors=(401, 404))
    app.router.add_get("/api/v1/desk/missed-calls", missed_calls)
    api.add("GET", "/api/v1/desk/missed-calls", tag="tasks",
            summary="The user's missed-call notices not dismissed yet (audited)",
            response=obj(("notices",), notices={"type": "array", "items": NOTICE}), errors=(401, 503))
    app.router.add_post("/api/v1/desk/missed-calls/{id}/dismiss", dismiss_missed_call)
    api.add("POST", "/api/v1/desk/missed-calls/{id}/dismiss", tag="tasks",
            parameters=[path_param("id", "Notice id")], summary="Dismiss one of the user's missed-call notices",
            response=obj(("dismissed",), dismissed={"type": "boolean"}), errors=(401, 404))
