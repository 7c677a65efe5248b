"""The customer view of the inbox: ``GET /api/v1/customers/{id}`` (with the cross-channel timeline)
and ``POST /api/v1/customers/{id}/merge``.

Every view writes an audit entry (who saw which customer's data, when). Agents see the timeline
entries of their own departments (and unrouted ones); supervisors and admins see all.
"""

from __future__ import annotations

from aiohttp import web

from contact_center import keys
from contact_center.auth.roles import Principal
from contact_center.customers.repository import CustomerRepository
from contact_center.customers.timeline import recent_conversations
from contact_center.errors import NotFound, ValidationError
from contact_center.events import CustomersMerged
from contact_center.http.auth import current_user
from contact_center.http.bodies import optional_int, path_int, read_body
from contact_center.inbox.schemas import CUSTOMER, TIMELINE_ENTRY, path_param
from contact_center.store.tables import Audit

TIMELINE_LIMIT = 50


def _customers(app: web.Application) -> CustomerRepository:
    return CustomerRepository(app[keys.DB], default_region=app[keys.SETTINGS].default_region)


async def get_customer(request: web.Request) -> web.Response:
    principal = await current_user(request)
    customer_id = path_int(request)
    record = await _customers(request.app).get(customer_id)
    if record is None:
        raise NotFound(f"customer {customer_id} does not exist")
    async with request.app[keys.DB].session() as s:
        timeline = await recent_conversations(s, record.id, limit=TIMELINE_LIMIT)
        s.add(Audit(user_id=principal.id, customer_id=record.id, action="customer_view",
                    detail={"via": "api", "requested_id": customer_id}))
    visible = [t for t in timeline if principal.sees_department(t["department"])]
    return web.json_response({"customer": record.to_dict(), "timeline": visible})


async def merge_customers(request: web.Request) -> web.Response:
    principal: Principal = await current_user(request)
    into_id = path_int(request)
    body = await read_body(request)
    duplicate_id = optional_int(body, "duplicate_id", low=1)
    if duplicate_id is None:
        raise ValidationError("duplicate_id", "'duplicate_id' is required")
    customers = _customers(request.app)
    async with request.app[keys.DB].session() as s:
        await customers.merge(duplicate_id, into_id, session=s)
        s.add(Audit(user_id=principal.id, customer_id=into_id, action="merge",
                    detail={"merged_id": duplicate_id}))
    await request.app[keys.BUS].publish(CustomersMerged(merged_id=duplicate_id, into_id=into_id,
                                                        by_user_id=principal.id))
    record = await customers.get(into_id)
    return web.json_response({"customer": record.to_dict() if record else None})


def register_customer_routes(app: web.Application) -> None:
    """Add the customer view and merge routes (documented in the OpenAPI document)."""
    api = app[keys.API]
    path = "/api/v1/customers/{id}"
    param = [path_param("id", "Customer id (a merged id answers with the surviving customer)")]
    app.router.add_get(path, get_customer)
    api.add("GET", path, summary="A customer with their timeline across channels (audited)", tag="customers",
            parameters=param, errors=(401, 404),
            response={"type": "object", "properties": {
                "customer": CUSTOMER, "timeline": {"type": "array", "items": TIMELINE_ENTRY}}})
    app.router.add_post(path + "/merge", merge_customers)
    api.add("POST", path + "/merge", summary="Fold customer duplicate_id into this one (publishes CustomersMerged)",
            tag="customers", parameters=param,
            request={"type": "object", "required": ["duplicate_id"],
                     "properties": {"duplicate_id": {"type": "integer"}}},
            response={"type": "object", "properties": {"customer": CUSTOMER}}, errors=(401, 404, 422))
