"""GET /api/v1/search on the real app, on SQLite and PostgreSQL: the same answers on both."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from contact_center import keys
from contact_center.inbox import INBOX
from contact_center.inbox.records import InboundMessage
from contact_center.settings import Settings
from contact_center.store.tables import Audit
from tests.conftest import AppStarter, RunningApp, seed_org

ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=ENGINES)
async def search_app(
    request: pytest.FixtureRequest, start_app: AppStarter, settings_factory: Callable[..., Settings],
) -> RunningApp:
    """The core app (no routing) on each store, with the organisation and a few known customers."""
    overrides: dict[str, Any] = {"default_region": "PL"}
    if request.param == "postgresql":
        overrides["database_url"] = request.getfixturevalue("postgres_migrated_url")
    running = await start_app(settings_factory(**overrides), plugins=[])
    running.users.update(await seed_org(running.db))
    customers = running.app[keys.CUSTOMERS]
    await customers.create("Anna Zielińska", company="Młyn Sp. z o.o.", external_key="C00001472",
                           identities=[("phone", "+48 601 234 567", "mobile"), ("email", "Anna.Z@Mlyn.example", None)])
    await customers.create("Γιώργος Παπαδόπουλος", external_key="C00000007",
                           identities=[("phone", "+30 210 123 4567", None)])
    await customers.create("Zoe Ziel", external_key="C00000300")
    inbox = running.app[INBOX]
    await inbox.receive([
        InboundMessage(channel="email", external_id="<s1@x>", identity=("email", "anna.z@mlyn.example"),
                       sender="anna.z@mlyn.example", department="sales", subject="Faktura za młynek",
                       body_text="The invoice for the grinder is overdue, please check."),
        InboundMessage(channel="email", external_id="<s2@x>", identity=("email", "stranger@example.org"),
                       sender="stranger@example.org", department="complaints", subject="Broken kettle",
                       body_text="My kettle arrived cracked."),
    ])
    return running


async def _search(client: Any, q: str, **params: Any) -> dict[str, Any]:
    resp = await client.get("/api/v1/search", params={"q": q, **params})
    assert resp.status == 200, await resp.text()
    return await resp.json()


FINDS = [
    ("Zielinska", ["Anna Zielińska"]),
    ("ZIELIŃSKA", ["Anna Zielińska"]),
    ("zieli", ["Anna Zielińska"]),
    ("ziel", ["Anna Zielińska", "Zoe Ziel"]),
    ("anna ziel", ["Anna Zielińska"]),
    ("C00001472", ["Anna Zielińska"]),
    ("c0000147", ["Anna Zielińska"]),
    ("mlyn", ["Anna Zielińska"]),
    ("+48 601-234-567", ["Anna Zielińska"]),
    ("0048601234567", ["Anna Zielińska"]),
    ("601 234 567", ["Anna Zielińska"]),
    ("anna.z@mlyn.example", ["Anna Zielińska"]),
    ("Papadopoulos", ["Γιώργος Παπαδόπουλος"]),
    ("παπαδοπουλος", ["Γιώργος Παπαδόπουλος"]),
    ("giorgos", ["Γιώργος Παπαδόπουλος"]),
    ("nobody-like-this", []),
]


async def test_customers_are_found_by_name_number_company_phone_and_email(search_app: RunningApp) -> None:
    """A customer is found by name (any accents or case, Greek or Latin), customer number, company,
    phone in any format or email, on either store (one app for the whole table)."""
    answers = {}
    async with await search_app.login("agent_sales_1") as agent:
        for query, _ in FINDS:
            found = await _search(agent, query, kind="customers")
            assert found["customers_total"] == len(found["customers"])
            answers[query] = [c["display_name"] for c in found["customers"]]
    assert answers == dict(FINDS)


async def test_agents_get_only_name_and_number_of_customers_they_may_not_read(search_app: RunningApp) -> None:
    """An agent sees full hits for customers with a conversation they may see, name and number only
    for the others (enough to link a caller); a supervisor sees every hit in full."""
    async with await search_app.login("agent_sales_1") as agent:
        [anna] = (await _search(agent, "zielinska", kind="customers"))["customers"]
        [giorgos] = (await _search(agent, "papadopoulos", kind="customers"))["customers"]
    assert anna["restricted"] is False
    assert anna["company"] == "Młyn Sp. z o.o."
    assert [i["value"] for i in anna["identities"]] == ["+48601234567", "anna.z@mlyn.example"]
    assert giorgos == {"id": giorgos["id"], "display_name": "Γιώργος Παπαδόπουλος", "external_key": "C00000007",
                       "restricted": True}
    async with await search_app.login("supervisor") as boss:
        [full] = (await _search(boss, "papadopoulos", kind="customers"))["customers"]
    assert full["restricted"] is False
    assert [i["value"] for i in full["identities"]] == ["+302101234567"]


async def test_message_text_and_subject_find_conversations_within_the_departments_the_user_sees(
    search_app: RunningApp,
) -> None:
    """Message text and subjects find conversations; an agent never sees another department's."""
    async with await search_app.login("agent_sales_1") as agent:
        grinder = await _search(agent, "grinder overdue")
        kettle = await _search(agent, "kettle")
        by_customer = await _search(agent, "Zielinska", kind="conversations")
    assert [c["subject"] for c in grinder["conversations"]] == ["Faktura za młynek"]
    assert grinder["conversations"][0]["customer_name"] == "Anna Zielińska"
    assert kettle["conversations"] == []
    assert kettle["conversations_total"] == 0
    assert [c["subject"] for c in by_customer["conversations"]] == ["Faktura za młynek"]
    async with await search_app.login("agent_sales_1") as agent:
        assert (await _search(agent, "grinder", channel="chat"))["conversations"] == []
        assert len((await _search(agent, "grinder", channel="email", status="open"))["conversations"]) == 1
        assert (await _search(agent, "grinder", status="closed"))["conversations"] == []
    async with await search_app.login("supervisor") as boss:
        assert [c["subject"] for c in (await _search(boss, "KETTLE"))["conversations"]] == ["Broken kettle"]


