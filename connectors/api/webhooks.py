"""The webhook sender: delivers agents' replies on the API channel to each bridge's URL.

Replies are stored ``queued`` before anything is sent, so the store is the outbox. The sender
wakes on ``ReplyQueued`` or every ``poll_seconds``, claims due replies with a lease (several
instances never send one reply at once; a sender killed mid-send leaves it to be claimed again
after a restart), signs each attempt (:mod:`.signing`), POSTs it, writes the attempt to the
delivery log and records the outcome on the message (:func:`.outbound.outcome`): ``sent``;
``queued`` again with an exponential backoff; or ``failed``. Final outcomes publish
``ReplyDelivered`` and tell the author's desk.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time

import aiohttp

from connectors.api.config import ApiChannelConfig
from connectors.api.inbound import CHANNEL
from connectors.api.outbound import EVENT, FAILED, RETRY, SENT, backoff, bridge_message_id, outcome, payload, recipient
from connectors.api.signing import signed_headers
from contact_center.bus.base import Bus
from contact_center.channel_instances import Attempt, ChannelInstanceRepository
from contact_center.errors import NotFound
from contact_center.events import ReplyDelivered, ReplyQueued
from contact_center.inbox.records import OutboundDue
from contact_center.inbox.service import InboxService

log = logging.getLogger(__name__)
MAX_ERROR_BODY = 300


class Undeliverable(Exception):
    """The reply cannot go anywhere (no such bridge, no URL, the bridge is switched off)."""


class WebhookSender:
    """Claims and delivers queued API-channel replies until stopped."""

    def __init__(self, *, inbox: InboxService, instances: ChannelInstanceRepository, bus: Bus,
                 config: ApiChannelConfig, http: aiohttp.ClientSession) -> None:
        self._inbox = inbox
        self._instances = instances
        self._bus = bus
        self._config = config
        self._http = http
        self._wake = asyncio.Event()
        self._stopping = False

    def subscribe(self) -> None:
        """Wake the sender when a reply is queued (call before the bus starts)."""
        self._bus.subscribe(self._on_queued, ReplyQueued)

    async def _on_queued(self, event: ReplyQueued) -> None:
        if event.channel == CHANNEL:
            self._wake.set()

    def stop(self) -> None:
        """Ask :meth:`run` to end after the round it is in (outcomes are recorded first)."""
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        """Deliver due replies for ever; a failing round is logged and retried on the next wake."""
        while not self._stopping:
            self._wake.clear()
            try:
                while not self._stopping and await self.send_due():
                    pass
            except Exception:
                log.exception("api channel webhook round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._config.poll_seconds)

    async def send_due(self) -> int:
        """Claim one round of due replies and deliver them side by side; returns how many."""
        claimed = await self._inbox.outbound.claim_outbound(CHANNEL, lease_seconds=self._config.lease_seconds)
        await asyncio.gather(*(self._deliver(due) for due in claimed))
        return len(claimed)

    async def _deliver(self, due: OutboundDue) -> None:
        try:
            message = await self._inbox.conversations.message(due.message_id)
            ctx = await self._inbox.outbound.reply_context(due.conversation_id)
        except NotFound:
            return
        to = recipient(ctx.key)
        try:
            if to is None:
                raise Undeliverable("the conversation names no API-channel bridge")
            instance = await self._instances.get(to.instance_id)
            if not instance.active or not instance.webhook_url:
                raise Undeliverable(f"bridge {instance.name!r} is switched off or has no webhook URL")
            secret = await self._instances.secret(instance.id)
        except (Undeliverable, NotFound) as exc:
            await self._finish(due, ok=False, error=str(exc))
            return
        body = payload(instance_id=instance.id, instance_name=instance.name, message=message, to=to,
                       in_reply_to=bridge_message_id(ctx.last_inbound_id, instance.id))
        timestamp = int(time.time())
        headers = signed_headers(secret, timestamp, body, event=EVENT, delivery=f"{due.message_id}-{due.attempts}")
        status, error, started = None, None, time.perf_counter()
        try:
            timeout = aiohttp.ClientTimeout(total=self._config.timeout_seconds)
            async with self._http.post(instance.webhook_url, data=body, headers=headers, timeout=timeout,
                                       allow_redirects=False) as resp:
                status = resp.status
                if not 200 <= status < 300:
                    error = f"HTTP {status}: {(await resp.text(errors='replace'))[:MAX_ERROR_BODY]}"
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        result = outcome(status, due.attempts, self._config.max_attempts)
        await self._instances.record_attempt(Attempt(
            instance_id=instance.id, message_id=due.message_id, attempt=due.attempts, url=instance.webhook_url,
            ok=result == SENT, outcome=result, status_code=status, error=error,
            duration_ms=round((time.perf_counter() - started) * 1000)))
        if result == RETRY:
            delay = backoff(due.attempts, low=self._config.retry_min_seconds, high=self._config.retry_max_seconds)
            log.info("api reply %s: attempt %d failed (%s); retrying in %.1f s", due.message_id, due.attempts,
                     error, delay)
            await self._inbox.outbound.record_delivery(due.message_id, ok=False, error=error,
                                                       retry_at=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=delay))
            return
        if result == FAILED:
            log.warning("api reply %s failed for good after %d attempts: %s", due.message_id, due.attempts, error)
        await self._finish(due, ok=result == SENT, error=error)

    async def _finish(self, due: OutboundDue, *, ok: bool, error: str | None = None) -> None:
        await self._inbox.outbound.record_delivery(due.message_id, ok=ok, error=error)
        await self._bus.publish(ReplyDelivered(due.conversation_id, due.message_id, CHANNEL, ok, error))
        await self._inbox.delivered(due.message_id, channel=CHANNEL, ok=ok, error=error)
