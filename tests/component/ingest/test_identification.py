"""Calls, mail, chat and messaging-bridge messages identify their senders by one rule, on SQLite and
PostgreSQL: the call batch and the inbox batch ask the same loader and the same decision
(:func:`contact_center.customers.identity.who`), and differ only where the channel registry says."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, select

from connectors.telephony.parse import digest, parse_cti
from contact_center.customers.repository import CustomerRepository, identify_sync, owners_sync
from contact_center.inbox.ingest import InboundWriter
from contact_center.inbox.records import InboundMessage, StoredMessage
from contact_center.ingest.call_batch import Outcome, Post, apply_batch
from contact_center.ingest.call_io import CoreIO
from contact_center.store.migrate import upgrade
from contact_center.store.session import Database
from contact_center.store.tables import Conversation

SHARED = "+4930333333"  # Ann's and Bob's (Bob called lately)
ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=ENGINES)
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated, empty store of each kind."""
    if request.param == "postgresql":
        database = Database(request.getfixturevalue("postgres_migrated_url"))
    else:
        database = Database(f"sqlite+aiosqlite:///{tmp_path / 'store.db'}")
        await upgrade(database)
    yield database
    await database.close()


async def _seed(db: Database) -> dict[str, int]:
    """Ann and Bob share a number (Bob has a recent conversation); Cy has an address on record that a
    chat visitor, Vi, typed too (Vi chatted lately)."""
    customers = CustomerRepository(db, default_region="DE")
    ann = await customers.create("Ann", identities=[("phone", SHARED, None), ("phone", "+4930111111", None)])
    bob = await customers.create("Bob", identities=[("phone", SHARED, None), ("email", "bob@example.org", None)])
    cy = await customers.create("Cy", identities=[("email", "cy@example.org", None)])
    vi = await customers.create("Vi", identities=[("chat", "visitor-1", "unverified"),
                                                  ("email", "cy@example.org", "unverified")])
    writer = InboundWriter(db)
    await writer.store([
        InboundMessage(channel="email", external_id="<old@bob>", identity=("email", "bob@example.org")),
        InboundMessage(channel="chat", external_id="vi-1", identity=("chat", "visitor-1"), conversation_ref="c-vi"),
    ])
    return {"ann": ann.id, "bob": bob.id, "cy": cy.id, "vi": vi.id}


def _call(call_id: str, number: str) -> Post:
    event = parse_cti({"event": "newCall", "callId": call_id, "from": number, "to": "+4940222", "direction": "in"})
    return Post(pbx="main", event=event, digest=digest("main", event), reply={}, from_number=number,
                to_number="+4940222")


async def _calls(db: Database, posts: list[Post]) -> list[Outcome]:
    def run(conn: Connection) -> list[Outcome]:
        return apply_batch(CoreIO(conn, owners=owners_sync, identify=identify_sync), posts)

    async with db.engine.begin() as conn:
        return await conn.run_sync(run)


async def _customer(db: Database, stored: StoredMessage) -> Any:
    async with db.session() as s:
        return (await s.execute(select(Conversation.customer_id).where(
            Conversation.id == stored.conversation_id))).scalar_one()


async def test_one_rule_for_calls_and_messages(db: Database) -> None:
    """A shared number: the call names nobody and offers Bob (recent) before Ann, a bridge message from it
    goes to Bob; a known number names its owner on both; an unknown number leaves the call unknown but
    makes a customer for the message; an address a visitor only typed never draws the owner's mail."""
    ids = await _seed(db)
    writer = InboundWriter(db)
    [shared] = await _calls(db, [_call("c1", SHARED)])
    [api_shared] = await writer.store([
        InboundMessage(channel="api", external_id="m1", identity=("phone", SHARED), conversation_ref="b1")])
    assert (shared.customer_id, shared.candidate_ids) == (None, (ids["bob"], ids["ann"]))
    assert api_shared.customer_id == shared.candidate_ids[0]

    known, unknown = await _calls(db, [_call("c2", "+4930111111"), _call("c3", "+4930999999")])
    assert (known.customer_id, known.candidate_ids) == (ids["ann"], (ids["ann"],))
    assert (unknown.customer_id, unknown.candidate_ids) == (None, ())
    api_known, api_unknown, mail = await writer.store([
        InboundMessage(channel="api", external_id="m2", identity=("phone", "+4930111111"), conversation_ref="b2"),
        InboundMessage(channel="api", external_id="m3", identity=("phone", "+4930999999"), conversation_ref="b3",
                       sender_name="New Caller"),
        InboundMessage(channel="email", external_id="<new@cy>", identity=("email", "cy@example.org")),
    ])
    assert api_known.customer_id == ids["ann"]
    assert api_unknown.customer_id not in (None, *ids.values())
    assert mail.customer_id == ids["cy"]
    assert [await _customer(db, m) for m in (api_shared, mail)] == [ids["bob"], ids["cy"]]
