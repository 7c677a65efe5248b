"""The admin console at ``/admin``: departments, users, telephony, email, chat, routing, desk
settings, sources and the change log, over the admin REST API. On an empty store it opens on the
first-run form that creates the first admin.

Plain ES modules under ``/ui/admin/`` (no build step), served with the desk's Content-Security-Policy.
The console renders what the API says and decides nothing; every change goes through the same
validation, audit and announcement as the API and the command line.
"""

from __future__ import annotations

from aiohttp import web

from agent_ui.desk import PAGE_HEADERS, STATIC
from contact_center import keys


async def admin_page(request: web.Request) -> web.FileResponse:
    """The console (its script shows the first-run form, the login form or the sections)."""
    return web.FileResponse(STATIC / "admin" / "index.html", headers=PAGE_HEADERS)


def register(app: web.Application) -> None:
    app.router.add_get("/admin", admin_page)
    app.router.add_static("/ui/admin/", STATIC / "admin", append_version=False)
    app[keys.API].add("GET", "/admin", summary="The admin console (HTML); the first-run page on an empty store",
                      tag="ui", auth="none")
