"""``POST /api/v1/conversations/{id}/transfer``: hand a conversation to another agent or department.

To an agent: they get an offer at once (the rest of the department is held back for routing's
``reoffer_after`` seconds, so the contact reaches the person it was meant for). To a department:
it waits in that department's queue. Either way the agent who had it is free again, and the note
(if any) is kept on the conversation as an internal note naming who passed it on and to whom.
Agents transfer what is theirs (or waiting in their departments); supervisors anything they see.
Every transfer is in the audit log with the owner and department before and after.
"""

from __future__ import annotations

from aiohttp import web

from contact_center import keys
from contact_center.errors import Forbidden, ValidationError
from contact_center.http.auth import current_user
from contact_center.http.bodies import optional_int, optional_str, path_int, read_body
from contact_center.http.openapi import obj
from contact_center.inbox import INBOX
from contact_center.inbox.schemas import CONVERSATION
from routing.services import ROUTING

MAX_NOTE = 2000


async def transfer(request: web.Request) -> web.Response:
    principal = await current_user(request)
    conversation_id = path_int(request)
    inbox, router = request.app[INBOX], request.app[ROUTING].router
    before = await inbox.visible(principal, conversation_id)
    body = await read_body(request)
    user_id = optional_int(body, "user_id", low=1)
    department = optional_str(body, "department", max_len=64)
    note = (optional_str(body, "note", max_len=MAX_NOTE) or "").strip()
    if (user_id is None) == (department is None):
        raise ValidationError("user_id", "name either 'user_id' (an agent) or 'department', not both")
    if department is not None and department not in router.config.departments:
        raise ValidationError("department", f"'department' must be one of {', '.join(router.config.departments)}")
    if not principal.at_least("supervisor") and before["assigned_user_id"] not in (principal.id, None):
        raise Forbidden("agents transfer their own conversations")
    target = router.agents.get(user_id) if user_id is not None else None
    if user_id is not None and target is None:
        raise ValidationError("user_id", "that user takes no routed contacts")
    to = (target.display_name or target.username) if target is not None else department
    why = f"transferred by {principal.display_name or principal.username} to {to}"
    contact = await router.transfer(conversation_id, department=department, user_id=user_id, why=why)
    # Stored directly: after a transfer to another department the sender may no longer see the conversation.
    await inbox.conversations.add_message(conversation_id, direction="note", author_user_id=principal.id,
                                          body_text=f"Transferred to {to}" + (f": {note}" if note else ""),
                                          delivery_status=None)
    after = await inbox.conversations.get(conversation_id)
    await request.app[keys.AUDIT].record(
        request, action="conversation_transfer", object_type="conversation", object_id=conversation_id,
        customer_id=before["customer_id"],
        before={"department": before["department"], "assigned_user_id": before["assigned_user_id"]},
        after={"department": contact.department, "offered_to": user_id}, detail={"note": bool(note)})
    return web.json_response({"conversation": after, "department": contact.department, "offered_to": user_id})


async def targets(request: web.Request) -> web.Response:
    """Who and where the conversation can go: the other agents (with their state now) and the departments."""
    principal = await current_user(request)
    conversation_id = path_int(request)
    await request.app[INBOX].visible(principal, conversation_id)
    router = request.app[ROUTING].router
    now = router.clock()
    agents = sorted((a for a in router.agents.values() if a.user_id != principal.id),
                    key=lambda a: (a.display_name or a.username).casefold())
    return web.json_response({
        "agents": [{"user_id": a.user_id, "display_name": a.display_name or a.username,
                    "departments": list(a.departments), "state": a.state(now)} for a in agents],
        "departments": list(router.config.departments)})


def register(app: web.Application) -> None:
    """Add the transfer routes and document them."""
    path = "/api/v1/conversations/{id}/transfer"
    app.router.add_post(path, transfer)
    app.router.add_get(path, targets)
    app[keys.API].add(
        "GET", path, tag="routing", summary="Where a conversation can be transferred: agents (with their state) "
                                            "and departments",
        parameters=[{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        response=obj(("agents", "departments"), agents={"type": "array", "items": obj(
            ("user_id", "display_name", "state"), user_id={"type": "integer"}, display_name={"type": "string"},
            departments={"type": "array", "items": {"type": "string"}}, state={"type": "string"})},
            departments={"type": "array", "items": {"type": "string"}}),
        errors=(401, 404))
    app[keys.API].add(
        "POST", path, tag="routing",
        summary="Transfer a conversation to an agent (who gets an offer) or a department (requeued), with a note",
        parameters=[{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        request=obj((), user_id={"type": "integer"}, department={"type": "string"},
                    note={"type": "string", "maxLength": MAX_NOTE}),
        response=obj(("conversation", "department"), conversation=CONVERSATION, department={"type": "string"},
                     offered_to={"type": ["integer", "null"]}),
        errors=(401, 403, 404, 409, 422))
