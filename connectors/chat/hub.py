"""The visitor sockets held by this instance, and delivery of agents' replies to them.

Every instance receives every ``ReplyQueued`` (the Redis bus fans out); only the instance
holding the visitor's socket pushes the reply and marks it ``sent``. A visitor who is offline
gets it from the replay in the next ``welcome``. Each socket has a bounded send queue and its
own sender task: a visitor who stops reading is disconnected (and resyncs on reconnect),
never slowing anyone else.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from typing import Any

from aiohttp import web

from connectors.chat.protocol import message_frame
from contact_center.bus.base import Bus
from contact_center.events import ReplyDelivered, ReplyQueued
from contact_center.inbox.service import InboxService

log = logging.getLogger(__name__)


class VisitorSocket:
    """One visitor connection: a bounded outgoing queue drained by its own task."""

    def __init__(self, ws: web.WebSocketResponse, *, visitor_id: str, queue_size: int) -> None:
        self.ws = ws
        self.visitor_id = visitor_id
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(queue_size)
        self.task = asyncio.create_task(self._drain(), name=f"chat-visitor-{visitor_id[:8]}")
        self.closing: asyncio.Future[Any] | None = None

    def send(self, frame: dict[str, Any]) -> bool:
        """Queue *frame*; a full queue closes the socket (the widget reconnects and resyncs)."""
        try:
            self.queue.put_nowait(frame)
            return True
        except asyncio.QueueFull:
            log.info("visitor %s stopped reading; disconnecting", self.visitor_id[:8])
            self.task.cancel()
            self.closing = asyncio.ensure_future(self.ws.close(code=1013, message=b"too slow"))
            return False

    async def _drain(self) -> None:
        while True:
            frame = await self.queue.get()
            try:
                await self.ws.send_json(frame)
            except (ConnectionError, RuntimeError):
                return

    async def close(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


class ChatHub:
    """Visitor sockets by conversation, and the ``ReplyQueued`` → socket push."""

    def __init__(self, *, inbox: InboxService, bus: Bus) -> None:
        self._inbox = inbox
        self._bus = bus
        self._by_conversation: dict[int, set[VisitorSocket]] = defaultdict(set)
        self._conversation_of: dict[VisitorSocket, int] = {}
        self.sockets: set[VisitorSocket] = set()

    def subscribe(self) -> None:
        """Receive agents' replies (call before the bus starts)."""
        self._bus.subscribe(self._on_reply, ReplyQueued)

    def add(self, sock: VisitorSocket) -> None:
        self.sockets.add(sock)

    def bind(self, sock: VisitorSocket, conversation_id: int) -> None:
        """Route replies on *conversation_id* to *sock*."""
        if self._conversation_of.get(sock) == conversation_id:
            return
        self._by_conversation[conversation_id].add(sock)
        self._conversation_of[sock] = conversation_id

    async def remove(self, sock: VisitorSocket) -> None:
        self.sockets.discard(sock)
        conversation_id = self._conversation_of.pop(sock, None)
        if conversation_id is not None:
            peers = self._by_conversation.get(conversation_id, set())
            peers.discard(sock)
            if not peers:
                self._by_conversation.pop(conversation_id, None)
        await sock.close()

    def to_conversation(
        self, conversation_id: int, frame: dict[str, Any], *, exclude: VisitorSocket | None = None
    ) -> int:
        """Send *frame* to the visitor's other open sockets (tabs) on this instance."""
        sent = 0
        for sock in list(self._by_conversation.get(conversation_id, ())):
            if sock is not exclude and sock.send(frame):
                sent += 1
        return sent

    async def _on_reply(self, event: ReplyQueued) -> None:
        if event.channel != "chat" or event.conversation_id not in self._by_conversation:
            return
        found = await self._inbox.conversations.messages(event.conversation_id, after_id=event.message_id - 1,
                                                         limit=1, include_notes=False)
        message = next((m for m in found if m["id"] == event.message_id), None)
        if message is None:
            return
        if self.to_conversation(event.conversation_id, {"type": "message", "message": message_frame(message)}):
            await self.mark_sent([event.message_id], event.conversation_id)

    async def mark_sent(self, message_ids: list[int], conversation_id: int) -> None:
        """Record replies as delivered to the visitor's browser (and tell their authors)."""
        for message_id in message_ids:
            await self._inbox.outbound.record_delivery(message_id, ok=True)
            await self._bus.publish(ReplyDelivered(conversation_id, message_id, "chat", True))
            await self._inbox.delivered(message_id, channel="chat", ok=True)

    async def close(self) -> None:
        for sock in list(self.sockets):
            with contextlib.suppress(Exception):
                await sock.ws.close(code=1001, message=b"server shutting down")
            await self.remove(sock)
