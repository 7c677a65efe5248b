"""Issue 18 item 8: an agent links an unknown contact to an existing customer by what they see: the
customer number the pop shows ("C00001472"), a phone number in any format, an email address or a name
typed without accents; the link adds the contact's address to the customer and the pop follows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from contact_center import keys
from contact_center.inbox import INBOX
from contact_center.inbox.records import InboundMessage
from contact_center.settings import Settings
from tests.conftest import AppStarter, RunningApp, seed_org

ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=ENGINES)
async def linking_app(request: pytest.FixtureRequest, start_app: AppStarter,
                      settings_factory: Callable[..., Settings]) -> RunningApp:
    """The core app with Anna Zielińska (C00001472), who has never written from her new address."""
    overrides: dict[str, Any] = {"default_region": "PL"}
    if request.param == "postgresql":
        overrides["database_url"] = request.getfixturevalue("postgres_migrated_url")
    running = await start_app(settings_factory(**overrides), plugins=[])
    running.users.update(await seed_org(running.db))
    await running.app[keys.CUSTOMERS].create(
        "Anna Zielińska", company="Młyn Sp. z o.o.", external_key="C00001472",
        identities=[("phone", "+48 601 234 567", "mobile"), ("email", "anna.z@mlyn.example", None)])
    return running


@pytest.mark.parametrize("typed", ["C00001472", "601-234-567", "anna.z@mlyn.example", "Zielinska"])
async def test_an_unknown_sender_is_linked_by_number_phone_email_or_name(linking_app: RunningApp, typed: str) -> None:
    """Each way of finding Anna finds exactly her; linking makes the new address hers and the mail's."""
    [stored] = await linking_app.app[INBOX].receive([InboundMessage(
        channel="email", external_id=f"<link-{typed}@x>", identity=("email", "anna@home.example"),
        sender="anna@home.example", department="sales", subject="Order", body_text="From my home address")])
    async with await linking_app.login("agent_sales_1") as agent:
        found = await (await agent.get("/api/v1/search", params={"q": typed, "kind": "customers"})).json()
        assert [(c["display_name"], c["external_key"]) for c in found["customers"]] == [("Anna Zielińska", "C00001472")]
        resp = await agent.post(f"/api/v1/customers/{found['customers'][0]['id']}/identities", json={
            "kind": "email", "value": "anna@home.example", "conversation_id": stored.conversation_id})
        assert resp.status == 200, await resp.text()
        linked = await (await agent.get(f"/api/v1/conversations/{stored.conversation_id}")).json()
    assert linked["conversation"]["customer_name"] == "Anna Zielińska"
    assert "anna@home.example" in [i["value"] for i in (await resp.json())["customer"]["identities"]]
