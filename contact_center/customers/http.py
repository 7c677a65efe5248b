"""REST for agents creating and linking customers from a pop (unknown or ambiguous contacts).

* ``POST /api/v1/customers``: create a customer; with ``conversation_id`` the contact's address
  (the caller's number, the sender's email) becomes an identity, the conversation is linked and
  the agent gets a fresh pop.
* ``POST /api/v1/customers/{id}/identities``: link a phone/email/chat identity; with
  ``conversation_id`` the conversation is linked to this customer and re-popped.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from contact_center import keys
from contact_center.customers.access import require_customer_access
from contact_center.customers.identity import KINDS, contact_identity
from contact_center.errors import ValidationError
from contact_center.http.auth import current_user
from contact_center.http.bodies import optional_int, optional_str, path_int, read_body, require_str
from contact_center.http.openapi import obj

IDENTITY_SCHEMA = obj(("kind", "value"), kind={"type": "string", "enum": list(KINDS)}, value={"type": "string"},
                      label={"type": ["string", "null"]})
CUSTOMER_SCHEMA = obj(
    ("id", "display_name", "identities"),
    id={"type": "integer"}, display_name={"type": "string"}, company={"type": ["string", "null"]},
    external_key={"type": ["string", "null"]}, country={"type": ["string", "null"]},
    language={"type": ["string", "null"]}, identities={"type": "array", "items": IDENTITY_SCHEMA},
)
CONVERSATION_ID = {"type": "integer", "description": "link this conversation and send the agent a fresh pop"}


def _identities(body: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    out: list[tuple[str, str, str | None]] = []
    for kind in ("phone", "email"):
        value = optional_str(body, kind, max_len=320)
        if value:
            out.append((kind, value, None))
    extra = body.get("identities") or []
    if not isinstance(extra, list):
        raise ValidationError("identities", "'identities' must be a list of {kind, value, label}")
    for i, item in enumerate(extra):
        if not isinstance(item, dict):
            raise ValidationError(f"identities[{i}]", "each identity must be an object")
        out.append((require_str(item, "kind", max_len=16), require_str(item, "value", max_len=320),
                    optional_str(item, "label", max_len=64)))
    return out


async def create_customer(request: web.Request) -> web.Response:
    principal = await current_user(request)
    body = await read_body(request)
    app = request.app
    idents = _identities(body)
    conversation_id = optional_int(body, "conversation_id", low=1)
    if conversation_id is not None:
        conv = await app[keys.SCREENPOP].check_access(principal, conversation_id)
        found = contact_identity(conv.channel, conv.contact_address, app[keys.CUSTOMERS].default_region)
        if found is not None and conv.contact_address:
            idents.append((found[0], conv.contact_address, None))
    record = await app[keys.CUSTOMERS].create(
        require_str(body, "display_name", max_len=200), company=optional_str(body, "company", max_len=200),
        external_key=optional_str(body, "external_key", max_len=64), country=optional_str(body, "country", max_len=2),
        language=optional_str(body, "language", max_len=16), identities=idents)
    await app[keys.AUDIT].record(request, action="customer_create", customer_id=record.id, after=record.to_dict(),
                                 detail={"conversation_id": conversation_id})
    if conversation_id is not None:
        await app[keys.SCREENPOP].assign_customer(principal, conversation_id, record.id)
    return web.json_response({"customer": record.to_dict()})


async def link_identity(request: web.Request) -> web.Response:
    principal = await current_user(request)
    customer_id = path_int(request)
    body = await read_body(request)
    app = request.app
    conversation_id = optional_int(body, "conversation_id", low=1)
    if conversation_id is not None:
        await app[keys.SCREENPOP].check_access(principal, conversation_id)
    else:
        await require_customer_access(app[keys.DB], principal, customer_id)
    identity = await app[keys.CUSTOMERS].link_identity(
        customer_id, require_str(body, "kind", max_len=16), require_str(body, "value", max_len=320),
        label=optional_str(body, "label", max_len=64))
    await app[keys.AUDIT].record(request, action="identity_link", customer_id=customer_id,
                                 after=identity.to_dict(), detail={"conversation_id": conversation_id})
    if conversation_id is not None:
        await app[keys.SCREENPOP].assign_customer(principal, conversation_id, customer_id)
    record = await app[keys.CUSTOMERS].get(customer_id)
    return web.json_response({"identity": identity.to_dict(), "customer": record.to_dict() if record else None})


def register(app: web.Application) -> None:
    """Add the customer routes and document them."""
    api = app[keys.API]
    app.router.add_post("/api/v1/customers", create_customer)
    api.add("POST", "/api/v1/customers", tag="customers",
            summary="Create a customer (e.g. from an unknown caller's pop, linking the number)",
            request=obj(("display_name",), display_name={"type": "string"}, company={"type": "string"},
                        external_key={"type": "string"}, country={"type": "string"}, language={"type": "string"},
                        phone={"type": "string"}, email={"type": "string"},
                        identities={"type": "array", "items": IDENTITY_SCHEMA}, conversation_id=CONVERSATION_ID),
            response=obj(("customer",), customer=CUSTOMER_SCHEMA), errors=(401, 403, 404, 409, 422))
    app.router.add_post("/api/v1/customers/{id}/identities", link_identity)
    api.add("POST", "/api/v1/customers/{id}/identities", tag="customers",
            summary="Link a phone number, email or chat id to a customer (optionally the pop's conversation too)",
            parameters=[{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            request=obj(("kind", "value"), kind={"type": "string", "enum": list(KINDS)}, value={"type": "string"},
                        label={"type": "string"}, conversation_id=CONVERSATION_ID),
            response=obj(("identity", "customer"), identity=IDENTITY_SCHEMA, customer=CUSTOMER_SCHEMA),
            errors=(401, 403, 404, 422))
