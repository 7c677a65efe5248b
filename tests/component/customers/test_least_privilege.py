"""Least privilege on customer data: agents read a customer only through a conversation they may
see; merges are for supervisors and admins, audited, and an unmerge restores what moved."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from contact_center import keys
from contact_center.inbox import INBOX
from contact_center.inbox.records import InboundMessage
from contact_center.store.tables import Call, Identity
from tests.conftest import AppStarter, RunningApp, seed_org


async def _app(start_app: AppStarter) -> RunningApp:
    running = await start_app(plugins=[])
    running.users.update(await seed_org(running.db))
    return running


async def _mail(app: RunningApp, n: int, *, department: str, sender: str) -> Any:
    [stored] = await app.app[INBOX].receive([InboundMessage(
        channel="email", external_id=f"<lp-{n}@example.org>", identity=("email", sender), sender=sender,
        department=department, subject=f"Mail {n}", body_text=f"body {n}", source="support",
    )])
    return stored


async def test_agents_cannot_walk_customer_ids(start_app: AppStarter) -> None:
    """A customer known only to another department answers 404 to an agent, 200 to a supervisor."""
    app = await _app(start_app)
    theirs = await _mail(app, 1, department="complaints", sender="zed@example.org")
    mine = await _mail(app, 2, department="sales", sender="amy@example.org")
    async with await app.login("agent_sales_1") as agent:
        assert (await agent.get(f"/api/v1/customers/{mine.customer_id}")).status == 200
        for path in (f"/api/v1/customers/{theirs.customer_id}",
                     f"/api/v1/customers/{theirs.customer_id}/sources/accounting/history"):
            resp = await agent.get(path)
            assert resp.status == 404, path
        linked = await agent.post(f"/api/v1/customers/{theirs.customer_id}/identities",
                                  json={"kind": "phone", "value": "+4930111222"})
        assert linked.status == 404
    async with await app.login("agent_complaints_1") as other:
        assert (await other.get(f"/api/v1/customers/{theirs.customer_id}")).status == 200
    async with await app.login("supervisor") as boss:
        assert (await boss.get(f"/api/v1/customers/{theirs.customer_id}")).status == 200


async def test_unmerge_restores_identities_conversations_and_calls(start_app: AppStarter) -> None:
    """A merge moved identities, conversations and a call; the unmerge moves exactly those back, both audited."""
    app = await _app(start_app)
    keep = await _mail(app, 1, department="sales", sender="ann@example.org")
    dup = await _mail(app, 2, department="sales", sender="ann.private@example.org")
    customers = app.app[keys.CUSTOMERS]
    await customers.link_identity(dup.customer_id, "phone", "+4930555000")
    await customers.link_identity(dup.customer_id, "email", "shared@example.org")
    await customers.link_identity(keep.customer_id, "email", "shared@example.org")  # on both: dropped in the merge
    async with app.db.session() as s:
        s.add(Call(call_id="lp-call", pbx="test", customer_id=dup.customer_id, direction="in",
                   from_number="+4930555000", to_number="+49301234500"))
    async with await app.login("agent_sales_1") as agent:
        refused = await agent.post(f"/api/v1/customers/{keep.customer_id}/merge",
                                   json={"duplicate_id": dup.customer_id})
        assert refused.status == 403
        assert (await agent.post(f"/api/v1/customers/{dup.customer_id}/unmerge")).status == 403
    async with await app.login("supervisor") as boss:
        not_merged = await boss.post(f"/api/v1/customers/{dup.customer_id}/unmerge")
        assert not_merged.status == 404
        merged = await boss.post(f"/api/v1/customers/{keep.customer_id}/merge", json={"duplicate_id": dup.customer_id})
        assert merged.status == 200
        assert (await (await boss.get(f"/api/v1/customers/{dup.customer_id}")).json())["customer"]["id"] == \
            keep.customer_id
        later = await _mail(app, 3, department="sales", sender="ann.private@example.org")  # now files under keep
        assert later.customer_id == keep.customer_id
        undone = await boss.post(f"/api/v1/customers/{dup.customer_id}/unmerge")
        assert undone.status == 200
        doc = await undone.json()
        again = await boss.post(f"/api/v1/customers/{dup.customer_id}/unmerge")
        assert again.status == 404
    assert doc["customer"]["id"] == dup.customer_id
    assert sorted(i["value"] for i in doc["customer"]["identities"]) == [
        "+4930555000", "ann.private@example.org", "shared@example.org"]
    assert sorted(i["value"] for i in doc["from"]["identities"]) == ["ann@example.org", "shared@example.org"]
    async with app.db.session() as s:
        call_owner = (await s.execute(select(Call.customer_id).where(Call.call_id == "lp-call"))).scalar_one()
        idents = (await s.execute(select(Identity.customer_id).where(Identity.value == "+4930555000"))).scalars()
        assert list(idents) == [dup.customer_id]
    assert call_owner == dup.customer_id
    inbox = app.app[INBOX]
    assert (await inbox.conversations.get(dup.conversation_id))["customer_id"] == dup.customer_id
    assert (await inbox.conversations.get(keep.conversation_id))["customer_id"] == keep.customer_id
    assert (await inbox.conversations.get(later.conversation_id))["customer_id"] == keep.customer_id  # gained later
    async with await app.login("admin") as admin:
        audit = await (await admin.get("/api/v1/audit", params={"user_id": app.users["supervisor"]})).json()
    by_action = {e["action"]: e for e in audit["entries"]}
    assert by_action["customer_merge"]["detail"]["merged_id"] == dup.customer_id
    assert by_action["customer_merge"]["before"][1]["id"] == dup.customer_id
    assert by_action["customer_unmerge"]["before"] == {"merged_into_id": keep.customer_id}
