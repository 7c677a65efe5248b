"""A real ``contact-center serve`` SIGKILLed mid-chat: every acknowledged message is stored, and once."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path
from typing import Any

import pytest
import websockets
from sqlalchemy import func, select

from contact_center.store.session import Database
from contact_center.store.tables import Message
from tests.serving import crash_store_url, serving

__all__ = ["crash_store_url"]  # the fixture, imported for pytest

CONFIG = ('[server]\nplugins = ["chat"]\nlog_level = "WARNING"\n\n'
          '[chat]\nrate_per_minute = 1000000\nburst = 1000000\n')
VISITORS = 12


class Visitor:
    """One widget: sends numbered messages, each after the previous one's ack; remembers what was acked."""

    def __init__(self) -> None:
        self.visitor_id: str | None = None
        self.acked: list[str] = []
        self.sent = 0

    async def connect(self, port: int) -> Any:
        ws = await websockets.connect(f"ws://127.0.0.1:{port}/chat/ws")
        await ws.send(json.dumps({"type": "hello", "visitor_id": self.visitor_id, "last_seen": 0}))
        welcome = await self._next(ws, "welcome")
        self.visitor_id = welcome["visitor_id"]
        return ws

    @staticmethod
    async def _next(ws: Any, kind: str) -> dict[str, Any]:
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] == kind:
                return frame

    async def say(self, ws: Any, client_id: str) -> dict[str, Any]:
        await ws.send(json.dumps({"type": "message", "client_id": client_id, "text": f"hello {client_id}"}))
        return await self._next(ws, "ack")

    async def chat(self, port: int, total: list[int], enough: asyncio.Event) -> None:
        ws = await self.connect(port)
        while True:
            self.sent += 1
            ack = await self.say(ws, f"m{self.sent}")
            self.acked.append(ack["client_id"])
            total[0] += 1
            if total[0] >= 300:
                enough.set()


async def _stored(url: str) -> tuple[int, int]:
    """(inbound chat messages, distinct external ids among them)."""
    db = Database(url)
    try:
        async with db.session() as s:
            rows = (await s.execute(select(func.count(), func.count(func.distinct(Message.external_id)))
                                    .where(Message.channel == "chat", Message.direction == "in"))).one()
    finally:
        await db.close()
    return int(rows[0]), int(rows[1])


@pytest.mark.timeout(240)  # two server starts and a burst of chat: longer than the default on a busy machine
async def test_sigkill_mid_chat_keeps_every_acked_message_once(tmp_path: Path, crash_store_url: str) -> None:
    """Visitors chat until the server is killed; after a restart each resends everything it sent (acked
    or not, as the widget resends what it has no ack for): every message is stored exactly once, and the
    acked ones come back as duplicates (on SQLite and on PostgreSQL)."""
    visitors = [Visitor() for _ in range(VISITORS)]
    total, enough = [0], asyncio.Event()
    async with serving(tmp_path, CONFIG, crash_store_url) as (proc, port):
        chats = [asyncio.create_task(v.chat(port, total, enough)) for v in visitors]
        async with asyncio.timeout(60):
            await enough.wait()
        proc.send_signal(signal.SIGKILL)  # messages are in flight: some batches are mid-way
        await proc.wait()
        await asyncio.gather(*chats, return_exceptions=True)
    acked = {(v.visitor_id, c) for v in visitors for c in v.acked}
    assert len(acked) >= 300
    async with serving(tmp_path, CONFIG, crash_store_url, log_name="serve2.log") as (_, port):
        for v in visitors:
            ws = await v.connect(port)
            for n in range(1, v.sent + 1):
                ack = await v.say(ws, f"m{n}")
                assert ack["duplicate"] or f"m{n}" not in v.acked
            await ws.close()
    count, distinct = await _stored(crash_store_url)
    assert count == distinct == sum(v.sent for v in visitors)
    assert len(acked) <= count
