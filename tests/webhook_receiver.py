"""A real HTTP receiver for the API channel's outbound webhooks, as a messaging bridge runs one.

It checks every delivery's signature the way the README tells bridges to (recompute the
HMAC-SHA256 over ``timestamp + "." + raw body``, compare in constant time, refuse old
timestamps), answers the first ``fail_first`` deliveries with 503, and keeps what it accepted.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


def valid_signature(secret: str, timestamp: str, body: bytes, signature: str, *, tolerance: float = 300) -> bool:
    """The receiver's check, written independently of the sender's code."""
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance:
        return False
    expected = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


@dataclass
class Delivery:
    headers: dict[str, str]
    body: dict[str, Any]
    signed: bool
    status: int


@dataclass
class WebhookReceiver:
    """An aiohttp server on 127.0.0.1 that plays the bridge's webhook endpoint."""

    secret: str = ""
    fail_first: int = 0
    deliveries: list[Delivery] = field(default_factory=list)
    port: int = 0
    _runner: web.AppRunner | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    @property
    def accepted(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.status == 200]

    async def _hook(self, request: web.Request) -> web.Response:
        raw = await request.read()
        signed = valid_signature(self.secret, request.headers.get("X-CC-Timestamp", ""), raw,
                                 request.headers.get("X-CC-Signature", ""))
        status = 503 if len(self.deliveries) < self.fail_first else (200 if signed else 401)
        self.deliveries.append(Delivery(dict(request.headers), json.loads(raw), signed, status))
        self._changed.set()
        return web.json_response({"ok": status == 200}, status=status)

    async def start(self, port: int = 0) -> WebhookReceiver:
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def wait_accepted(self, count: int = 1, within: float = 10.0) -> list[Delivery]:
        """The accepted deliveries once there are *count* of them."""
        async with asyncio.timeout(within):
            while len(self.accepted) < count:
                self._changed.clear()
                await self._changed.wait()
        return self.accepted
