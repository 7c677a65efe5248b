"""The inbox REST API: conversations, messages, agent replies, and the customer view.

Registered by the core (:func:`register`, called from ``contact_center.app``); it also starts
the :class:`~contact_center.inbox.service.InboxService` under :data:`contact_center.inbox.INBOX`
and the routing listener. Agents only see conversations of their departments (and unrouted ones);
another department's conversation answers 404 like a missing one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from contact_center import keys
from contact_center.errors import ValidationError
from contact_center.http.auth import current_user
from contact_center.http.bodies import optional_int, optional_str, path_int, read_body, require_str
from contact_center.inbox import INBOX, search_http
from contact_center.inbox.conversations import CONVERSATION_ACTIONS, STATUSES, Action
from contact_center.inbox.customers_http import register_customer_routes
from contact_center.inbox.listeners import RoutingListener
from contact_center.inbox.records import ConversationFilter
from contact_center.inbox.schemas import (
    CONVERSATION,
    LIST_PARAMETERS,
    MESSAGE,
    REPLY_REQUEST,
    TRANSITION_REQUEST,
    path_param,
)
from contact_center.inbox.service import InboxService
from contact_center.store.tables import CHANNELS

MAX_PAGE = 200


def _int_param(request: web.Request, name: str, *, low: int = 1, high: int | None = None) -> int | None:
    return optional_int(request.query, name, low=low, high=high)


def _choice(request: web.Request, name: str, allowed: tuple[str, ...]) -> str | None:
    value = request.query.get(name) or None
    if value is not None and value not in allowed:
        raise ValidationError(name, f"'{name}' must be one of {', '.join(allowed)}")
    return value


async def list_conversations(request: web.Request) -> web.Response:
    principal = await current_user(request)
    assigned = request.query.get("assigned_user_id")
    f = ConversationFilter(
        channel=_choice(request, "channel", CHANNELS),
        status=_choice(request, "status", STATUSES),
        department=request.query.get("department") or None,
        assigned_user_id=principal.id if assigned == "me" else _int_param(request, "assigned_user_id"),
        customer_id=_int_param(request, "customer_id"),
        visible_departments=None if principal.at_least("supervisor") else principal.departments,
        visible_owner=principal.id,
        limit=_int_param(request, "limit", high=MAX_PAGE) or 50,
        before_id=_int_param(request, "before_id"),
    )
    items = await request.app[INBOX].conversations.search(f)
    next_before = items[-1]["id"] if len(items) == f.limit else None
    return web.json_response({"conversations": items, "next_before_id": next_before})


async def _audited_read(request: web.Request, action: str, **detail: Any) -> dict[str, Any]:
    """The conversation of the path if the user may see it, its read recorded in the audit log."""
    principal = await current_user(request)
    conv = await request.app[INBOX].visible(principal, path_int(request))
    await request.app[keys.AUDIT].record(request, action=action, object_type="conversation", object_id=conv["id"],
                                         customer_id=conv.get("customer_id"), detail=detail)
    return conv


async def get_conversation(request: web.Request) -> web.Response:
    return web.json_response({"conversation": await _audited_read(request, "conversation_view")})


async def change_conversation(request: web.Request) -> web.Response:
    principal = await current_user(request)
    inbox = request.app[INBOX]
    conversation_id = path_int(request)
    await inbox.visible(principal, conversation_id)
    body = await read_body(request)
    name = require_str(body, "action", max_len=32)
    if name not in CONVERSATION_ACTIONS:
        raise ValidationError("action", f"'action' must be one of {', '.join(CONVERSATION_ACTIONS)}")
    action = Action(name)
    user_id = optional_int(body, "user_id", low=1)
    if action is Action.ASSIGN:
        user_id = user_id or principal.id
        if user_id != principal.id and not principal.at_least("supervisor"):
            raise ValidationError("user_id", "agents may only assign conversations to themselves")
    result = await inbox.apply(conversation_id, action, user_id)
    return web.json_response({"conversation": result.conversation, "changed": result.changed})


async def list_messages(request: web.Request) -> web.Response:
    conversation_id = (await _audited_read(request, "messages_view"))["id"]
    messages = await request.app[INBOX].conversations.messages(
        conversation_id, after_id=_int_param(request, "after_id", low=0),
        limit=_int_param(request, "limit", high=1000) or 200,
    )
    return web.json_response({"messages": messages})


async def post_message(request: web.Request) -> web.Response:
    principal = await current_user(request)
    body = await read_body(request)
    text = require_str(body, "text", max_len=100_000)
    direction = optional_str(body, "direction", max_len=8) or "out"
    message = await request.app[INBOX].reply(
        principal, path_int(request), text=text, direction=direction,
        client_id=optional_str(body, "client_id", max_len=64),
    )
    return web.json_response({"message": message}, status=201)


async def get_raw(request: web.Request) -> web.Response:
    message_id = path_int(request, "message_id")
    conversation_id = (await _audited_read(request, "raw_mail_view", message_id=message_id))["id"]
    raw = await request.app[INBOX].conversations.raw(conversation_id, message_id)
    return web.Response(body=raw, content_type="message/rfc822",
                        headers={"Content-Disposition": "attachment; filename=message.eml"})


async def get_attachment(request: web.Request) -> web.Response:
    message_id, position = path_int(request, "message_id"), path_int(request, "position")
    conversation_id = (await _audited_read(request, "attachment_view", message_id=message_id,
                                           position=position))["id"]
    filename, ctype, data = await request.app[INBOX].conversations.attachment(conversation_id, message_id, position)
    safe = filename.replace('"', "").replace("\\", "").replace("\r", "").replace("\n", "")
    # Never render customer files inline in our origin: download, and no sniffing.
    return web.Response(body=data, headers={
        "Content-Type": ctype if "/" in ctype else "application/octet-stream",
        "Content-Disposition": f'attachment; filename="{safe}"',
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox",
    })


def _inbox_ctx(app: web.Application) -> Any:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        inbox = InboxService(db=app[keys.DB], bus=app[keys.BUS], process=app[keys.STORE_WRITER])
        app[INBOX] = inbox
        RoutingListener(inbox=inbox, bus=app[keys.BUS]).subscribe()
        yield
        await inbox.close()

    return ctx


def register(app: web.Application) -> None:
    """Add the inbox routes and services to *app* (the core calls this; plugins find INBOX)."""
    app.cleanup_ctx.append(_inbox_ctx(app))
    api = app[keys.API]
    base = "/api/v1/conversations"
    cid = path_param("id", "Conversation id")
    app.router.add_get(base, list_conversations)
    api.add("GET", base, summary="List conversations visible to the user, newest first", tag="inbox",
            parameters=LIST_PARAMETERS, errors=(401, 422),
            response={"type": "object", "properties": {
                "conversations": {"type": "array", "items": CONVERSATION},
                "next_before_id": {"type": ["integer", "null"]}}})
    app.router.add_get(base + "/{id}", get_conversation)
    api.add("GET", base + "/{id}", summary="One conversation", tag="inbox", parameters=[cid],
            response={"type": "object", "properties": {"conversation": CONVERSATION}}, errors=(401, 404))
    app.router.add_patch(base + "/{id}", change_conversation)
    api.add("PATCH", base + "/{id}", summary="Change status or owner (assign, requeue, wrap_up, close, reopen)",
            tag="inbox", parameters=[cid], request=TRANSITION_REQUEST, errors=(401, 404, 409, 422),
            response={"type": "object", "properties": {"conversation": CONVERSATION, "changed": {"type": "boolean"}}})
    app.router.add_get(base + "/{id}/messages", list_messages)
    api.add("GET", base + "/{id}/messages", summary="Messages of a conversation, oldest first", tag="inbox",
            parameters=[cid, {"name": "after_id", "in": "query", "schema": {"type": "integer"}},
                        {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 1000}}],
            response={"type": "object", "properties": {"messages": {"type": "array", "items": MESSAGE}}},
            errors=(401, 404))
    app.router.add_post(base + "/{id}/messages", post_message)
    api.add("POST", base + "/{id}/messages",
            summary="Reply on the conversation's channel (email: queued for SMTP; chat: pushed live) or add a note",
            tag="inbox", parameters=[cid], request=REPLY_REQUEST,
            response={"type": "object", "properties": {"message": MESSAGE}}, errors=(401, 403, 404, 422))
    mid = path_param("message_id", "Message id")
    app.router.add_get(base + "/{id}/messages/{message_id}/raw", get_raw)
    api.add("GET", base + "/{id}/messages/{message_id}/raw", summary="The original bytes of an inbound email",
            tag="inbox", parameters=[cid, mid], errors=(401, 404))
    app.router.add_get(base + "/{id}/messages/{message_id}/attachments/{position}", get_attachment)
    api.add("GET", base + "/{id}/messages/{message_id}/attachments/{position}",
            summary="Download one kept attachment", tag="inbox",
            parameters=[cid, mid, path_param("position", "Attachment position")], errors=(401, 404))
    register_customer_routes(app)
    search_http.register(app)


__all__ = ["INBOX", "InboxService", "register"]
