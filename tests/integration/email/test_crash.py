"""A real ``contact-center serve`` SIGKILLed mid catch-up, then restarted: every mail stored exactly once."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from contact_center.store.session import Database
from contact_center.store.tables import Message
from tests.integration.email.mails import append_all, mail
from tests.mailservers import DovecotForTest
from tests.serving import crash_store_url, serving

__all__ = ["crash_store_url"]  # the fixture, imported for pytest

TOTAL = 400


def _config(dovecot: DovecotForTest) -> str:
    return ('[server]\nplugins = ["email"]\nlog_level = "WARNING"\n\n'
            '[email]\nbatch_size = 20\nreconnect_min_seconds = 0.05\nreconnect_max_seconds = 0.5\n\n'
            '[[email.mailboxes]]\nname = "support"\n'
            f'host = "{dovecot.host}"\nport = {dovecot.imap_port}\nsecurity = "none"\n'
            f'user = "{dovecot.user}"\npassword = "{dovecot.password}"\ndepartment = "service"\n')


async def _stored(url: str) -> tuple[int, int]:
    """(inbound mails stored, distinct Message-IDs among them); (0, 0) before the tables exist."""
    db = Database(url)
    try:
        async with db.session() as s:
            row = (await s.execute(select(func.count(), func.count(func.distinct(Message.external_id)))
                                   .where(Message.channel == "email", Message.direction == "in"))).one()
        return int(row[0]), int(row[1])
    except Exception:  # the server has not migrated the store yet
        return 0, 0
    finally:
        await db.close()


async def _until(url: str, count: int, within: float) -> int:
    async with asyncio.timeout(within):
        while (stored := (await _stored(url))[0]) < count:  # noqa: ASYNC110 - another process writes the store
            await asyncio.sleep(0.05)
    return stored


@pytest.mark.timeout(240)  # two server starts and a catch-up: longer than the default on a busy machine
async def test_sigkill_mid_catch_up_stores_every_mail_once(dovecot: DovecotForTest, tmp_path: Path,
                                                            crash_store_url: str) -> None:
    """Killed with SIGKILL while catching up a mailbox and started again, the server stores every mail
    exactly once: nothing committed is fetched into a second row, nothing fetched is lost (on SQLite,
    with its ingest worker processes, and on PostgreSQL)."""
    await asyncio.to_thread(append_all, dovecot.host, dovecot.imap_port, dovecot.user, dovecot.password,
                            [mail(f"Mail {i}", f"body {i}", msgid=f"<crash-{i}@example.org>") for i in range(TOTAL)])
    config = _config(dovecot)
    async with serving(tmp_path, config, crash_store_url) as (proc, _):
        killed_at = await _until(crash_store_url, TOTAL // 4, 90)
        proc.send_signal(signal.SIGKILL)  # mid catch-up: batches are being fetched, parsed and stored
        await proc.wait()
    assert killed_at < TOTAL
    async with serving(tmp_path, config, crash_store_url, log_name="serve2.log"):
        await _until(crash_store_url, TOTAL, 120)
        await asyncio.sleep(1)  # anything still arriving would be a duplicate
    assert await _stored(crash_store_url) == (TOTAL, TOTAL)
