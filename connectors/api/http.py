"""``POST /api/v1/channels/{id}/messages``: a messaging bridge hands over one inbound message.

The bridge authenticates with its instance's token (``Authorization: Bearer <token>``). The body
(:mod:`.inbound`) is read up to ``[api_channel] max_body_bytes`` (413 beyond), checked (422
naming the field), and handed to the inbox's writer; the customer is matched there like on every
channel. A repeat of a ``message_id`` is stored once and answered exactly like the first time.
"""

from __future__ import annotations

from aiohttp import web

from connectors.api.appkeys import API_CONFIG, API_TOKENS
from connectors.api.inbound import CHANNEL, Limits, parse, to_inbound
from contact_center import keys
from contact_center.errors import PayloadTooLarge
from contact_center.http.bodies import json_object, path_int, require_json
from contact_center.http.openapi import obj
from contact_center.http.origin import csrf_exempt
from contact_center.inbox import INBOX

CHUNK = 64 * 1024
PATH = "/api/v1/channels/{id}/messages"


def bearer_token(request: web.Request) -> str | None:
    """The token of an ``Authorization: Bearer …`` header, if any."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


async def read_limited(request: web.Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it is known to exceed *limit* bytes."""
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"body larger than {limit} bytes")
    body = bytearray()
    async for chunk in request.content.iter_chunked(CHUNK):
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"body larger than {limit} bytes")
    return bytes(body)


@csrf_exempt  # the bridge authenticates with its bearer token; no browser session involved
async def post_message(request: web.Request) -> web.Response:
    app = request.app
    instance = await app[API_TOKENS].authenticate(path_int(request), bearer_token(request))
    config = app[API_CONFIG]
    require_json(request.content_type)
    doc = json_object(await read_limited(request, config.max_body_bytes))
    limits = Limits(config.max_text_chars, config.max_attachment_bytes, config.max_attachments)
    parsed = parse(doc, limits, lambda raw: app[keys.CUSTOMERS].normalise("phone", raw))
    message = to_inbound(instance, parsed)
    stored = await app[INBOX].receive_one(message)
    ids = (stored.message_id, stored.conversation_id)
    if stored.duplicate:
        found = await app[INBOX].conversations.find_message(CHANNEL, message.external_id)
        ids = found if found is not None else (None, None)
    return web.json_response({"message_id": parsed.message_id, "id": ids[0], "conversation_id": ids[1]})


MESSAGE_REQUEST = obj(
    ("message_id", "sender"),
    message_id={"type": "string", "maxLength": 200, "description": "the bridge's id; a repeat is stored once"},
    sender=obj((), phone={"type": "string", "description": "E.164 (or any form the default region reads)"},
               user_id={"type": "string", "maxLength": 128}, name={"type": "string", "maxLength": 200}),
    text={"type": "string"},
    attachments={"type": "array", "items": obj(("filename", "data"), filename={"type": "string"},
                                               content_type={"type": "string"},
                                               data={"type": "string", "contentEncoding": "base64"})},
)
MESSAGE_RESPONSE = obj(("message_id", "id", "conversation_id"), message_id={"type": "string"},
                       id={"type": ["integer", "null"]}, conversation_id={"type": ["integer", "null"]})


def register_inbound(app: web.Application) -> None:
    """Add the inbound route and its OpenAPI entry."""
    app.router.add_post(PATH, post_message)
    app[keys.API].add("POST", PATH, tag="channels", auth="bearer", request=MESSAGE_REQUEST,
                      response=MESSAGE_RESPONSE, errors=(400, 401, 413, 422),
                      parameters=[{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"},
                                   "description": "the bridge (its id in /api/v1/admin/api-channels)"}],
                      summary="A messaging bridge delivers one inbound message (idempotent by message_id)")
