"""The API channel end to end on SQLite and PostgreSQL: bridges post messages, agents' replies
reach a real webhook receiver signed, retried and logged, and nothing is lost or stored twice."""

from __future__ import annotations

import base64
from collections.abc import Callable
from types import MappingProxyType

import aiohttp
from sqlalchemy import func, select

from contact_center.customers.repository import CustomerRepository
from contact_center.settings import Settings
from contact_center.store.tables import Attachment, Audit, Conversation, Message
from tests.component.routing.conftest import eventually
from tests.conftest import AppStarter, RunningApp, seed_org
from tests.integration.api.conftest import make_bridge, post
from tests.webhook_receiver import WebhookReceiver

TOKEN_T = {"Authorization": "Bearer " + "t" * 32}
WA_MESSAGE = {"message_id": "wamid.1", "sender": {"phone": "+49 151 2345 6789", "name": "Ann Example"},
              "text": "My router blinks red"}


async def _messages(ra: RunningApp, channel: str = "api") -> list[Message]:
    async with ra.db.session() as s:
        return list((await s.execute(select(Message).where(Message.channel == channel).order_by(Message.id)))
                    .scalars())


async def _reply(ra: RunningApp, conversation_id: int, text: str, username: str = "agent_sales_1") -> int:
    agent = await ra.login(username)
    async with agent:
        resp = await agent.post(f"/api/v1/conversations/{conversation_id}/messages", json={"text": text})
        assert resp.status == 201, await resp.text()
        return int((await resp.json())["message"]["id"])


async def _status(ra: RunningApp, message_id: int) -> str | None:
    async with ra.db.session() as s:
        return (await s.get_one(Message, message_id)).delivery_status


async def test_message_in_reply_out_signed_retried_and_logged(api_app: RunningApp, receiver: WebhookReceiver) -> None:
    """A bridge's message opens an API conversation for the known customer; the agent's reply reaches
    the bridge signed, after one refused attempt, and both attempts are in the admin's delivery log."""
    ra = api_app
    customer = await CustomerRepository(ra.db, default_region="DE").create(
        "Ann Example", identities=[("phone", "+4915123456789", "mobile")])
    bridge = await make_bridge(ra, "whatsapp", receiver.url)
    receiver.secret = bridge.secret
    resp = await post(ra, bridge, WA_MESSAGE)
    assert resp.status == 200
    first = await resp.json()
    async with ra.db.session() as s:
        conv = await s.get_one(Conversation, first["conversation_id"])
    assert (conv.channel, conv.customer_id, conv.contact_address) == ("api", customer.id, "+4915123456789")

    reply_id = await _reply(ra, conv.id, "We send a new one today")
    [delivery] = await receiver.wait_accepted()
    assert delivery.signed
    assert delivery.headers["X-CC-Event"] == "message_created"
    assert delivery.body["recipient"] == {"phone": "+4915123456789"}
    assert delivery.body["message"]["text"] == "We send a new one today"
    assert delivery.body["in_reply_to"] == "wamid.1"
    assert [d.status for d in receiver.deliveries] == [503, 200]
    await eventually(lambda: _sent(ra, reply_id))

    admin = await ra.login("admin")
    async with admin:
        log = await (await admin.get(f"/api/v1/admin/api-channels/{bridge.id}/deliveries")).json()
    assert [(d["attempt"], d["outcome"], d["status_code"]) for d in reversed(log["deliveries"])] == [
        (1, "retry", 503), (2, "sent", 200)]


async def _sent(ra: RunningApp, message_id: int) -> bool:
    return await _status(ra, message_id) == "sent"


async def test_a_repeated_message_is_stored_once_and_answered_the_same(api_app: RunningApp) -> None:
    """The bridge resending a message id gets the first answer again; one message is stored."""
    bridge = await make_bridge(api_app, "telegram", None)
    body = {"message_id": "42", "sender": {"user_id": "777", "name": "Bo"}, "text": "hi"}
    answers = [await (await post(api_app, bridge, body)).json() for _ in range(3)]
    assert answers[0] == answers[1] == answers[2]
    assert answers[0]["id"] is not None
    assert [m.external_id for m in await _messages(api_app)] == [f"{bridge.id}:42"]


async def test_senders_are_matched_like_on_any_channel(api_app: RunningApp) -> None:
    """A messenger id names one customer per bridge: two messages join one conversation, the same
    user id on another bridge is someone else, and a phone number finds a customer known by phone."""
    tg = await make_bridge(api_app, "telegram", None)
    viber = await make_bridge(api_app, "viber", None)
    a = await (await post(api_app, tg, {"message_id": "1", "sender": {"user_id": "777"}, "text": "a"})).json()
    b = await (await post(api_app, tg, {"message_id": "2", "sender": {"user_id": "777"}, "text": "b"})).json()
    c = await (await post(api_app, viber, {"message_id": "1", "sender": {"user_id": "777"}, "text": "c"})).json()
    assert a["conversation_id"] == b["conversation_id"] != c["conversation_id"]
    customers = CustomerRepository(api_app.db, default_region="DE")
    assert (await customers.identify("messenger", "telegram:777")).customer_id is not None
    assert (await customers.identify("messenger", "telegram:777")).customer_id != \
        (await customers.identify("messenger", "viber:777")).customer_id
    known = await customers.create("Cleo", identities=[("phone", "+4930123456789", None)])
    d = await (await post(api_app, viber, {"message_id": "2", "sender": {"phone": "030 123456789"},
                                           "text": "it is me"})).json()
    async with api_app.db.session() as s:
        assert (await s.get_one(Conversation, d["conversation_id"])).customer_id == known.id


