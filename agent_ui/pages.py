"""``GET /agent``: the address of the first, minimal agent page, now sent to the desk.

The desk (``/desk``) replaced that page; bookmarks keep working.
"""

from __future__ import annotations

from aiohttp import web


async def agent_page(request: web.Request) -> web.Response:
    raise web.HTTPMovedPermanently("/desk")


def register_pages(app: web.Application) -> None:
    app.router.add_get("/agent", agent_page)
