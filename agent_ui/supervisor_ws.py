"""``GET /ws/supervisor``: the supervisors' live view (supervisor role or higher).

On connect the socket gets ``app[keys.SUPERVISOR_SNAPSHOT]()`` (when the routing plugin
installed one), then every ``SupervisorsNotified`` frame; ``ping`` is answered with ``pong``.
Each socket sees its user's departments only (:func:`contact_center.auth.scope.scoped_frame`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, cast

from aiohttp import WSMsgType, web

from agent_ui.agent_ws import HUB, error_frame, session_watched
from agent_ui.hub import Connection, Hub
from contact_center import keys
from contact_center.auth.scope import scoped_frame
from contact_center.http.auth import current_user, request_session

log = logging.getLogger(__name__)


async def supervisor_ws(request: web.Request) -> web.StreamResponse:
    """Authenticate (401/403 before the upgrade), send the snapshot, then stream updates."""
    principal = await current_user(request, role="supervisor")
    ws = web.WebSocketResponse(heartbeat=30.0, max_msg_size=16 * 1024)
    await ws.prepare(request)
    hub = request.app[HUB]
    conn = hub.attach(ws, principal, supervisor=True, transport=request.transport, session=request_session(request))
    snapshot = cast(Callable[[], Awaitable[dict[str, Any]]] | None, request.app[keys.SUPERVISOR_SNAPSHOT])
    if snapshot is not None:
        try:
            hub.send(conn, scoped_frame(principal, await snapshot()))
        except Exception:
            log.exception("supervisor snapshot failed")
            hub.send(conn, error_frame("snapshot_failed", "the queue snapshot is not available"))
    try:
        async with session_watched(request, conn):
            await _serve(ws, hub, conn)
    finally:
        await hub.detach(conn)
    return ws


async def _serve(ws: web.WebSocketResponse, hub: Hub, conn: Connection) -> None:
    async for msg in ws:
        if msg.type != WSMsgType.TEXT:
            continue
        try:
            frame = json.loads(msg.data)
        except json.JSONDecodeError:
            frame = None
        if isinstance(frame, dict) and frame.get("type") == "ping":
            hub.send(conn, {"type": "pong"})
        else:
            hub.send(conn, error_frame("unknown_type", "supervisor sockets only accept 'ping'", field="type"))
