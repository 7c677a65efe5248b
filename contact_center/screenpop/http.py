"""``GET /api/v1/conversations/{id}/pop``: the customer panel of any conversation, on request;
``GET /api/v1/customers/{id}/sources/{name}/history``: a source's full history on demand.

The panel is the pop's frame (customer or candidates, every source's section with its status
and age, suggestions, the cross-channel timeline the user may see), for an email or chat opened
from the inbox or a call after a reload; it is audited before it is answered.

The pop carries each source's short query (recent purchases); an agent who wants more asks for
the source's ``history_query`` (full purchase history), which is never cached and is audited.
Agents read it only for a customer they reach through a conversation they may see.
"""

from __future__ import annotations

from aiohttp import web

from contact_center import keys
from contact_center.customers.access import require_customer_access
from contact_center.errors import Forbidden, NotFound, Unavailable
from contact_center.http.auth import current_user
from contact_center.http.bodies import path_int
from contact_center.http.openapi import obj
from contact_center.screenpop.compose import section_view
from contact_center.sources.result import OK


async def source_history(request: web.Request) -> web.Response:
    principal = await current_user(request)
    customer_id = path_int(request)
    name = request.match_info["name"]
    customer = await request.app[keys.CUSTOMERS].get(customer_id)
    if customer is None:
        raise NotFound(f"customer {customer_id} does not exist")
    await require_customer_access(request.app[keys.DB], principal, customer.id)
    if customer.external_key is None:
        raise NotFound("this customer is not known to the source databases")
    result = await request.app[keys.FEDERATION].history(name, customer.external_key)
    if result.status != OK:
        raise Unavailable(f"source {name!r} is {result.status}")
    await request.app[keys.AUDIT].record(request, action="source_history", customer_id=customer.id,
                                         detail={"source": name})
    return web.json_response({"customer_id": customer.id, "name": name, "section": section_view(result)})


async def conversation_pop(request: web.Request) -> web.Response:
    principal = await current_user(request)
    conversation_id = path_int(request)
    try:
        pop = await request.app[keys.SCREENPOP].pop_for(principal, conversation_id, audit_as=request)
    except Forbidden as exc:  # another department's conversation looks like a missing one
        raise NotFound(f"conversation {conversation_id} does not exist") from exc
    return web.json_response({"pop": pop})


def register(app: web.Application) -> None:
    """Add the panel and history routes and document them."""
    app.router.add_get("/api/v1/conversations/{id}/pop", conversation_pop)
    app[keys.API].add(
        "GET", "/api/v1/conversations/{id}/pop", tag="customers",
        summary="The customer panel of a conversation: the pop's customer, source sections (status and age), "
                "suggestions and timeline, on request (audited)",
        parameters=[{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        response=obj(("pop",), pop=obj(("conversation_id", "contact", "sections", "timeline"))),
        errors=(401, 404, 503))
    app.router.add_get("/api/v1/customers/{id}/sources/{name}/history", source_history)
    app[keys.API].add(
        "GET", "/api/v1/customers/{id}/sources/{name}/history", tag="customers",
        summary="A source's full history for a customer (e.g. every purchase), on demand",
        parameters=[{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
                    {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}],
        response=obj(("customer_id", "name", "section"), customer_id={"type": "integer"}, name={"type": "string"},
                     section=obj(("status", "title", "data"))),
        errors=(401, 404, 503))
