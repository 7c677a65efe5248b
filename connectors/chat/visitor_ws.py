"""``GET /chat/ws``: the visitor's websocket (see :mod:`connectors.chat.protocol`)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import WSMsgType, web

from connectors.chat.appkeys import CHAT_HUB, CHAT_LIMITS
from connectors.chat.config import ChatConfig
from connectors.chat.hub import VisitorSocket
from connectors.chat.protocol import (
    Hello,
    Identify,
    Ping,
    ProtocolError,
    Say,
    conversation_ref,
    external_id,
    message_frame,
    new_visitor_id,
    parse_frame,
)
from contact_center import keys
from contact_center.customers.repository import CustomerRepository
from contact_center.errors import Forbidden, ValidationError
from contact_center.http.origin import csrf_exempt
from contact_center.inbox import INBOX
from contact_center.inbox.records import InboundMessage
from contact_center.inbox.visitors import identify_visitor

log = logging.getLogger(__name__)


def _config(app: web.Application) -> ChatConfig:
    """``[chat]`` as in force now (a live section)."""
    config: ChatConfig = app[keys.LIVE_CONFIG].value("chat")
    return config


def _check_origin(request: web.Request, config: ChatConfig) -> None:
    origin = request.headers.get("Origin", "").rstrip("/")
    if config.allowed_origins and origin not in config.allowed_origins:
        raise Forbidden(f"the chat widget is not allowed on {origin or 'this page'}")


class VisitorSession:
    """One visitor connection after ``hello``: stores messages, acks them, links identities."""

    def __init__(self, request: web.Request, sock: VisitorSocket, hello: Hello) -> None:
        self.app = request.app
        self.sock = sock
        self.visitor_id = sock.visitor_id
        self.name, self.email, self.topic = hello.name, hello.email, hello.topic
        self.conversation_id: int | None = None

    async def welcome(self, last_seen: int) -> None:
        inbox, hub = self.app[INBOX], self.app[CHAT_HUB]
        self.conversation_id = await inbox.conversations.find_by_ref("chat", conversation_ref(self.visitor_id))
        history: list[dict[str, Any]] = []
        if self.conversation_id is not None:
            hub.bind(self.sock, self.conversation_id)
            history = await inbox.conversations.messages(
                self.conversation_id, after_id=last_seen, limit=_config(self.app).history_limit,
                include_notes=False)
        self.sock.send({"type": "welcome", "visitor_id": self.visitor_id, "conversation_id": self.conversation_id,
                        "history": [message_frame(m) for m in history]})
        pending = [m["id"] for m in history if m["direction"] == "out" and m["delivery_status"] != "sent"]
        if pending and self.conversation_id is not None:
            await hub.mark_sent(pending, self.conversation_id)
        if self.email:
            await self.identify(Identify(self.name, self.email))

    async def handle(self, frame: Say | Identify | Ping | Hello) -> None:
        if isinstance(frame, Say):
            await self.say(frame)
        elif isinstance(frame, Identify):
            await self.identify(frame)
        elif isinstance(frame, Ping):
            self.sock.send({"type": "pong"})
        else:
            raise ProtocolError("bad_frame", "hello may only be sent once")

    async def say(self, frame: Say) -> None:
        wait = await self.app[CHAT_LIMITS].check(self.visitor_id)
        if wait is not None:
            raise ProtocolError("rate_limited", f"too many messages; wait {wait:.1f} s",
                                client_id=frame.client_id, retry_after=wait)
        stored = await self.app[INBOX].receive_one(InboundMessage(
            channel="chat", external_id=external_id(self.visitor_id, frame.client_id),
            identity=("chat", self.visitor_id), sender=self.email or self.name or "visitor",
            sender_name=self.name, department=_config(self.app).department,
            subject=f"Chat: {self.topic}" if self.topic else "Web chat", body_text=frame.text,
            meta={"client_id": frame.client_id, "topic": self.topic},
            conversation_ref=conversation_ref(self.visitor_id), source="chat",
        ))
        if stored.conversation_id is not None:
            self.conversation_id = stored.conversation_id
            self.app[CHAT_HUB].bind(self.sock, stored.conversation_id)
        self.sock.send({"type": "ack", "client_id": frame.client_id, "message_id": stored.message_id,
                        "conversation_id": self.conversation_id, "duplicate": stored.duplicate})
        if not stored.duplicate and self.conversation_id is not None:
            echo = {"id": stored.message_id, "direction": "in", "text": frame.text, "author": self.name,
                    "client_id": frame.client_id, "created_at": None}
            self.app[CHAT_HUB].to_conversation(self.conversation_id, {"type": "message", "message": echo},
                                               exclude=self.sock)

    async def identify(self, frame: Identify) -> None:
        self.name = frame.name or self.name
        self.email = frame.email or self.email
        app = self.app
        customers = CustomerRepository(app[keys.DB], default_region=app[keys.SETTINGS].default_region)
        try:
            await identify_visitor(db=app[keys.DB], customers=customers, visitor_id=self.visitor_id,
                                   name=self.name, email=self.email)
        except ValidationError as exc:
            raise ProtocolError("bad_email", exc.message) from exc
        # Nothing about any customer goes back to the visitor: what they typed is not verified.
        self.sock.send({"type": "identified"})


async def _first_frame(ws: web.WebSocketResponse, config: ChatConfig) -> Hello:
    msg = await asyncio.wait_for(ws.receive(), config.hello_timeout_seconds)
    if msg.type != WSMsgType.TEXT:
        raise ProtocolError("bad_frame", "the first frame must be a hello")
    frame = parse_frame(msg.data, max_chars=config.max_message_chars)
    if not isinstance(frame, Hello):
        raise ProtocolError("bad_frame", "the first frame must be a hello")
    return frame


@csrf_exempt  # the widget runs on other sites: [chat] allowed_origins is checked in _check_origin
async def visitor_ws(request: web.Request) -> web.StreamResponse:
    """Serve one visitor: ``hello`` → ``welcome``, then messages until the socket closes."""
    config = _config(request.app)
    _check_origin(request, config)
    ws = web.WebSocketResponse(heartbeat=30, max_msg_size=config.max_frame_bytes)
    await ws.prepare(request)
    try:
        hello = await _first_frame(ws, config)
    except (ProtocolError, TimeoutError) as exc:
        frame = exc.frame() if isinstance(exc, ProtocolError) else {"type": "error", "code": "timeout",
                                                                     "message": "no hello received"}
        await ws.send_json(frame)
        await ws.close(code=1008)
        return ws
    hub = request.app[CHAT_HUB]
    sock = VisitorSocket(ws, visitor_id=hello.visitor_id or new_visitor_id(), queue_size=config.send_queue)
    hub.add(sock)
    session = VisitorSession(request, sock, hello)
    try:
        await session.welcome(hello.last_seen)
        await _serve(ws, session, config)
    finally:
        await hub.remove(sock)
    return ws


async def _serve(ws: web.WebSocketResponse, session: VisitorSession, config: ChatConfig) -> None:
    async for msg in ws:
        if msg.type != WSMsgType.TEXT:
            if msg.type == WSMsgType.ERROR:
                break
            session.sock.send(ProtocolError("bad_frame", "frames must be JSON text").frame())
            continue
        try:
            await session.handle(parse_frame(msg.data, max_chars=config.max_message_chars))
        except ProtocolError as exc:
            session.sock.send(exc.frame())
