"""The audit log on the real app: reads of customer data are recorded with user, address and
object; admins read and export the log; a store that does not take the entry fails the read."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import sqlite3
from typing import Any

import pytest

from contact_center import keys
from contact_center.audit import Actor
from contact_center.inbox import INBOX
from contact_center.inbox.records import InboundMessage
from contact_center.settings import Settings
from tests.conftest import AppStarter, RunningApp, seed_org


async def _app(start_app: AppStarter, settings: Settings | None = None) -> RunningApp:
    running = await start_app(settings, plugins=[])
    running.users.update(await seed_org(running.db))
    return running


async def _mail(app: RunningApp, n: int, department: str = "sales") -> Any:
    [stored] = await app.app[INBOX].receive([InboundMessage(
        channel="email", external_id=f"<audit-{n}@example.org>", identity=("email", "ann@example.org"),
        sender="ann@example.org", department=department, subject=f"Mail {n}", body_text=f"body {n}",
        source="support", raw=b"Subject: hi\r\n\r\nbody\r\n",
    )])
    return stored


async def test_reads_are_recorded_and_admins_filter_and_export_them(start_app: AppStarter) -> None:
    """Conversation, message and raw-mail reads write entries (user, IP, object); admins filter and export them."""
    app = await _app(start_app)
    stored = await _mail(app, 1)
    cid = stored.conversation_id
    agent = await app.login("agent_sales_1")
    async with agent:
        assert (await agent.get(f"/api/v1/conversations/{cid}")).status == 200
        assert (await agent.get(f"/api/v1/conversations/{cid}/messages")).status == 200
        assert (await agent.get(f"/api/v1/conversations/{cid}/messages/{stored.message_id}/raw")).status == 200
        assert (await agent.get("/api/v1/audit")).status == 403  # agents do not read the log
    admin = await app.login("admin")
    async with admin:
        got = await (await admin.get("/api/v1/audit", params={"user_id": app.users["agent_sales_1"]})).json()
        actions = [e["action"] for e in got["entries"]]
        assert actions == ["raw_mail_view", "messages_view", "conversation_view"]  # newest first
        first = got["entries"][-1]
        assert (first["username"], first["ip"], first["object_type"], first["object_id"]) == (
            "agent_sales_1", "127.0.0.1", "conversation", str(cid))
        assert first["customer_id"] == stored.customer_id
        by_action = await (await admin.get("/api/v1/audit", params={"action": "raw_mail_view"})).json()
        assert [e["detail"] for e in by_action["entries"]] == [{"message_id": stored.message_id}]
        later = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
        assert (await (await admin.get("/api/v1/audit", params={"since": later})).json())["entries"] == []
        by_object = await (await admin.get("/api/v1/audit", params={"object_type": "conversation",
                                                                   "object_id": str(cid)})).json()
        assert len(by_object["entries"]) == 3
        bad = await admin.get("/api/v1/audit", params={"since": "yesterday"})
        assert bad.status == 422
        assert (await bad.json())["field"] == "since"
        export = await admin.get("/api/v1/audit/export", params={"user_id": app.users["agent_sales_1"]})
        assert export.status == 200
        assert export.content_type == "text/csv"
        rows = list(csv.DictReader(io.StringIO(await export.text())))
        assert [r["action"] for r in rows] == actions
        assert rows[0]["ip"] == "127.0.0.1"
        # reading the log is itself recorded
        mine = await (await admin.get("/api/v1/audit", params={"user_id": app.users["admin"]})).json()
        assert {e["action"] for e in mine["entries"]} == {"audit_read", "audit_export"}


async def test_a_read_fails_when_the_audit_entry_cannot_be_written(
        start_app: AppStarter, settings_factory: Any) -> None:
    """With the store's write lock held elsewhere past the audit timeout, the read answers 503, not the data."""
    settings = settings_factory()
    settings = Settings.load(environ={"CC_AUDIT__WRITE_TIMEOUT_SECONDS": "0.3"}, data_dir=settings.data_dir,
                             database_url=settings.database_url)
    app = await _app(start_app, settings)
    stored = await _mail(app, 2)
    agent = await app.login("agent_sales_1")
    path = settings.database_url.removeprefix("sqlite+aiosqlite:///")
    blocker = sqlite3.connect(path, timeout=30)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        async with agent:
            resp = await agent.get(f"/api/v1/conversations/{stored.conversation_id}")
            assert resp.status == 503
            assert "subject" not in await resp.text()
    finally:
        blocker.rollback()
        blocker.close()


async def test_queued_entries_survive_a_locked_store(start_app: AppStarter) -> None:
    """Entries queued while the store is locked are written once it is free again, none dropped."""
    app = await _app(start_app)
    audit = app.app[keys.AUDIT]
    path = app.db.url.removeprefix("sqlite+aiosqlite:///")
    blocker = sqlite3.connect(path, timeout=30)
    blocker.execute("BEGIN IMMEDIATE")
    for n in range(5):
        audit.enqueue(action="screen_pop", user_id=app.users["agent_sales_1"], detail={"n": n})
    await asyncio.sleep(0.2)  # the writer is now waiting on the lock
    blocker.rollback()
    blocker.close()
    await audit.flush()
    admin = await app.login("admin")
    async with admin:
        got = await (await admin.get("/api/v1/audit", params={"action": "screen_pop"})).json()
    assert sorted(e["detail"]["n"] for e in got["entries"]) == [0, 1, 2, 3, 4]


async def test_changes_keep_before_and_after(start_app: AppStarter) -> None:
    """An admin action recorded with before and after comes back with both (and no user for the system)."""
    app = await _app(start_app)
    audit = app.app[keys.AUDIT]
    await audit.record(Actor(user_id=app.users["admin"], ip="192.0.2.7"), action="user_update", object_type="user",
                       object_id=app.users["agent_sales_1"], before={"role": "agent"}, after={"role": "supervisor"})
    await audit.record(None, action="retention_run", detail={"deleted": 0, "at": dt.datetime(2026, 1, 1)})
    admin = await app.login("admin")
    async with admin:
        got = (await (await admin.get("/api/v1/audit", params={"object_type": "user"})).json())["entries"]
        system = (await (await admin.get("/api/v1/audit", params={"action": "retention_run"})).json())["entries"]
    assert (got[0]["before"], got[0]["after"], got[0]["ip"]) == ({"role": "agent"}, {"role": "supervisor"},
                                                                  "192.0.2.7")
    assert system[0]["user_id"] is None
    assert system[0]["detail"]["at"] == "2026-01-01T00:00:00"


@pytest.mark.parametrize("value", ["=HYPERLINK(\"x\")", "+1", "@cmd", "-2"])
def test_csv_cells_never_start_a_formula(value: str) -> None:
    """A cell that a spreadsheet would run as a formula is written as text."""
    from contact_center.audit.query import COLUMNS, csv_text
    row = dict.fromkeys(COLUMNS, "") | {"action": value}
    line = next(iter(csv.reader(io.StringIO(csv_text([row], header=False)))))
    assert line[COLUMNS.index("action")] == "'" + value
