"""The admin API of the data-subject rights, and the retention job.

* ``GET /api/v1/privacy/customers/{id}/export`` (``?format=html`` for the readable page);
* ``POST /api/v1/privacy/customers/{id}/erase`` with ``{"confirm": true}``;
* ``POST /api/v1/privacy/retention/run``: apply the retention rules now.

Admins only; every call is recorded in the audit log before it answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from contact_center import keys
from contact_center.errors import ValidationError
from contact_center.http.auth import current_user
from contact_center.http.bodies import path_int, read_body
from contact_center.http.openapi import obj
from contact_center.privacy.retention import apply_retention, parse_rules
from contact_center.privacy.subject import erase_subject, export_html, export_subject

log = logging.getLogger(__name__)
ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}


def _rules(app: web.Application) -> dict[str, int]:
    return parse_rules(app[keys.SETTINGS].section("privacy").get("retention", {}))


async def export(request: web.Request) -> web.Response:
    await current_user(request, "admin")
    customer_id = path_int(request)
    fmt = request.query.get("format", "json")
    if fmt not in ("json", "html"):
        raise ValidationError("format", "'format' must be json or html")
    doc = await export_subject(request.app[keys.DB], request.app.get(keys.FEDERATION), customer_id)
    await request.app[keys.AUDIT].record(request, action="subject_export", customer_id=customer_id,
                                         detail={"format": fmt})
    name = f"customer-{customer_id}"
    if fmt == "html":
        return web.Response(text=export_html(doc), content_type="text/html", headers={
            "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
            "Content-Disposition": f'attachment; filename="{name}.html"'})
    return web.json_response(doc, headers={"Content-Disposition": f'attachment; filename="{name}.json"'})


async def erase(request: web.Request) -> web.Response:
    await current_user(request, "admin")
    customer_id = path_int(request)
    body = await read_body(request)
    if body.get("confirm") is not True:
        raise ValidationError("confirm", "erasure cannot be undone: send {\"confirm\": true}")
    sources = [s.name for s in request.app[keys.SETTINGS].sources]
    before = await export_subject(request.app[keys.DB], None, customer_id)
    done = await erase_subject(request.app[keys.DB], customer_id, source_names=sources)
    await request.app[keys.AUDIT].record(
        request, action="subject_erase", customer_id=customer_id, after=done,
        before={"identities": len(before["identities"]), "conversations": len(before["conversations"]),
                "messages": len(before["messages"])})
    if keys.FEDERATION in request.app:
        for key in {s["customer_key"] for rows in before["sources"].values() for s in rows}:
            request.app[keys.FEDERATION].forget(key)
    return web.json_response(done)


async def run_retention(request: web.Request) -> web.Response:
    await current_user(request, "admin")
    done = await apply_retention(request.app[keys.DB], _rules(request.app))
    await request.app[keys.AUDIT].record(request, action="retention_run", detail={"scrubbed": done})
    return web.json_response({"scrubbed": done})


async def _retention_job(app: web.Application, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            done = await apply_retention(app[keys.DB], _rules(app))
            if any(done.values()):
                await app[keys.AUDIT].record(None, action="retention_run", detail={"scrubbed": done})
        except Exception:
            log.exception("the retention job failed; it runs again in %s s", interval)


async def retention_ctx(app: web.Application) -> AsyncIterator[None]:
    """Run the retention job while the app runs (when any rule is configured)."""
    rules = _rules(app)
    interval = float(app[keys.SETTINGS].section("privacy").get("retention_interval_seconds", 86400))
    task = asyncio.create_task(_retention_job(app, interval), name="privacy-retention") if rules else None
    yield
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def register(app: web.Application) -> None:
    """Add the privacy routes and the retention job."""
    parse_rules(app[keys.SETTINGS].section("privacy").get("retention", {}))  # fail at build on bad rules
    api = app[keys.API]
    base = "/api/v1/privacy"
    app.router.add_get(base + "/customers/{id}/export", export)
    api.add("GET", base + "/customers/{id}/export", tag="privacy", parameters=[ID, {
        "name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "html"]}}],
        summary="Everything held about a customer (store and sources), JSON or HTML (admins; audited)",
        errors=(401, 403, 404, 422, 503))
    app.router.add_post(base + "/customers/{id}/erase", erase)
    api.add("POST", base + "/customers/{id}/erase", tag="privacy", parameters=[ID],
            request=obj(("confirm",), confirm={"type": "boolean", "const": True}),
            summary="Anonymise a customer across the store; lists what the sources hold (admins; audited)",
            errors=(401, 403, 404, 415, 422, 503))
    app.router.add_post(base + "/retention/run", run_retention)
    api.add("POST", base + "/retention/run", tag="privacy", summary="Apply the retention rules now (admins; audited)",
            response=obj(("scrubbed",), scrubbed={"type": "object"}), errors=(401, 403, 503))
    app.cleanup_ctx.append(retention_ctx)
