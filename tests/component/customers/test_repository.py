"""CustomerRepository against a real SQLite store: identify, create, link, merge, timeline."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable

import pytest

from contact_center.customers.repository import CustomerRepository
from contact_center.customers.timeline import recent_conversations
from contact_center.errors import Conflict, NotFound, ValidationError
from contact_center.settings import Settings
from contact_center.store.migrate import upgrade
from contact_center.store.session import Database
from contact_center.store.tables import Call, Conversation, Customer


@pytest.fixture
async def repo(settings_factory: Callable[..., Settings]) -> AsyncIterator[CustomerRepository]:
    db = Database(settings_factory().database_url)
    await upgrade(db)
    yield CustomerRepository(db, default_region="DE")
    await db.close()


async def test_identify_unknown_known_and_ambiguous(repo: CustomerRepository) -> None:
    """A number nobody has is unknown; one owner matches; a shared line gives ranked candidates."""
    assert (await repo.identify("phone", "030 1234567")).unknown
    ann = await repo.create("Ann", identities=[("phone", "+49 30 1234567", "office")])
    found = await repo.identify("phone", "0049301234567")
    assert found.customer_id == ann.id
    assert found.value == "+49301234567"
    bob = await repo.create("Bob", identities=[("phone", "030/1234567", "home")])
    async with repo._db.session() as s:
        s.add(Conversation(channel="email", customer_id=bob.id, status="closed"))
    both = await repo.identify("phone", "+49301234567")
    assert both.ambiguous
    assert [c.customer_id for c in both.candidates] == [bob.id, ann.id]


async def test_identify_withheld_number(repo: CustomerRepository) -> None:
    """An anonymous caller is unknown without a store lookup value."""
    found = await repo.identify("phone", "anonymous")
    assert found.unknown
    assert found.value is None


async def test_create_validates_and_rejects_taken_external_key(repo: CustomerRepository) -> None:
    """Bad identities name the field; an external key belongs to one customer only."""
    with pytest.raises(ValidationError) as bad:
        await repo.create("Ann", identities=[("phone", "anonymous", None)])
    assert bad.value.field == "value"
    with pytest.raises(ValidationError):
        await repo.create("  ")
    await repo.create("Ann", external_key="C-1")
    with pytest.raises(Conflict):
        await repo.create("Bob", external_key="C-1")


async def test_link_identity_is_idempotent(repo: CustomerRepository) -> None:
    """Linking the same email twice keeps one identity; unknown customers are NotFound."""
    ann = await repo.create("Ann")
    await repo.link_identity(ann.id, "email", "Ann <ANN@example.org>", label="work")
    await repo.link_identity(ann.id, "email", "ann@example.org")
    record = await repo.get(ann.id)
    assert record is not None
    assert [i.to_dict() for i in record.identities] == [{"kind": "email", "value": "ann@example.org", "label": "work"}]
    with pytest.raises(NotFound):
        await repo.link_identity(99999, "email", "x@example.org")


async def test_find_or_create(repo: CustomerRepository) -> None:
    """An unknown email creates a customer once; the second call finds it."""
    first = await repo.find_or_create("email", "New@Example.org", display_name="New Person")
    second = await repo.find_or_create("email", "new@example.org")
    assert first[1] is True
    assert second == (first[0], False)


async def test_merge_moves_identities_conversations_and_calls(repo: CustomerRepository) -> None:
    """After a merge the survivor owns everything and the old id resolves to it."""
    ann = await repo.create("Ann", identities=[("phone", "+49301234567", None), ("email", "a@example.org", None)])
    dup = await repo.create("Ann S.", external_key="K-9",
                            identities=[("email", "a@example.org", None), ("email", "ann@example.org", None)])
    async with repo._db.session() as s:
        conv = Conversation(channel="call", customer_id=dup.id, external_ref="c-1")
        s.add(conv)
        await s.flush()
        s.add(Call(call_id="c-1", pbx="p", customer_id=dup.id, conversation_id=conv.id))
    await repo.merge(dup.id, ann.id)
    survivor = await repo.get(dup.id)
    assert survivor is not None
    assert survivor.id == ann.id
    assert survivor.external_key == "K-9"
    assert sorted(i.value for i in survivor.identities) == ["+49301234567", "a@example.org", "ann@example.org"]
    assert (await repo.identify("email", "ann@example.org")).customer_id == ann.id
    async with repo._db.session() as s:
        assert (await s.get(Customer, dup.id)).merged_into_id == ann.id  # type: ignore[union-attr]
        assert len(await recent_conversations(s, ann.id)) == 1
    with pytest.raises(ValidationError):
        await repo.merge(ann.id, ann.id)


async def test_timeline_newest_first_across_channels(repo: CustomerRepository) -> None:
    """The timeline lists every channel newest first and can leave out the current contact."""
    ann = await repo.create("Ann")
    t0 = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
    async with repo._db.session() as s:
        rows = [Conversation(channel=ch, customer_id=ann.id, created_at=t0 + dt.timedelta(hours=i), subject=ch)
                for i, ch in enumerate(("email", "chat", "call"))]
        s.add_all(rows)
        await s.flush()
        current = rows[-1].id
    async with repo._db.session() as s:
        items = await recent_conversations(s, ann.id, exclude=current)
    assert [i["channel"] for i in items] == ["chat", "email"]
    assert items[0]["created_at"] == (t0 + dt.timedelta(hours=1)).isoformat()
