"""``GET /api/v1/audit`` (filtered, paged) and ``GET /api/v1/audit/export`` (CSV), for admins.

Reading the audit log is itself audited (``audit_read`` / ``audit_export`` with the filter).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from contact_center import keys
from contact_center.audit.query import COLUMNS, EXPORT_PAGE, MAX_PAGE, csv_text, export_rows, parse_filter, search
from contact_center.http.auth import current_user
from contact_center.http.openapi import obj

ENTRY = obj(
    ("id", "at", "action"),
    id={"type": "integer"}, at={"type": "string", "format": "date-time"}, user_id={"type": ["integer", "null"]},
    username={"type": ["string", "null"]}, ip={"type": ["string", "null"]}, action={"type": "string"},
    object_type={"type": ["string", "null"]}, object_id={"type": ["string", "null"]},
    customer_id={"type": ["integer", "null"]}, before={}, after={}, detail={"type": "object"},
)
FILTERS: list[dict[str, Any]] = [
    {"name": "user_id", "in": "query", "schema": {"type": "integer", "minimum": 1}},
    {"name": "action", "in": "query", "schema": {"type": "string", "maxLength": 64}},
    {"name": "object_type", "in": "query", "schema": {"type": "string", "maxLength": 32}},
    {"name": "object_id", "in": "query", "schema": {"type": "string", "maxLength": 64}},
    {"name": "customer_id", "in": "query", "schema": {"type": "integer", "minimum": 1}},
    {"name": "since", "in": "query", "schema": {"type": "string", "format": "date-time"}},
    {"name": "until", "in": "query", "schema": {"type": "string", "format": "date-time"}},
]


def _filter_detail(f: Any) -> dict[str, Any]:
    return {k: v for k, v in f.__dict__.items() if v is not None and k != "limit"}


async def list_audit(request: web.Request) -> web.Response:
    await current_user(request, "admin")
    f = parse_filter(request.query)
    await request.app[keys.AUDIT].record(request, action="audit_read", object_type="audit", detail=_filter_detail(f))
    entries = await search(request.app[keys.DB], f)
    return web.json_response({"entries": entries,
                              "next_before_id": entries[-1]["id"] if len(entries) == f.limit else None})


async def export_audit(request: web.Request) -> web.StreamResponse:
    await current_user(request, "admin")
    f = parse_filter(request.query, default_limit=EXPORT_PAGE)
    await request.app[keys.AUDIT].record(request, action="audit_export", object_type="audit",
                                         detail=_filter_detail(f))
    resp = web.StreamResponse(headers={"Content-Type": "text/csv; charset=utf-8",
                                       "Content-Disposition": 'attachment; filename="audit.csv"'})
    await resp.prepare(request)
    await resp.write(csv_text((), header=True).encode())
    async for rows in export_rows(request.app[keys.DB], f):
        await resp.write(csv_text(rows, header=False).encode())
    await resp.write_eof()
    return resp


def register(app: web.Application) -> None:
    """Add the audit routes and document them."""
    api = app[keys.API]
    app.router.add_get("/api/v1/audit", list_audit)
    api.add("GET", "/api/v1/audit", tag="audit", summary="Audit entries, newest first (admins; the read is audited)",
            parameters=[*FILTERS, {"name": "before_id", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                        {"name": "limit", "in": "query",
                         "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}}],
            response=obj(("entries",), entries={"type": "array", "items": ENTRY},
                         next_before_id={"type": ["integer", "null"]}),
            errors=(401, 403, 422, 503))
    app.router.add_get("/api/v1/audit/export", export_audit)
    api.add("GET", "/api/v1/audit/export", tag="audit",
            summary=f"Every matching audit entry as CSV ({', '.join(COLUMNS)}); admins",
            parameters=FILTERS, errors=(401, 403, 422, 503))
