"""The admin console's view of the source databases: read-only list, and a timed test per customer key.

``GET /api/v1/sources`` lists each source (name, title, kind, deadline; never its URL's password).
``POST /api/v1/sources/{name}/test`` with ``{"customer_key": "…"}`` runs the source's query once,
uncached and within its deadline, and answers the time it took and the result. A test reads
customer data, so it is audited like a screen pop. Admins only.
"""

from __future__ import annotations

from aiohttp import web

from contact_center import keys
from contact_center.errors import NotFound
from contact_center.http.auth import current_user
from contact_center.http.bodies import read_body, require_str
from contact_center.http.openapi import obj
from contact_center.settings import mask_url
from contact_center.sources.federation import jsonable


async def list_sources(request: web.Request) -> web.Response:
    await current_user(request, role="admin")
    federation = request.app[keys.FEDERATION]
    return web.json_response({"sources": [
        {"name": s.name, "title": s.title, "kind": s.kind, "timeout_ms": s.timeout_ms, "url": mask_url(s.url)}
        for s in federation.specs.values()]})


async def test_source(request: web.Request) -> web.Response:
    await current_user(request, role="admin")
    body = await read_body(request)
    key = require_str(body, "customer_key", max_len=64)
    name = request.match_info["name"]
    federation = request.app[keys.FEDERATION]
    if name not in federation.specs:
        raise NotFound(f"no source {name!r}")
    await request.app[keys.AUDIT].record(request, action="source_test", object_type="source", object_id=name,
                                         detail={"customer_key": key})
    result, elapsed_ms = await federation.probe(name, key)
    return web.json_response({"name": name, "status": result.status, "elapsed_ms": round(elapsed_ms, 1),
                              "error": result.error, "data": jsonable(result.data)})


def register(app: web.Application) -> None:
    api = app[keys.API]
    text = {"type": "string"}
    app.router.add_get("/api/v1/sources", list_sources)
    api.add("GET", "/api/v1/sources", tag="admin", summary="The configured source databases (read-only)",
            response=obj(("sources",), sources={"type": "array", "items": obj(
                ("name", "title"), name=text, title=text, kind=text, timeout_ms={"type": "integer"}, url=text)}),
            errors=(401, 403))
    app.router.add_post("/api/v1/sources/{name}/test", test_source)
    api.add("POST", "/api/v1/sources/{name}/test", tag="admin",
            summary="Run one source's query for a customer key: the time it took and the result (audited)",
            parameters=[{"name": "name", "in": "path", "required": True, "schema": text}],
            request=obj(("customer_key",), customer_key=text),
            response=obj(("name", "status", "elapsed_ms"), name=text, status=text, elapsed_ms={"type": "number"},
                         error={"type": ["string", "null"]}, data={}),
            errors=(400, 401, 403, 404, 422))