async def test_attachments_are_kept(api_app: RunningApp) -> None:
    """An attachment travels base64 and is stored with its message."""
    bridge = await make_bridge(api_app, "sms", None)
    data = b"\x89PNG fake image"
    body = {"message_id": "p1", "sender": {"phone": "+4915123456789"},
            "attachments": [{"filename": "photo.png", "content_type": "image/png",
                             "data": base64.b64encode(data).decode()}]}
    assert (await post(api_app, bridge, body)).status == 200
    async with api_app.db.session() as s:
        kept = (await s.execute(select(Attachment))).scalars().all()
    assert [(a.filename, a.content_type, a.data) for a in kept] == [("photo.png", "image/png", data)]


async def test_bad_input_gets_4xx_naming_the_field(api_app: RunningApp) -> None:
    """Missing or wrong tokens are 401, bad bodies 400/422 naming the field, a big body 413; nothing is stored."""
    bridge = await make_bridge(api_app, "whatsapp", None)
    cases = [
        ({"message_id": "", "sender": {"phone": "+4915123456789"}, "text": "x"}, 422, "message_id"),
        ({"sender": {"phone": "+4915123456789"}, "text": "x"}, 422, "message_id"),
        ({"message_id": "1", "text": "x"}, 422, "sender"),
        ({"message_id": "1", "sender": {"name": "n"}, "text": "x"}, 422, "sender"),
        ({"message_id": "1", "sender": {"phone": "call me"}, "text": "x"}, 422, "sender.phone"),
        ({"message_id": "1", "sender": {"user_id": 7}, "text": "x"}, 422, "sender.user_id"),
        ({"message_id": "1", "sender": {"user_id": "7"}}, 422, "text"),
        ({"message_id": "1", "sender": {"user_id": "7"}, "text": "x" * 20_001}, 422, "text"),
        ({"message_id": "1", "sender": {"user_id": "7"}, "attachments": [{"filename": "a", "data": "%%%"}]},
         422, "attachments[0].data"),
        ({"message_id": "1", "sender": {"user_id": "7"},
          "attachments": [{"filename": "a", "data": base64.b64encode(b"x" * 2000).decode()}]},
         422, "attachments[0].data"),
    ]
    for body, status, field in cases:
        resp = await post(api_app, bridge, body)
        assert (resp.status, (await resp.json()).get("field")) == (status, field), body
    async with api_app.session() as client:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {bridge.token}"}):
            resp = await client.post(bridge.path, json=WA_MESSAGE, headers=headers)
            assert resp.status == 401
        resp = await client.post("/api/v1/channels/999/messages", json=WA_MESSAGE, headers=bridge.auth())
        assert resp.status == 401  # an unknown bridge looks like a wrong token
        resp = await client.post(bridge.path, data=b"{not json", headers={**bridge.auth(),
                                                                         "Content-Type": "application/json"})
        assert resp.status == 400
        big = {**WA_MESSAGE, "text": "x" * (70 * 1024)}
        resp = await client.post(bridge.path, json=big, headers=bridge.auth())
        assert resp.status == 413
    assert await _messages(api_app) == []


async def test_pending_replies_are_delivered_after_a_restart(
    start_app: AppStarter, api_settings: Callable[..., Settings],
) -> None:
    """A reply queued while the bridge was down is delivered by the next run of the app."""
    receiver = await WebhookReceiver(fail_first=10_000).start()  # the bridge refuses everything for now
    try:
        ra = await start_app(api_settings())
        ra.users.update(await seed_org(ra.db))
        bridge = await make_bridge(ra, "whatsapp", receiver.url)
        receiver.secret = bridge.secret
        conv = (await (await post(ra, bridge, WA_MESSAGE)).json())["conversation_id"]
        reply_id = await _reply(ra, conv, "still there?")
        await eventually(lambda: len(receiver.deliveries) >= 2)
        await ra.server.close()
        assert await _status(ra, reply_id) in ("queued", "sending")

        receiver.fail_first = 0  # the bridge is back; so is the app, on the same store
        again = await start_app(api_settings())
        [delivery] = await receiver.wait_accepted()
        assert delivery.body["message"]["id"] == reply_id
        await eventually(lambda: _sent(again, reply_id))
    finally:
        await receiver.stop()


