"""The email channel: IMAP IDLE ingest into the inbox, SMTP delivery of agents' replies.

``register(app)`` (entry point ``email``) reads the ``[email]`` section
(:mod:`connectors.email.config`), starts one :class:`~.imap_ingest.MailboxIngest` per mailbox
and the :class:`~.smtp_outbox.SmtpSender` in the app's ``cleanup_ctx``, and stops them on
shutdown. Nothing runs when the section is absent.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from aiohttp import web

from connectors.email.admin_http import register_admin
from connectors.email.config import EmailConfig, load_email_config
from connectors.email.imap_ingest import MailboxIngest
from connectors.email.lifeline import exit_with
from connectors.email.pipeline import BatchPipeline
from connectors.email.smtp_outbox import SmtpSender
from connectors.email.workers import ready
from contact_center import keys
from contact_center.config.service import ValidationContext
from contact_center.errors import ValidationError
from contact_center.inbox import INBOX

EMAIL_CONFIG = web.AppKey("email.config", EmailConfig)
EMAIL_INGESTS = web.AppKey("email.ingests", list)  # list[MailboxIngest], for tests and health
SHUTDOWN_SECONDS = 5.0


class EmailChannel:
    """The running mailbox readers and SMTP sender; restarted whole when the live ``email`` section changes.

    A restart stops each reader at a safe point (no transaction cut in half); the durable UID
    checkpoint means the new readers continue exactly where the old ones stopped.
    """

    def __init__(self, app: web.Application) -> None:
        self._app = app
        self._lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self._services: list[MailboxIngest | SmtpSender] = []
        self._pools: list[ProcessPoolExecutor] = []
        self.ingests: list[MailboxIngest] = []  # the same list object for the app's whole life

    async def start(self, config: EmailConfig) -> None:
        app = self._app
        inbox, bus = app[INBOX], app[keys.BUS]
        reading = config.ingest and bool(config.mailboxes)
        workers = email_workers(config) if reading else []
        pipeline = BatchPipeline(inbox=inbox, config=config, workers=workers)
        ingests = [MailboxIngest(mailbox=box, inbox=inbox, config=config, pipeline=pipeline)
                   for box in config.mailboxes] if reading else []
        self.ingests[:] = ingests
        sender = SmtpSender(inbox=inbox, bus=bus, config=config.smtp) if config.smtp else None
        self._tasks = []
        if sender is not None:
            sender.subscribe()
            self._tasks.append(asyncio.create_task(sender.run(), name="smtp-sender"))
        self._tasks += [asyncio.create_task(i.run(), name=f"imap-{i.mailbox.name}") for i in ingests]
        self._services = [*ingests, *([sender] if sender else [])]
        self._pools = workers

    async def stop(self) -> None:
        # Stop at safe points first (no transaction or SMTP dialogue cut in half), then cancel.
        for service in self._services:
            service.stop()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=SHUTDOWN_SECONDS)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for service in self._services:
            if isinstance(service, SmtpSender):
                service.unsubscribe()
        for pool in self._pools:
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)
        self._tasks, self._services, self._pools = [], [], []

    async def reconfigure(self, config: EmailConfig) -> None:
        """Take a live change of ``email``: stop the readers and the sender, start them on *config*."""
        async with self._lock:
            await self.stop()
            await self.start(config)


EMAIL_CHANNEL = web.AppKey("email.channel", EmailChannel)


async def _email_ctx(app: web.Application) -> AsyncIterator[None]:
    live = app[keys.LIVE_CONFIG]
    channel = EmailChannel(app)
    app[EMAIL_INGESTS] = channel.ingests
    app[EMAIL_CHANNEL] = channel
    await channel.start(live.value("email"))
    live.on_change("email", channel.reconfigure)
    yield
    async with channel._lock:
        await channel.stop()


def email_workers(config: EmailConfig) -> list[ProcessPoolExecutor]:
    """``parse_workers`` one-process pools that fetch (in a bulk catch-up) and parse batches in
    turn, on every store (``forkserver``: never fork a threaded app); none when it is 0. They
    never write the store (see :mod:`.workers`)."""
    pools = []
    for _ in range(config.parse_workers):
        pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("forkserver"), initializer=exit_with,
                                   initargs=(os.getpid(),))
        pool.submit(ready)  # start and import now, not when the first mail arrives
        pools.append(pool)
    return pools


def register(app: web.Application) -> None:
    """Wire the email channel into *app* (configuration errors surface here, at start-up).

    ``email`` is a live section: mailboxes and the SMTP server change without a restart; mailbox
    passwords are stored encrypted (:mod:`contact_center.config.secrets`).
    """
    app[EMAIL_CONFIG] = load_email_config(app[keys.SETTINGS].section("email"))
    app[keys.LIVE_CONFIG].section("email", validate=_validate_live)
    register_admin(app)
    app.cleanup_ctx.append(_email_ctx)


def _validate_live(raw: Any, context: ValidationContext) -> EmailConfig:
    config = load_email_config(raw or {})
    for i, box in enumerate(config.mailboxes):
        if box.department and context.departments and box.department not in context.departments:
            raise ValidationError(f"email.mailboxes[{i}].department", f"unknown department {box.department!r}")
    return config
