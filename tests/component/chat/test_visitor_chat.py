"""Web chat over real websockets: acks, idempotent resends, replay after reconnect, limits, agents."""

from __future__ import annotations

import json

from contact_center.customers.repository import CustomerRepository
from contact_center.events import MessageReceived, ReplyDelivered
from contact_center.inbox import INBOX
from contact_center.store.tables import Message
from tests.component.chat.conftest import ChatAppStarter, recv_type


async def test_message_is_acked_and_stored_once_even_when_resent(chat_app: ChatAppStarter):
    """A resend of the same client id (after a lost ack) is acked as a duplicate, stored once."""
    app = await chat_app()
    visitor, welcome = await app.visitor(topic="billing")
    assert welcome["conversation_id"] is None
    assert welcome["history"] == []
    ack = await visitor.say("c-1", "Hello, is anyone there?")
    assert ack["type"] == "ack"
    assert not ack["duplicate"]
    again = await visitor.say("c-1", "Hello, is anyone there?")
    assert again["duplicate"]
    [event] = await app.wait_for(MessageReceived)
    assert (event.channel, event.sender_id) == ("chat", welcome["visitor_id"])
    assert event.topic == "billing"
    assert event.new_conversation
    messages = await app.running.app[INBOX].conversations.messages(ack["conversation_id"])
    assert [m["body_text"] for m in messages] == ["Hello, is anyone there?"]
    conv = await app.running.app[INBOX].conversations.get(ack["conversation_id"])
    assert conv["department"] == "service"
    assert conv["channel"] == "chat"


async def test_reconnect_replays_what_was_missed_without_repeats(chat_app: ChatAppStarter):
    """Replies written while the visitor was away arrive in the next welcome, notes never do."""
    app = await chat_app()
    visitor, welcome = await app.visitor()
    ack = await visitor.say("c-1", "My parcel is late")
    await visitor.ws.close()
    agent = await app.running.login("agent_service_1")
    async with agent:
        url = f"/api/v1/conversations/{ack['conversation_id']}/messages"
        assert (await agent.post(url, json={"text": "internal: check DHL", "direction": "note"})).status == 201
        reply = (await (await agent.post(url, json={"text": "It ships today."})).json())["message"]
    _, welcome2 = await app.visitor(visitor_id=welcome["visitor_id"], last_seen=0)
    assert welcome2["conversation_id"] == ack["conversation_id"]
    assert [(m["direction"], m["text"]) for m in welcome2["history"]] == [
        ("in", "My parcel is late"), ("out", "It ships today.")]
    [delivered] = await app.wait_for(ReplyDelivered)
    assert delivered.message_id == reply["id"]
    _, welcome3 = await app.visitor(visitor_id=welcome["visitor_id"], last_seen=reply["id"])
    assert welcome3["history"] == []


async def test_agent_and_visitor_talk_in_real_time(chat_app: ChatAppStarter):
    """The assigned agent gets the visitor's messages on /ws/agent and answers with chat.reply."""
    app = await chat_app()
    visitor, _ = await app.visitor(name="Ann")
    ack = await visitor.say("c-1", "Hi")
    conversation_id = ack["conversation_id"]
    agent_ws = await app.agent_socket("agent_service_1")
    client = await app.running.login("agent_service_1")
    async with client:
        resp = await client.patch(f"/api/v1/conversations/{conversation_id}", json={"action": "assign"})
        assert (await resp.json())["conversation"]["status"] == "assigned"
    await visitor.say("c-2", "Are you there?")
    frame = await recv_type(agent_ws, "message")
    assert frame["conversation_id"] == conversation_id
    assert frame["message"]["body_text"] == "Are you there?"
    await agent_ws.send(json.dumps({"type": "chat.reply", "conversation_id": conversation_id, "text": "Yes!",
                                    "client_id": "a-1"}))
    replied = await recv_type(agent_ws, "chat.replied")
    assert replied["client_id"] == "a-1"
    pushed = await visitor.recv("message")
    assert pushed["message"]["text"] == "Yes!"
    assert pushed["message"]["direction"] == "out"
    assert pushed["message"]["id"] == replied["message"]["id"]


