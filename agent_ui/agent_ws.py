"""``GET /ws/agent``: an agent's live channel (session cookie), JSON frames with a ``type``.

Server -> agent: ``hello`` on connect, then every ``UserNotified`` frame for this user only
(``screen_pop``, ``screen_pop_section``, ``call_ringing``, ``call_ended``, offers …), and
replies to the agent's own commands. Agent -> server: frames dispatched by ``type`` to
``app[keys.AGENT_COMMANDS]`` (filled by the plugins); the reply, if any, goes back to this socket
with the request's ``id`` echoed. Errors come back as ``{"type": "error", "code", "message",
"field"?}``. ``ping`` is answered with ``pong``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import WSMsgType, web

from agent_ui.hub import Connection, Hub
from contact_center import keys
from contact_center.auth.roles import Principal
from contact_center.auth.sessions import COOKIE_NAME
from contact_center.errors import AuthError, ContactCenterError
from contact_center.http.auth import current_user, request_session

log = logging.getLogger(__name__)

HUB = web.AppKey("agent_ui.hub", Hub)
MAX_FRAME_BYTES = 64 * 1024


def error_frame(code: str, message: str, *, field: str | None = None, request_id: Any = None) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "error", "code": code, "message": message}
    if field is not None:
        frame["field"] = field
    if request_id is not None:
        frame["id"] = request_id
    return frame


async def notify_presence(
    app: web.Application, principal: Principal, kind: str, conn: Connection | None = None
) -> None:
    """Call the reserved ``_connected``/``_disconnected`` command, if a plugin installed it.

    A reply frame (routing answers ``_connected`` with the agent's presence) goes to *conn*.
    """
    handler = app[keys.AGENT_COMMANDS].get(kind)
    if handler is None:
        return
    try:
        reply = await handler(principal, {"sockets": app[HUB].sockets_of(principal.id)})
    except Exception:
        log.exception("agent command %s failed for %s", kind, principal.username)
        return
    if reply is not None and conn is not None:
        app[HUB].send(conn, reply)


async def dispatch(app: web.Application, conn: Connection, text: str) -> None:
    """Handle one frame from an agent's browser; answer on the same socket."""
    hub = app[HUB]
    try:
        frame = json.loads(text)
    except json.JSONDecodeError:
        hub.send(conn, error_frame("malformed_frame", "frames must be JSON objects"))
        return
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        hub.send(conn, error_frame("malformed_frame", "frames must be JSON objects with a 'type'", field="type"))
        return
    kind, request_id = frame["type"], frame.get("id")
    if kind == "ping":
        hub.send(conn, {"type": "pong", "id": request_id} if request_id is not None else {"type": "pong"})
        return
    handler = None if kind.startswith("_") else app[keys.AGENT_COMMANDS].get(kind)
    if handler is None:
        hub.send(conn, error_frame("unknown_type", f"unknown frame type {kind!r}", field="type",
                                   request_id=request_id))
        return
    try:
        reply = await handler(conn.principal, frame)
    except ContactCenterError as exc:
        hub.send(conn, error_frame(exc.code, exc.message, field=exc.field, request_id=request_id))
        return
    except Exception:
        log.exception("agent command %s failed", kind)
        hub.send(conn, error_frame("internal_error", "internal error", request_id=request_id))
        return
    if reply is not None:
        hub.send(conn, {**reply, "id": request_id} if request_id is not None else reply)


async def watch_session(request: web.Request, conn: Connection) -> None:
    """Re-check the socket's login session every ``auth.session_check_seconds`` (an open socket counts as
    activity); close the socket once the session is over (expired, idle, logged out elsewhere, the user
    deactivated). Logout and deactivation close it at once through ``SessionsEnded``; this catches expiry."""
    app = request.app
    token = request.cookies.get(COOKIE_NAME)
    while True:
        await asyncio.sleep(app[keys.SETTINGS].session_check_seconds)
        try:
            await app[keys.SESSIONS].resolve(token)
        except AuthError:
            app[HUB].end_sessions(conn.principal.id, conn.session)
            return
        except Exception:  # the store is down for a moment: keep the socket, check again later
            log.warning("cannot check the session of %s's socket", conn.principal.username, exc_info=True)


@contextlib.asynccontextmanager
async def session_watched(request: web.Request, conn: Connection) -> AsyncIterator[None]:
    """Run :func:`watch_session` for *conn* while the block runs."""
    watch = asyncio.create_task(watch_session(request, conn), name=f"ws-session-{conn.principal.username}")
    try:
        yield
    finally:
        watch.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watch


async def agent_ws(request: web.Request) -> web.StreamResponse:
    """Authenticate (401/403 before the upgrade), then serve the agent's socket."""
    principal = await current_user(request, role="agent")
    # No per-message deflate: frames are a few KB and deflating each one costs more server CPU
    # (about 0.15-0.25 ms for a pop) than it saves on an agent's LAN/VPN link.
    ws = web.WebSocketResponse(heartbeat=30.0, max_msg_size=MAX_FRAME_BYTES, compress=False)
    await ws.prepare(request)
    app = request.app
    hub = app[HUB]
    conn = hub.attach(ws, principal, transport=request.transport, session=request_session(request))
    hub.send(conn, {"type": "hello", "user": principal.to_dict()})
    await notify_presence(app, principal, "_connected", conn)
    try:
        async with session_watched(request, conn):
            async for msg in ws:
                if conn.dropped:  # the session ended: no command runs after that
                    break
                if msg.type == WSMsgType.TEXT:
                    await dispatch(app, conn, msg.data)
                elif msg.type == WSMsgType.BINARY:
                    hub.send(conn, error_frame("malformed_frame", "binary frames are not accepted"))
    finally:
        await hub.detach(conn)
        await notify_presence(app, principal, "_disconnected")
    return ws
