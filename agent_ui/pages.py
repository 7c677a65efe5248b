"""The minimal agent page: log in, open the agent websocket, show pops readably.

``GET /agent`` serves ``static/agent.html``; its script and style are under ``/agent/static/``.
The full agent desk replaces this page later; the websocket protocol stays.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

STATIC = Path(__file__).with_name("static")


async def agent_page(request: web.Request) -> web.FileResponse:
    resp = web.FileResponse(STATIC / "agent.html")
    resp.headers["Content-Security-Policy"] = ("default-src 'self'; connect-src 'self' ws: wss:; object-src 'none'; "
                                               "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
    resp.headers["X-Frame-Options"] = "DENY"  # for browsers without frame-ancestors
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "no-cache"
    return resp


def register_pages(app: web.Application) -> None:
    app.router.add_get("/agent", agent_page)
    app.router.add_static("/agent/static/", STATIC, name="agent_static")