async def test_a_note_is_found_and_new_rows_are_found_at_once(search_app: RunningApp) -> None:
    """An agent's note is searchable as soon as it is written, and so is a customer created just now."""
    async with await search_app.login("supervisor") as boss:
        conv = (await _search(boss, "grinder"))["conversations"][0]
        resp = await boss.post(f"/api/v1/conversations/{conv['id']}/messages",
                               json={"text": "Customer promised to pay on Friday", "direction": "note"})
        assert resp.status == 201
        await search_app.app[keys.CUSTOMERS].create("Łukasz Wróbel", identities=[("phone", "0221234567", None)])
        assert [c["id"] for c in (await _search(boss, "friday"))["conversations"]] == [conv["id"]]
        assert [c["display_name"] for c in (await _search(boss, "lukasz wrob"))["customers"]] == ["Łukasz Wróbel"]


async def test_results_are_paged(search_app: RunningApp) -> None:
    """offset and limit page through the results; the totals say how many there are."""
    customers = search_app.app[keys.CUSTOMERS]
    for n in range(7):
        await customers.create(f"Pager Person {n}")
    async with await search_app.login("agent_sales_1") as agent:
        first = await _search(agent, "pager", kind="customers", limit=3)
        rest = await _search(agent, "pager", kind="customers", limit=5, offset=3)
    assert first["customers_total"] == rest["customers_total"] == 7
    names = [c["display_name"] for c in first["customers"] + rest["customers"]]
    assert names == [f"Pager Person {n}" for n in range(7)]


BAD = [
    ({"q": ""}, "q"), ({"q": "a"}, "q"), ({"q": "x" * 201}, "q"), ({"q": "anna", "kind": "orders"}, "kind"),
    ({"q": "anna", "limit": "0"}, "limit"), ({"q": "anna", "offset": "-1"}, "offset"),
    ({"q": "anna", "channel": "fax"}, "channel"), ({"q": "anna", "status": "sleeping"}, "status"),
]


async def test_bad_queries_answer_422_naming_the_field(search_app: RunningApp) -> None:
    """A query too short or too long, or a bad kind, page, channel or status, is a 422 naming the field."""
    answers = []
    async with await search_app.login("agent_sales_1") as agent:
        for params, _ in BAD:
            resp = await agent.get("/api/v1/search", params=params)
            answers.append((resp.status, (await resp.json())["field"]))
    assert answers == [(422, field) for _, field in BAD]


async def test_search_needs_a_login_and_is_audited(search_app: RunningApp) -> None:
    """Anonymous searches are refused; a search that shows customers leaves an audit entry."""
    async with search_app.session() as anonymous:
        assert (await anonymous.get("/api/v1/search", params={"q": "anna"})).status == 401
    async with await search_app.login("agent_sales_1") as agent:
        found = await _search(agent, "zielinska", kind="customers")
    async with search_app.db.session() as s:
        entries = (await s.execute(select(Audit).where(Audit.action == "customer_search"))).scalars().all()
    assert [(e.user_id, e.detail["customers"]) for e in entries] == [
        (search_app.users["agent_sales_1"], [found["customers"][0]["id"]])]
