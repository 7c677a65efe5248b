"""The ingest survives dropped connections and restarts: nothing lost, nothing stored twice."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select, update

from connectors.email import EMAIL_INGESTS
from connectors.email.config import load_email_config
from connectors.email.imap_session import open_session
from contact_center.events import EmailReceived
from contact_center.store.session import Database
from contact_center.store.tables import MailboxCheckpoint, Message
from tests.integration.email.conftest import EmailAppStarter, email_section
from tests.integration.email.mails import append_all, mail
from tests.servers import DovecotForTest


async def _stored_ids(db: Database) -> list[str]:
    async with db.session() as s:
        return list((await s.execute(select(Message.external_id).where(Message.direction == "in"))).scalars())


async def test_connection_dropped_mid_idle_reconnects_and_reads_later_mail(
    dovecot: DovecotForTest, email_app: EmailAppStarter,
):
    """Dovecot kicks the idling session; the connector reconnects and ingests mail sent afterwards."""
    app = await email_app(email_section(dovecot))
    ingest = app.running.app[EMAIL_INGESTS][0]
    await ingest.connected.wait()
    dovecot.kick(dovecot.user)
    async with asyncio.timeout(10):
        await ingest.wait_connected(sessions=2)
    dovecot.deliver(dovecot.user, mail("After the drop", "still here", msgid="<after-drop@example.org>"))
    [event] = await app.wait_for(EmailReceived)
    assert event.subject == "After the drop"


@pytest.mark.timeout(150)
@pytest.mark.parametrize(("parse_workers", "worker_fetch"), [(0, True), (1, True), (1, False)],
                         ids=["in-loop", "workers-fetching", "workers-parsing-what-the-loop-fetched"])
async def test_restart_mid_batch_loses_and_repeats_nothing(
    dovecot: DovecotForTest, email_app: EmailAppStarter, parse_workers: int, worker_fetch: bool,
):
    """Stop the app while it is still catching up in small batches, restart it, and rewind the
    checkpoint as a crash between store and checkpoint would: every mail is stored exactly once,
    whether batches are parsed and stored in the loop or in the ingest workers (pipelined), and
    whether the workers fetch their ranges themselves or the app's session fetches them. (A
    SIGKILL in the middle of a batch is measured by bench/email_ingest.py.)"""
    total = 400
    append_all(dovecot.host, dovecot.imap_port, dovecot.user, dovecot.password,
               [mail(f"Mail {i}", f"body {i}", msgid=f"<restart-{i}@example.org>") for i in range(total)])
    section = email_section(dovecot, batch_size=2, parse_workers=parse_workers, worker_fetch=worker_fetch)
    # The first batch's announcement asks the ingest to stop at its next safe point (what shutdown
    # does first), so the stop lands after a few of the 200 small transactions, however fast they run.
    first = await email_app(section, stop_on_first_mail=True)
    await first.wait_for(EmailReceived, 1)
    await first.running.server.close()
    store = Database(first.running.db.url)
    partial = len(await _stored_ids(store))
    await store.close()
    assert 0 < partial < total

    second = await email_app(section, seed=False)
    await second.wait_for(EmailReceived, total - partial)
    ingest = second.running.app[EMAIL_INGESTS][0]
    await ingest.connected.wait()
    async with second.running.db.session() as s:
        await s.execute(update(MailboxCheckpoint).values(last_uid=5))  # refetch 6..400 on the next session
    dovecot.kick(dovecot.user)
    # The new session re-reads 395 mails before it counts as caught up: on a loaded two-core machine
    # that took over 10 s, so the bound is a stall detector, not a speed check.
    async with asyncio.timeout(45):
        await ingest.wait_connected(sessions=2)
    ids = await _stored_ids(second.running.db)
    assert sorted(ids) == sorted(f"<restart-{i}@example.org>" for i in range(total))
    assert len(second.of(EmailReceived)) == total - partial  # the refetch announced nothing again
    async with second.running.db.session() as s:
        checkpoint = (await s.execute(select(func.max(MailboxCheckpoint.last_uid)))).scalar()
    assert checkpoint == total


async def test_no_new_mail_costs_no_round_trip(dovecot: DovecotForTest, email_app: EmailAppStarter):
    """With the checkpoint at the newest UID, a new session's check sends no command after SELECT."""
    append_all(dovecot.host, dovecot.imap_port, dovecot.user, dovecot.password,
               [mail(f"Old {i}", "x", msgid=f"<old-{i}@example.org>") for i in range(30)])
    app = await email_app(email_section(dovecot))
    await app.wait_for(EmailReceived, 30)
    ingest = app.running.app[EMAIL_INGESTS][0]
    await ingest.connected.wait()
    config = load_email_config(email_section(dovecot))
    session = await open_session(config.mailboxes[0])
    try:
        commands_before = session.client.protocol.tagnum
        assert await ingest.catch_up(session, first=True) == 0
        assert session.client.protocol.tagnum == commands_before
        assert await ingest.catch_up(session) == 0  # after IDLE: exactly one UID SEARCH
        assert session.client.protocol.tagnum == commands_before + 1
    finally:
        await session.close()
