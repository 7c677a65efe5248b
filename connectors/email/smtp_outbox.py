"""The background sender: delivers queued email replies over SMTP with retries and backoff.

Replies are stored (``queued``) before anything is sent. The sender wakes on ``ReplyQueued``
or every ``poll_seconds``, claims due replies with a lease (so several instances never send one
reply twice at once, and a sender killed mid-send leaves it to be claimed again), fixes the
reply's headers and ``Message-ID`` in the store before the first attempt (a retry sends the
identical message), and records the outcome: ``sent``; ``queued`` again after a temporary
failure (4xx, network) with exponential backoff; ``failed`` after a permanent failure (5xx) or
``max_attempts``. Final outcomes publish ``ReplyDelivered`` and notify the author.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import random
from collections.abc import Callable

import aiosmtplib

from connectors.email.compose import NotAddressable, build_reply, plan_headers
from connectors.email.config import SmtpConfig
from connectors.email.imap_session import tls_context
from contact_center.bus.base import Bus
from contact_center.errors import NotFound
from contact_center.events import ReplyDelivered, ReplyQueued
from contact_center.inbox.records import OutboundDue
from contact_center.inbox.service import InboxService

log = logging.getLogger(__name__)

LEASE_SECONDS = 120.0


class PermanentFailure(Exception):
    """The server (or the data) says this reply can never be delivered."""


def classify(exc: BaseException) -> bool:
    """True when *exc* is worth retrying (4xx replies, timeouts, connection trouble)."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return any(400 <= r.code < 500 for r in exc.recipients)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return 400 <= exc.code < 500
    return isinstance(exc, aiosmtplib.SMTPException | OSError | asyncio.TimeoutError)


def backoff(attempt: int, config: SmtpConfig) -> float:
    """Seconds before attempt *attempt* + 1: doubling from ``retry_min_seconds``, capped, jittered."""
    base = min(config.retry_max_seconds, config.retry_min_seconds * 2 ** max(0, attempt - 1))
    return base * (0.75 + random.random() / 2)


class SmtpSender:
    """Claims and sends queued email replies until cancelled."""

    def __init__(self, *, inbox: InboxService, bus: Bus, config: SmtpConfig) -> None:
        self._inbox = inbox
        self._bus = bus
        self._config = config
        self._wake = asyncio.Event()
        self._stopping = False
        self._unsubscribe: Callable[[], None] | None = None

    def stop(self) -> None:
        """Ask :meth:`run` to end after the reply it is sending (its outcome is recorded first)."""
        self._stopping = True
        self._wake.set()

    def subscribe(self) -> None:
        """Wake the sender when a reply is queued."""
        self._unsubscribe = self._bus.subscribe(self._on_queued, ReplyQueued)

    def unsubscribe(self) -> None:
        """Stop listening (a sender replaced by a live change of ``email``)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    async def _on_queued(self, event: ReplyQueued) -> None:
        if event.channel == "email":
            self._wake.set()

    async def run(self) -> None:
        """Send due replies for ever; a failing round is logged and retried on the next wake."""
        while not self._stopping:
            try:
                while not self._stopping and await self.send_due():
                    pass
            except Exception:
                log.exception("smtp sender round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._config.poll_seconds)
            self._wake.clear()

    async def send_due(self) -> int:
        """Claim and send one round of due replies over one SMTP connection; returns how many."""
        claimed = await self._inbox.outbound.claim_outbound("email", lease_seconds=LEASE_SECONDS)
        if not claimed:
            return 0
        client: aiosmtplib.SMTP | None = None
        try:
            for due in claimed:
                if self._stopping:  # the rest stay claimed; the lease lapses and a sender retries
                    break
                client = await self._deliver(due, client)
        finally:
            if client is not None and client.is_connected:
                with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                    await client.quit()
        return len(claimed)

    async def _deliver(self, due: OutboundDue, client: aiosmtplib.SMTP | None) -> aiosmtplib.SMTP | None:
        try:
            message = await self._inbox.conversations.message(due.message_id)
            headers = message["meta"].get("email") or await self._plan(due)
            mail = build_reply(headers, message["body_text"])
            if client is None or not client.is_connected:
                client = await self._connect()
            await client.send_message(mail, sender=headers["from"], recipients=[headers["to"]])
        except NotFound:
            return client
        except (NotAddressable, PermanentFailure) as exc:
            await self._finish(due, ok=False, error=str(exc))
            return client
        except Exception as exc:
            await self._failed_attempt(due, exc)
            return None  # the connection may be unusable: a fresh one for the next reply
        await self._finish(due, ok=True)
        return client

    async def _plan(self, due: OutboundDue) -> dict[str, str]:
        ctx = await self._inbox.outbound.reply_context(due.conversation_id)
        headers = plan_headers(ctx, fallback_from=self._config.from_address, sender_name=None)
        await self._inbox.outbound.prepare_outbound(due.message_id, external_id=headers["message_id"],
                                                    meta={"email": headers})
        return headers

    async def _connect(self) -> aiosmtplib.SMTP:
        cfg = self._config
        client = aiosmtplib.SMTP(
            hostname=cfg.host, port=cfg.port, timeout=cfg.timeout_seconds,
            use_tls=cfg.security == "tls", start_tls=cfg.security == "starttls",
            tls_context=tls_context(cfg.ca_file) if cfg.security != "none" else None,
        )
        await client.connect()
        if cfg.user:
            await client.login(cfg.user, cfg.password.reveal())
        return client

    async def _failed_attempt(self, due: OutboundDue, exc: Exception) -> None:
        error = f"{type(exc).__name__}: {exc}"
        if not classify(exc) or due.attempts >= self._config.max_attempts:
            log.warning("reply %s failed for good after %d attempts: %s", due.message_id, due.attempts, error)
            await self._finish(due, ok=False, error=error)
            return
        retry_at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=backoff(due.attempts, self._config))
        log.info("reply %s: attempt %d failed (%s); retrying at %s", due.message_id, due.attempts, error, retry_at)
        await self._inbox.outbound.record_delivery(due.message_id, ok=False, error=error, retry_at=retry_at)

    async def _finish(self, due: OutboundDue, *, ok: bool, error: str | None = None) -> None:
        await self._inbox.outbound.record_delivery(due.message_id, ok=ok, error=error)
        await self._bus.publish(ReplyDelivered(due.conversation_id, due.message_id, "email", ok, error))
        await self._inbox.delivered(due.message_id, channel="email", ok=ok, error=error)