async def test_a_bridge_refusing_the_message_fails_it_for_good(api_app: RunningApp) -> None:
    """A 4xx other than 408/425/429 is final: the reply is marked failed after one attempt."""
    receiver = await WebhookReceiver().start()  # no secret set: every signature is wrong -> 401
    try:
        bridge = await make_bridge(api_app, "whatsapp", receiver.url)
        conv = (await (await post(api_app, bridge, WA_MESSAGE)).json())["conversation_id"]
        reply_id = await _reply(api_app, conv, "hello")
        await eventually(lambda: _failed(api_app, reply_id))
        assert [d.status for d in receiver.deliveries] == [401]
    finally:
        await receiver.stop()


async def _failed(ra: RunningApp, message_id: int) -> bool:
    return await _status(ra, message_id) == "failed"


async def test_admins_manage_bridges_and_nobody_else(api_app: RunningApp, receiver: WebhookReceiver) -> None:
    """Admins list, change and rotate bridges (audited, secrets never listed); agents get 403;
    a rotated token replaces the old one at once."""
    bridge = await make_bridge(api_app, "whatsapp", receiver.url)
    agent = await api_app.login("agent_sales_1")
    async with agent:
        assert (await agent.get("/api/v1/admin/api-channels")).status == 403
        assert (await agent.post("/api/v1/admin/api-channels", json={"name": "x"})).status == 403
    admin = await api_app.login("admin")
    async with admin:
        listed = await (await admin.get("/api/v1/admin/api-channels")).json()
        assert [c["name"] for c in listed["channels"]] == ["whatsapp"]
        assert bridge.token not in str(listed)
        assert bridge.secret not in str(listed)
        resp = await admin.post("/api/v1/admin/api-channels", json={"name": "whatsapp"})
        assert resp.status == 409
        resp = await admin.post("/api/v1/admin/api-channels", json={"name": "Bad Name"})
        assert (resp.status, (await resp.json())["field"]) == (422, "name")
        resp = await admin.patch(f"/api/v1/admin/api-channels/{bridge.id}", json={"webhook_url": "ftp://x"})
        assert (resp.status, (await resp.json())["field"]) == (422, "webhook_url")
        resp = await admin.patch(f"/api/v1/admin/api-channels/{bridge.id}", json={"department": "service"})
        assert (await resp.json())["channel"]["department"] == "service"
        rotated = await (await admin.post(f"/api/v1/admin/api-channels/{bridge.id}/token")).json()
        secret = await (await admin.post(f"/api/v1/admin/api-channels/{bridge.id}/secret")).json()
    assert rotated["token"] != bridge.token
    assert secret["secret"] != bridge.secret
    assert (await post(api_app, bridge, WA_MESSAGE)).status == 401
    bridge.token = rotated["token"]
    assert (await post(api_app, bridge, WA_MESSAGE)).status == 200
    async with api_app.db.session() as s:
        actions = (await s.execute(select(Audit.action, Audit.after).where(Audit.object_type == "api_channel")
                                   .order_by(Audit.id))).all()
    assert [a for a, _ in actions] == ["api_channel_create", "api_channel_update", "api_channel_rotate_token",
                                       "api_channel_rotate_secret"]
    assert all(rotated["token"] not in str(after) and secret["secret"] not in str(after) for _, after in actions)


async def test_bridges_declared_in_the_configuration_are_made_once(
    start_app: AppStarter, api_settings: Callable[..., Settings],
) -> None:
    """``[[api_channels]]`` makes a missing bridge with its token; a restart keeps what admins changed."""
    declared = MappingProxyType({"api_channels": (MappingProxyType({
        "name": "sms", "department": None, "webhook_url": "https://sms.example.com/hook",
        "token": "t" * 32, "secret": "s" * 32}),)})
    ra = await start_app(api_settings(arrays=declared))
    await seed_org(ra.db)
    body = {"message_id": "1", "sender": {"phone": "+4915123456789"}, "text": "hi"}
    async with ra.session() as client:
        resp = await client.post("/api/v1/channels/1/messages", json=body, headers=TOKEN_T)
        assert resp.status == 200
    admin = await ra.login("admin")
    async with admin:
        await admin.post("/api/v1/admin/api-channels/1/token")
    await ra.server.close()
    again = await start_app(api_settings(arrays=declared))
    async with again.session() as client:
        resp = await client.post("/api/v1/channels/1/messages", json=body, headers=TOKEN_T)
        assert resp.status == 401  # the rotated token stays; the configuration only makes what is missing
    async with again.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(Message)) == 1


async def test_bridges_post_without_a_browser_origin(api_app: RunningApp) -> None:
    """The inbound endpoint is for machines: no Origin header is needed (the token authenticates),
    and a non-JSON content type is refused with 415."""
    bridge = await make_bridge(api_app, "whatsapp", None)
    async with aiohttp.ClientSession() as bare:  # no Origin, no cookies: a bridge's own HTTP client
        resp = await bare.post(api_app.url + bridge.path, json=WA_MESSAGE, headers=bridge.auth())
        assert resp.status == 200
        resp = await bare.post(api_app.url + bridge.path, data="text=hi", headers={
            **bridge.auth(), "Content-Type": "application/x-www-form-urlencoded"})
        assert resp.status == 415
