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

from aiohttp import web

from connectors.email.config import EmailConfig, load_email_config
from connectors.email.imap_ingest import MailboxIngest
from connectors.email.lifeline import exit_with
from connectors.email.mime import parse_many
from connectors.email.pipeline import BatchPipeline
from connectors.email.smtp_outbox import SmtpSender
from connectors.email.workers import ready
from contact_center import keys
from contact_center.inbox import INBOX
from contact_center.ingest.writer_process import writes_in_process

EMAIL_CONFIG = web.AppKey("email.config", EmailConfig)
EMAIL_INGESTS = web.AppKey("email.ingests", list)  # list[MailboxIngest], for tests and health
EMAIL_SENDER = web.AppKey("email.sender", object)  # SmtpSender | None
SHUTDOWN_SECONDS = 5.0


async def _email_ctx(app: web.Application) -> AsyncIterator[None]:
    config = app[EMAIL_CONFIG]
    inbox, bus = app[INBOX], app[keys.BUS]
    tasks: list[asyncio.Task[None]] = []
    reading = config.ingest and bool(config.mailboxes)
    workers = ingest_workers(config, app[keys.DB].url) if reading else []
    parser = parser_pool(config) if reading and not workers else None
    pipeline = BatchPipeline(inbox=inbox, config=config, parser=parser, workers=workers, db_url=app[keys.DB].url)
    ingests = [MailboxIngest(mailbox=box, inbox=inbox, config=config, pipeline=pipeline)
               for box in config.mailboxes] if reading else []
    app[EMAIL_INGESTS] = ingests
    sender = SmtpSender(inbox=inbox, bus=bus, config=config.smtp) if config.smtp else None
    app[EMAIL_SENDER] = sender
    if sender is not None:
        sender.subscribe()
        tasks.append(asyncio.create_task(sender.run(), name="smtp-sender"))
    tasks += [asyncio.create_task(i.run(), name=f"imap-{i.mailbox.name}") for i in ingests]
    yield
    # Stop at safe points first (no transaction or SMTP dialogue cut in half), then cancel.
    services: list[MailboxIngest | SmtpSender] = [*ingests, *([sender] if sender else [])]
    for service in services:
        service.stop()
    if tasks:
        await asyncio.wait(tasks, timeout=SHUTDOWN_SECONDS)
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    for pool in (parser, *workers):
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def parser_pool(config: EmailConfig) -> ProcessPoolExecutor | None:
    """Processes that parse MIME beside the event loop (``forkserver``: never fork a threaded app)."""
    if config.parse_workers < 1:
        return None
    pool = ProcessPoolExecutor(config.parse_workers, mp_context=multiprocessing.get_context("forkserver"),
                               initializer=exit_with, initargs=(os.getpid(),))
    for _ in range(config.parse_workers):
        pool.submit(parse_many, [])  # start and import now, not when the first mail arrives
    return pool


def ingest_workers(config: EmailConfig, db_url: str) -> list[ProcessPoolExecutor]:
    """For a store in a SQLite file: one-process pools that parse batches in turn and store the
    batches they parsed (``max(2, parse_workers)`` of them, so that one parses while another
    stores; see :mod:`.workers`). None when ``writer_process`` is off or ``parse_workers`` is 0."""
    if not config.writer_process or config.parse_workers < 1 or not writes_in_process(db_url):
        return []
    pools = []
    for _ in range(max(2, config.parse_workers)):
        pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("forkserver"), initializer=exit_with,
                                   initargs=(os.getpid(),))
        pool.submit(ready)  # start and import now, not when the first mail arrives
        pools.append(pool)
    return pools


def register(app: web.Application) -> None:
    """Wire the email channel into *app* (configuration errors surface here, at start-up)."""
    app[EMAIL_CONFIG] = load_email_config(app[keys.SETTINGS].section("email"))
    app.cleanup_ctx.append(_email_ctx)
