"""The web chat channel: the visitor websocket, the embeddable widget and its demo page.

``register(app)`` (entry point ``chat``) adds ``GET /chat/ws`` (:mod:`.visitor_ws`),
``GET /chat/widget.js`` and ``GET /chat/demo`` (:mod:`.pages`), the agent command
``chat.reply`` (:mod:`.commands`), and starts the :class:`~.hub.ChatHub` that pushes agents'
replies to visitors. Configured by the ``[chat]`` section (:mod:`.config`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from connectors.chat.appkeys import CHAT_CONFIG, CHAT_HUB, CHAT_LIMITS
from connectors.chat.commands import chat_reply_command
from connectors.chat.config import ChatConfig, load_chat_config
from connectors.chat.hub import ChatHub
from connectors.chat.limits import RedisVisitorLimits, VisitorLimits
from connectors.chat.pages import register_pages
from connectors.chat.visitor_ws import visitor_ws
from contact_center import keys
from contact_center.config.service import ValidationContext
from contact_center.errors import ValidationError
from contact_center.inbox import INBOX


async def _chat_ctx(app: web.Application) -> AsyncIterator[None]:
    client = app[keys.REDIS]
    config = app[CHAT_CONFIG]
    app[CHAT_LIMITS] = VisitorLimits(config) if client is None else RedisVisitorLimits(client, config)
    hub = ChatHub(inbox=app[INBOX], bus=app[keys.BUS])
    hub.subscribe()
    app[CHAT_HUB] = hub
    yield
    await hub.close()


async def _close_visitors(app: web.Application) -> None:
    # Open sockets would otherwise hold graceful shutdown until its timeout.
    if CHAT_HUB in app:
        await app[CHAT_HUB].close()


def _validate_live(raw: Any, context: ValidationContext) -> ChatConfig:
    config = load_chat_config(raw or {})
    if config.department and context.departments and config.department not in context.departments:
        raise ValidationError("chat.department", f"unknown department {config.department!r}")
    return config


def register(app: web.Application) -> None:
    """Wire the chat channel into *app*."""
    config = load_chat_config(app[keys.SETTINGS].section("chat"))
    app[CHAT_CONFIG] = config  # as started (the rate limits' sizes); the rest is read live
    app[keys.LIVE_CONFIG].section("chat", validate=_validate_live)
    app[keys.AGENT_COMMANDS]["chat.reply"] = chat_reply_command(app)
    app.router.add_get("/chat/ws", visitor_ws)
    app[keys.API].add("GET", "/chat/ws", tag="websocket", auth="none", errors=(403,),
                      summary="Visitor chat websocket: hello/welcome, message/ack, identify (see connectors.chat)")
    register_pages(app)
    app.cleanup_ctx.append(_chat_ctx)
    app.on_shutdown.append(_close_visitors)
