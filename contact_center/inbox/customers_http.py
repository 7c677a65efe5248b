"""The customer view of the inbox: ``GET /api/v1/customers/{id}`` (with the cross-channel timeline),
``POST /api/v1/customers/{id}/merge`` and ``POST /api/v1/customers/{id}/unmerge``.

Agents read a customer only through a conversation they may see
(:mod:`contact_center.customers.access`); they see the timeline entries of their own departments
(and unrouted ones); supervisors and admins see all. Every view is recorded in the audit log before
it is answered. Merges and unmerges are for supervisors and admins, audited with what moved.
"""

from __future__ import annotations

from aiohttp import web

from contact_center import keys
from contact_center.customers.access import require_customer_access
from contact_center.customers.repository import CustomerRepository
from contact_center.customers.timeline import customer_timeline, recent_conversations, visible_entries
from contact_center.errors import NotFound, ValidationError
from contact_center.events import CustomersMerged, CustomersUnmerged
from contact_center.http.auth import current_user
from contact_center.http.bodies import optional_int, path_int, read_body
from contact_center.inbox.schemas import CUSTOMER, TIMELINE_ENTRY, path_param
from contact_center.tasks.decide import parse_time

TIMELINE_LIMIT = 50


def _customers(app: web.Application) -> CustomerRepository:
    return CustomerRepository(app[keys.DB], default_region=app[keys.SETTINGS].default_region)


async def get_customer(request: web.Request) -> web.Response:
    principal = await current_user(request)
    customer_id = path_int(request)
    record = await _customers(request.app).get(customer_id)
    if record is None:
        raise NotFound(f"customer {customer_id} does not exist")
    await require_customer_access(request.app[keys.DB], principal, record.id)
    async with request.app[keys.DB].session() as s:
        timeline = await recent_conversations(s, record.id, limit=TIMELINE_LIMIT, principal=principal)
    await request.app[keys.AUDIT].record(request, action="customer_view", customer_id=record.id,
                                         detail={"via": "api", "requested_id": customer_id})
    visible = visible_entries(timeline, principal)
    return web.json_response({"customer": record.to_dict(), "timeline": visible})


async def get_timeline(request: web.Request) -> web.Response:
    """``GET /api/v1/customers/{id}/timeline``: calls, mails, chats, API messages, callbacks, notes and
    tasks with their outcomes, newest first, as far as the user may see them (their departments'
    and their own contacts); ``before`` (ISO time) and ``limit`` page back. Audited."""
    principal = await current_user(request)
    customer_id = path_int(request)
    limit = optional_int(request.query, "limit", low=1, high=200) or TIMELINE_LIMIT
    before = parse_time("before", request.query["before"]) if request.query.get("before") else None
    record = await _customers(request.app).get(customer_id)
    if record is None:
        raise NotFound(f"customer {customer_id} does not exist")
    await require_customer_access(request.app[keys.DB], principal, record.id)
    async with request.app[keys.DB].session() as s:
        items = await customer_timeline(s, record.id, principal, limit=limit, before=before)
    await request.app[keys.AUDIT].record(request, action="customer_timeline", customer_id=record.id,
                                         detail={"items": len(items), "before": request.query.get("before")})
    return web.json_response({"customer": record.to_dict(), "items": items,
                              "next_before": items[-1]["at"] if len(items) == limit else None})


async def merge_customers(request: web.Request) -> web.Response:
    principal = await current_user(request, "supervisor")
    into_id = path_int(request)
    body = await read_body(request)
    duplicate_id = optional_int(body, "duplicate_id", low=1, high=2**63 - 1)
    if duplicate_id is None:
        raise ValidationError("duplicate_id", "'duplicate_id' is required")
    customers = _customers(request.app)
    before = [r.to_dict() if r else None for r in (await customers.get(into_id), await customers.get(duplicate_id))]
    async with request.app[keys.DB].session() as s:
        merge_id = await customers.merge(duplicate_id, into_id, by_user_id=principal.id, session=s)
    record = await customers.get(into_id)
    await request.app[keys.AUDIT].record(request, action="customer_merge", customer_id=into_id,
                                         before=before, after=record.to_dict() if record else None,
                                         detail={"merged_id": duplicate_id, "merge_id": merge_id})
    await request.app[keys.BUS].publish(CustomersMerged(merged_id=duplicate_id, into_id=into_id,
                                                        by_user_id=principal.id))
    return web.json_response({"customer": record.to_dict() if record else None, "merge_id": merge_id})


async def unmerge_customer(request: web.Request) -> web.Response:
    principal = await current_user(request, "supervisor")
    merged_id = path_int(request)
    customers = _customers(request.app)
    merge = await customers.unmerge(merged_id)
    restored, survivor = await customers.get(merged_id), await customers.get(merge.into_id)
    await request.app[keys.AUDIT].record(
        request, action="customer_unmerge", customer_id=merged_id, before={"merged_into_id": merge.into_id},
        after=[r.to_dict() if r else None for r in (restored, survivor)], detail={"merge_id": merge.id})
    await request.app[keys.BUS].publish(CustomersUnmerged(merged_id=merged_id, into_id=merge.into_id,
                                                          by_user_id=principal.id))
    return web.json_response({"customer": restored.to_dict() if restored else None,
                              "from": survivor.to_dict() if survivor else None})


def register_customer_routes(app: web.Application) -> None:
    """Add the customer view, merge and unmerge routes (documented in the OpenAPI document)."""
    api = app[keys.API]
    path = "/api/v1/customers/{id}"
    param = [path_param("id", "Customer id (a merged id answers with the surviving customer)")]
    app.router.add_get(path, get_customer)
    api.add("GET", path, summary="A customer with their timeline across channels (audited; agents: through a "
            "conversation they may see)", tag="customers", parameters=param, errors=(401, 404, 422, 503),
            response={"type": "object", "properties": {
                "customer": CUSTOMER, "timeline": {"type": "array", "items": TIMELINE_ENTRY}}})
    app.router.add_get(path + "/timeline", get_timeline)
    api.add("GET", path + "/timeline", summary="The customer's timeline: calls, mails, chats, API messages, "
            "callbacks, notes and tasks with outcomes, newest first (audited; department visibility, plus the "
            "user's own contacts)", tag="customers",
            parameters=[*param, {"name": "before", "in": "query", "schema": {"type": "string", "format": "date-time"}},
                        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200}}],
            errors=(401, 404, 422, 503),
            response={"type": "object", "properties": {
                "customer": CUSTOMER, "items": {"type": "array", "items": {"type": "object"}},
                "next_before": {"type": ["string", "null"]}}})
    app.router.add_post(path + "/merge", merge_customers)
    api.add("POST", path + "/merge", summary="Fold customer duplicate_id into this one (supervisors; undo with "
            "unmerge; publishes CustomersMerged)", tag="customers", parameters=param,
            request={"type": "object", "required": ["duplicate_id"],
                     "properties": {"duplicate_id": {"type": "integer"}}},
            response={"type": "object", "properties": {"customer": CUSTOMER, "merge_id": {"type": "integer"}}},
            errors=(401, 403, 404, 415, 422))
    app.router.add_post(path + "/unmerge", unmerge_customer)
    api.add("POST", path + "/unmerge", summary="Undo the last merge of this (merged) customer: its identities, "
            "conversations and calls come back (supervisors; publishes CustomersUnmerged)", tag="customers",
            parameters=[path_param("id", "The merged customer's id")],
            response={"type": "object", "properties": {"customer": CUSTOMER, "from": CUSTOMER}},
            errors=(401, 403, 404, 409, 422))
