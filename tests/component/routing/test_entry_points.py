"""Real entry points into routing: a chat visitor on /chat/ws, customer data from sources, a restart."""

from __future__ import annotations

import json
import sqlite3

import websockets

from contact_center.events import ContactRouted
from contact_center.settings import SourceSettings
from contact_center.store.tables import Customer
from tests.component.routing.conftest import (
    add_conversation,
    agent_socket,
    conversation_row,
    eventually,
    recorder,
    routing_settings,
    send_email,
)
from tests.conftest import seed_org


async def test_chat_visitor_on_the_widget_socket_is_routed_by_topic_and_offered(start_routed):
    """A visitor says hello with topic 'billing' and writes: the chat reaches account_changes and its agent."""
    ra = await start_routed()
    async with agent_socket(ra, "agent_account_changes_2") as agent:
        await agent.next("presence", presence="available")
        async with websockets.connect(ra.ws_url + "/chat/ws") as visitor:
            await visitor.send(json.dumps({"type": "hello", "visitor_id": None, "last_seen": 0, "topic": "billing"}))
            welcome = json.loads(await visitor.recv())
            assert welcome["type"] == "welcome"
            await visitor.send(json.dumps({"type": "message", "client_id": "c-1", "text": "Hello, a question"}))
            offer = await agent.next("offer", channel="chat")
            assert offer["department"] == "account_changes"
            assert "chat topic billing" in offer["reason"]


def _accounting(path) -> SourceSettings:
    with sqlite3.connect(path) as conn:
        conn.executescript("""
            CREATE TABLE balances (customer_key TEXT PRIMARY KEY, overdue_amount REAL);
            INSERT INTO balances VALUES ('C-1', 99.5), ('C-2', 0);
        """)
    conn.close()
    return SourceSettings(name="accounting", title="Balance", url=f"sqlite+aiosqlite:///{path}", kind="row",
                          query="SELECT overdue_amount FROM balances WHERE customer_key = :customer_key",
                          timeout_ms=1000)


async def test_overdue_balance_and_open_complaint_from_customer_data(start_routed, tmp_path):
    """A plain 'hello' from a customer with an overdue balance goes to account_changes; one with an open
    complaint goes to complaints; an unknown sender goes to the default department."""
    ra = await start_routed(settings={"sources": (_accounting(tmp_path / "accounting.db"),)},
                            customer_data_timeout_ms=2000)
    async with ra.db.session() as s:
        overdue, clean = Customer(display_name="Olga", external_key="C-1"), Customer(display_name="Cem",
                                                                                     external_key="C-2")
        s.add_all([overdue, clean])
        await s.flush()
        ids = overdue.id, clean.id
    rec = recorder(ra)
    await add_conversation(ra.db, subject="Complaint", customer_id=ids[1], department="complaints")
    first = await send_email(ra, "Hello", "Just a question", customer_id=ids[0])
    second = await send_email(ra, "Hello", "Just a question", customer_id=ids[1])
    third = await send_email(ra, "Hello", "Just a question")
    routed = {e.conversation_id: e for e in await rec.wait(ContactRouted, count=3)}
    assert routed[first].department == "account_changes"
    assert "customer.overdue 99.5 gt 0" in routed[first].reason
    assert routed[second].department == "complaints"
    assert "customer.open_complaint" in routed[second].reason
    assert routed[third].department == "service"


async def test_waiting_contacts_are_rebuilt_from_the_store_after_a_restart(start_app, settings_factory):
    """Stop the only instance with a contact waiting; the next start offers it to the agent who comes online."""
    settings = routing_settings(settings_factory)
    first = await start_app(settings)
    await seed_org(first.db)
    cid = await send_email(first, "Router defekt", "kaputt")
    await eventually(lambda: _department_set(first, cid))
    await first.server.close()
    again = await start_app(settings)
    async with agent_socket(again, "agent_technical_support_1") as agent:
        await agent.next("presence", presence="available")
        offer = await agent.next("offer", conversation_id=cid)
        assert offer["department"] == "technical_support"
        assert "'technical words': text contains 'kaputt'" in offer["reason"]  # the stored reason


async def _department_set(ra, cid):
    row = await conversation_row(ra.db, cid)
    return row.department_id is not None and row.route_reason
