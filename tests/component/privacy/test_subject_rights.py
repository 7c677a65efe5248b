"""The data-subject rights on the real app: an admin exports everything held about a customer
(store and sources, JSON and HTML), erases it across the store, and retention scrubs old contacts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select, update

from contact_center import keys
from contact_center.inbox import INBOX
from contact_center.inbox.records import InboundMessage
from contact_center.settings import Settings
from contact_center.store.tables import Conversation, Message
from tests.component.telephony.env import start_world, world_settings
from tests.conftest import AppStarter


async def _mail(app: object, n: int, sender: str) -> object:
    [stored] = await app.app[INBOX].receive([InboundMessage(  # type: ignore[attr-defined]
        channel="email", external_id=f"<gdpr-{n}@example.org>", identity=("email", sender), sender=sender,
        department="sales", subject=f"My order {n}", body_text=f"Please call me on +49 171 {n}",
        source="support", raw=b"Subject: My order\r\n\r\nsecret body\r\n")])
    return stored


async def test_export_and_erase_a_customer(start_app: AppStarter, settings_factory: Callable[..., Settings],
                                           tmp_path: Path) -> None:
    """The export holds identities, messages and every source's data; erasure removes them and lists the sources."""
    app, users = await start_world(start_app, world_settings(settings_factory, tmp_path))
    ann = users["customer:ann"]
    stored = await _mail(app, 1, "ann@example.org")
    assert stored.customer_id == ann  # type: ignore[attr-defined]
    async with await app.login("agent_sales_1") as agent:
        assert (await agent.get(f"/api/v1/privacy/customers/{ann}/export")).status == 403
    async with await app.login("admin") as admin:
        doc = await (await admin.get(f"/api/v1/privacy/customers/{ann}/export")).json()
        assert doc["customer"]["display_name"] == "Ann Example"
        assert {i["value"] for i in doc["identities"]} == {"+49301111111", "ann@example.org"}
        assert [m["body_text"] for m in doc["messages"]] == ["Please call me on +49 171 1"]
        assert doc["sources"]["sales"][0]["status"] == "ok"
        assert doc["sources"]["sales"][0]["data"]  # what the sales database returns about Ann
        page = await admin.get(f"/api/v1/privacy/customers/{ann}/export", params={"format": "html"})
        text = await page.text()
        assert page.content_type == "text/html"
        assert "Ann Example" in text
        assert "Please call me on +49 171 1" in text
        refused = await admin.post(f"/api/v1/privacy/customers/{ann}/erase", json={})
        assert refused.status == 422
        done = await (await admin.post(f"/api/v1/privacy/customers/{ann}/erase", json={"confirm": True})).json()
        assert done["identities"] == 2
        assert {s["source"] for s in done["sources_to_erase"]} >= {"sales"}
        assert done["sources_to_erase"][0]["customer_keys"] == ["C-1"]
        after = await (await admin.get(f"/api/v1/privacy/customers/{ann}/export")).json()
        audit = await (await admin.get("/api/v1/audit", params={"customer_id": ann})).json()
    assert after["customer"]["display_name"] == f"Erased customer {ann}"
    assert after["customer"]["external_key"] is None
    assert after["identities"] == []
    assert [m["body_text"] for m in after["messages"]] == ["[erased]"]
    assert after["messages"][0]["has_raw"] is False
    assert after["sources"] == {}
    assert not (await app.app[keys.CUSTOMERS].identify("email", "ann@example.org")).candidates
    assert {"subject_export", "subject_erase"} <= {e["action"] for e in audit["entries"]}


async def test_retention_scrubs_old_closed_conversations_of_its_channel(
        start_app: AppStarter, settings_factory: Callable[..., Settings], tmp_path: Path) -> None:
    """With email kept 30 days, a mail closed 40 days ago loses its content; a recent one and calls are kept."""
    settings = world_settings(settings_factory, tmp_path, sections={"privacy": {"retention": {"email": 30}}})
    app, _ = await start_world(start_app, settings)
    old, recent = await _mail(app, 1, "old@example.org"), await _mail(app, 2, "new@example.org")
    async with app.db.session() as s:
        await s.execute(update(Conversation).where(Conversation.id == old.conversation_id).values(  # type: ignore[attr-defined]
            status="closed", closed_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=40)))
        await s.execute(update(Conversation).where(Conversation.id == recent.conversation_id).values(  # type: ignore[attr-defined]
            status="closed", closed_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=5)))
    async with await app.login("admin") as admin:
        run = await (await admin.post("/api/v1/privacy/retention/run")).json()
    assert run == {"scrubbed": {"email": 1}}
    async with app.db.session() as s:
        bodies = dict((await s.execute(select(Message.conversation_id, Message.body_text))).all())
    assert bodies[old.conversation_id] == "[erased]"  # type: ignore[attr-defined]
    assert bodies[recent.conversation_id] == "Please call me on +49 171 2"  # type: ignore[attr-defined]