async def test_agents_of_other_departments_cannot_reply(chat_app: ChatAppStarter):
    """chat.reply on a conversation of another department answers not_found, and nothing is stored."""
    app = await chat_app()
    visitor, _ = await app.visitor()
    ack = await visitor.say("c-1", "Hi")
    agent_ws = await app.agent_socket("agent_sales_1")
    await agent_ws.send(json.dumps({"type": "chat.reply", "conversation_id": ack["conversation_id"], "text": "x"}))
    error = await recv_type(agent_ws, "error")
    assert error["code"] == "not_found"
    async with app.running.db.session() as s:
        count = len((await s.execute(Message.__table__.select())).all())
    assert count == 1


async def test_oversized_and_too_frequent_messages_get_clear_errors(chat_app: ChatAppStarter):
    """Over max_message_chars: too_large; over the burst: rate_limited with retry_after."""
    app = await chat_app({"max_message_chars": 50, "burst": 2, "rate_per_minute": 6})
    visitor, welcome = await app.visitor()
    big = await visitor.say("c-big", "x" * 51)
    assert big["type"] == "error"
    assert big["code"] == "too_large"
    assert "50" in big["message"]
    assert (await visitor.say("c-1", "one"))["type"] == "ack"
    assert (await visitor.say("c-2", "two"))["type"] == "ack"
    limited = await visitor.say("c-3", "three")
    assert limited["code"] == "rate_limited"
    assert limited["retry_after"] > 0
    second_tab, _ = await app.visitor(visitor_id=welcome["visitor_id"])
    assert (await second_tab.say("c-4", "from another tab"))["code"] == "rate_limited"
    other, _ = await app.visitor()
    assert (await other.say("c-1", "another visitor"))["type"] == "ack"


async def test_a_visitor_typing_a_known_email_is_not_merged_nor_told_who_that_is(chat_app: ChatAppStarter):
    """A visitor giving a known customer's email stays their own (unverified) customer and learns no id."""
    app = await chat_app()
    customers = CustomerRepository(app.running.db, default_region="DE")
    known = await customers.create("Ann Known", identities=[("email", "ann@example.org", None)])
    visitor, welcome = await app.visitor()
    ack = await visitor.say("c-1", "hello")
    await visitor.send({"type": "identify", "name": "Ann", "email": "ANN@example.org"})
    identified = await visitor.recv("identified")
    assert identified == {"type": "identified"}
    conv = await app.running.app[INBOX].conversations.get(ack["conversation_id"])
    assert conv["customer_id"] != known.id
    own = await customers.get(conv["customer_id"])
    assert {(i.kind, i.value) for i in own.identities} == {("chat", welcome["visitor_id"]),
                                                           ("email", "ann@example.org")}
    assert [i.label for i in own.identities if i.kind == "email"] == ["unverified"]
    assert own.display_name == "Ann"
    record = await customers.get(known.id)
    assert {(i.kind, i.value) for i in record.identities} == {("email", "ann@example.org")}  # untouched
    match = await customers.identify("email", "ann@example.org")
    assert match.customer_id is None  # two records share the address: the agent decides
    await visitor.send({"type": "identify", "email": "not-an-address"})
    error = await visitor.recv("error")
    assert error["code"] == "bad_email"


async def test_widget_and_demo_are_served(chat_app: ChatAppStarter):
    """The widget script and the demo page embedding it are public."""
    app = await chat_app()
    async with app.running.session() as client:
        js = await client.get("/chat/widget.js")
        assert js.status == 200
        assert js.content_type == "application/javascript"
        assert "ContactCenterChat" in await js.text()
        page = await (await client.get("/chat/demo?topic=sales")).text()
        assert '<script src="/chat/widget.js" data-topic="sales">' in page
