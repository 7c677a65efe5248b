"""The browser side: agent and supervisor websockets, the minimal agent page.

* :mod:`.hub`: per-socket bounded send queues and sender tasks; slow readers are dropped.
* :mod:`.agent_ws`: ``GET /ws/agent`` (session cookie); ``UserNotified`` frames for this user,
  incoming frames dispatched by ``type`` to ``app[keys.AGENT_COMMANDS]``.
* :mod:`.supervisor_ws`: ``GET /ws/supervisor`` (supervisor role); snapshot, then
  ``SupervisorsNotified`` frames.
* :mod:`.pages`: ``GET /agent`` (redirects to the desk).
* :mod:`.languages`: the screens' languages and the localised page shell.

It renders what the core says and decides nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from agent_ui import admin, desk
from agent_ui.agent_ws import HUB, agent_ws
from agent_ui.hub import Hub
from agent_ui.pages import register_pages
from agent_ui.supervisor_ws import supervisor_ws
from contact_center import keys
from contact_center.auth.scope import scoped_frame
from contact_center.events import SessionsEnded, SupervisorsNotified, UserNotified


def register(app: web.Application) -> None:
    """Plugin entry point: websocket routes, the agent page and the hub."""
    app.router.add_get("/ws/agent", agent_ws)
    app.router.add_get("/ws/supervisor", supervisor_ws)
    register_pages(app)
    desk.register(app)  # the agent desk (/desk) and the supervisor wallboard (/wallboard)
    admin.register(app)  # the admin console (/admin)
    api = app[keys.API]
    api.add("GET", "/ws/agent", tag="websocket", errors=(401,),
            summary="Agent websocket: JSON frames with a 'type' (screen_pop, call_ringing, offers, …)")
    api.add("GET", "/ws/supervisor", tag="websocket", errors=(401, 403),
            summary="Supervisor websocket: the queue snapshot, then live updates")
    app.cleanup_ctx.append(_hub_ctx)
    app.on_shutdown.append(_close_sockets)


async def _close_sockets(app: web.Application) -> None:
    # Open sockets would otherwise hold graceful shutdown until its timeout.
    if HUB in app:
        await app[HUB].close()


async def _hub_ctx(app: web.Application) -> AsyncIterator[None]:
    hub = Hub()
    app[HUB] = hub

    app[keys.LOCAL_DELIVERY] = hub

    async def to_user(event: UserNotified) -> None:
        hub.on_user_notified(event.user_id, event.frame, event.origin)

    async def to_supervisors(event: SupervisorsNotified) -> None:
        hub.send_to_supervisors(event.frame, scoped_frame)

    async def sessions_ended(event: SessionsEnded) -> None:
        hub.end_sessions(event.user_id, event.session)

    bus = app[keys.BUS]
    unsubscribe = [bus.subscribe(to_user, UserNotified), bus.subscribe(to_supervisors, SupervisorsNotified),
                   bus.subscribe(sessions_ended, SessionsEnded)]
    yield
    for stop in unsubscribe:
        stop()
    await hub.close()
