"""The agent websocket's ``chat.reply`` command (installed in ``app[keys.AGENT_COMMANDS]``).

Frame from the agent: ``{"type": "chat.reply", "conversation_id": 7, "text": "…", "client_id"?,
"direction"?: "out"|"note"}``. Reply: ``{"type": "chat.replied", "conversation_id", "client_id",
"message"}`` or ``{"type": "error", "code", "message", "field"?, "client_id"}``. The message is stored,
then pushed to the visitor's socket on whichever instance holds it (via ``ReplyQueued``).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from contact_center.auth.roles import Principal
from contact_center.errors import ContactCenterError, ValidationError
from contact_center.inbox import INBOX
from contact_center.ports import AgentCommand, Frame


def chat_reply_command(app: web.Application) -> AgentCommand:
    """The ``chat.reply`` handler bound to *app*'s inbox."""

    async def handle(principal: Principal, frame: Frame) -> Frame | None:
        client_id = frame.get("client_id")
        try:
            conversation_id = _int(frame.get("conversation_id"))
            text = frame.get("text")
            if not isinstance(text, str):
                raise ValidationError("text", "'text' must be a string")
            inbox = app[INBOX]
            conversation = await inbox.visible(principal, conversation_id)
            if conversation["channel"] != "chat":
                raise ValidationError("conversation_id", "chat.reply answers chat conversations; use the REST API")
            message = await inbox.reply(principal, conversation_id, text=text,
                                        direction=str(frame.get("direction") or "out"),
                                        client_id=client_id if isinstance(client_id, str) else None)
        except ContactCenterError as exc:
            return {"type": "error", **exc.to_dict(), "client_id": client_id}
        return {"type": "chat.replied", "conversation_id": conversation_id, "client_id": client_id,
                "message": message}

    return handle


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError("conversation_id", "'conversation_id' must be a whole number")
    return value
