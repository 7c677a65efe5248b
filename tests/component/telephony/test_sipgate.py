"""sipgate.io against the real endpoint: form bodies in, XML out, and the follow-up URLs it asks for.

sipgate.io only reports a call's answer and hangup to the URLs the ``newCall`` reply names in
``onAnswer``/``onHangup``; each test follows those URLs exactly as sipgate does (same path,
token or basic-auth credentials) on the running app. Bodies are the README's own curl samples
(sipgate/sipgate.io README.md, "The POST request"), posted url-encoded as sipgate does.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree import ElementTree

import aiohttp
import pytest
from sqlalchemy import select

from contact_center.settings import Settings
from contact_center.store.tables import Call
from tests.component.telephony.env import TOKEN, AgentSocket, start_world, world_settings
from tests.conftest import RunningApp

PUBLIC = "https://cc.example.test"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
async def app(start_app: Callable, settings_factory: Callable[..., Settings], tmp_path: Path) -> RunningApp:
    """The app behind the public URL sipgate is told, with a blocked number and a default outbound caller id."""
    settings = world_settings(settings_factory, tmp_path, public_url=PUBLIC, main={"default_caller_id": "492111234567"},
                              sections={"telephony": {"blocked_numbers": ["+49 171 6666666"]}})
    running, _ = await start_world(start_app, settings)
    return running


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def _post(http: aiohttp.ClientSession, app: RunningApp, url: str, data: str) -> tuple[int, ElementTree.Element]:
    """POST *data* url-encoded to *url* (a public URL sipgate would call, served here by *app*)."""
    parts = urlsplit(url)
    headers = {**FORM, **_basic(parts.username, parts.password or "")} if parts.username else FORM
    async with http.post(app.url + parts.path, data=data, headers=headers) as resp:
        assert resp.content_type == "application/xml"
        return resp.status, ElementTree.fromstring(await resp.read())


def _basic(user: str, password: str) -> dict[str, str]:
    """The Authorization header sipgate.io sends for credentials written into the URL."""
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


async def _call(app: RunningApp, call_id: str) -> Call:
    async with app.db.session() as s:
        return (await s.execute(select(Call).where(Call.call_id == call_id))).scalar_one()


async def test_new_call_answer_hangup_with_the_pop_on_the_desk(app: RunningApp, http: aiohttp.ClientSession) -> None:
    """A sipgate account pointed at the endpoint delivers newCall, then answer and hangup at the URLs the reply names;
    the agent's desk rings, gets the screen pop at the answer and sees the call end.

    sipgate.io README, New call:
        curl -X POST --data "event=newCall&from=492111234567&to=4915791234567&direction=in&callId=123456
        &user[]=Alice&user[]=Bob&userId[]=w0&userId[]=w1&fullUserId[]=1234567w0&fullUserId[]=1234567w1"
    Answer:  curl -X POST --data "event=answer&callId=123456&user=John+Doe&userId=w0&fullUserId=1234567w0
        &from=492111234567&to=4915791234567&direction=in&answeringNumber=21199999999"
    Call hangup: curl -X POST --data "event=hangup&cause=normalClearing&callId=123456&from=492111234567
        &to=4915791234567&direction=in&answeringNumber=4921199999999"
    onAnswer / onHangup: <Response onAnswer="http://localhost:3000/answer" />, <Response onHangup="…" />
    (here the agent's extension 201 stands for the answering number, their login for Alice).
    """
    agent = await AgentSocket.open(app, "agent_sales_1")
    status, root = await _post(http, app, f"{PUBLIC}/api/v1/sipgate/{TOKEN}", (
        "event=newCall&from=492111234567&to=4915791234567&direction=in&callId=123456&user[]=agent_sales_1"
        "&user[]=Bob&userId[]=w0&userId[]=w1&fullUserId[]=1234567w0&fullUserId[]=1234567w1"))
    assert status == 200
    assert root.tag == "Response"
    assert list(root) == []
    here = f"{PUBLIC}/api/v1/sipgate/{TOKEN}"
    assert root.attrib == {"onAnswer": here, "onHangup": here}
    await agent.next("call_ringing")
    status, _ = await _post(http, app, root.attrib["onAnswer"], (
        "event=answer&callId=123456&user=John+Doe&userId=w0&fullUserId=1234567w0&from=492111234567"
        "&to=4915791234567&direction=in&answeringNumber=201"))
    assert status == 200
    pop = await agent.next("screen_pop")
    assert pop["call_id"] == "123456"
    status, _ = await _post(http, app, root.attrib["onHangup"], (
        "event=hangup&cause=normalClearing&callId=123456&from=492111234567&to=4915791234567&direction=in"
        "&answeringNumber=201"))
    assert status == 200
    ended = await agent.next("call_ended")
    assert ended["missed"] is False
    call = await _call(app, "123456")
    assert (call.state, call.cause, call.users["ringing"]) == ("ended", "normalClearing", ["agent_sales_1", "Bob"])
    await agent.close()


async def test_basic_auth_credentials_come_back_in_the_follow_up_urls(app: RunningApp,
                                                                       http: aiohttp.ClientSession) -> None:
    """With HTTP basic auth instead of a token in the path, onAnswer/onHangup carry the same credentials.

    sipgate.io README, Authentication: "sipgate.io supports HTTP Basic Authentication. You can include
    your username and password within the URL (e.g. `https://username:password@example.com:8080`)."
    """
    status, root = await _post(http, app, f"https://main:{TOKEN}@cc.example.test/api/v1/sipgate",
                               "event=newCall&from=492111234567&to=4915791234567&direction=in&callId=ba-1")
    assert status == 200
    follow = urlsplit(root.attrib["onAnswer"])
    assert (follow.username, follow.password, follow.path) == ("main", TOKEN, "/api/v1/sipgate")
    status, _ = await _post(http, app, root.attrib["onHangup"],
                            "event=hangup&cause=cancel&callId=ba-1&from=492111234567&to=4915791234567&direction=in")
    assert status == 200
    call = await _call(app, "ba-1")
    assert (call.state, call.missed) == ("ended", True)


async def test_zammads_sipgate_paths_are_accepted(app: RunningApp, http: aiohttp.ClientSession) -> None:
    """Zammad's own sipgate URLs (``/api/v1/sipgate/:token/in`` and ``/out``) work unchanged."""
    for direction in ("in", "out"):
        status, root = await _post(http, app, f"{PUBLIC}/api/v1/sipgate/{TOKEN}/{direction}",
                                   f"event=newCall&from=4930111&to=4930222&direction={direction}&callId=z-{direction}")
        assert status == 200
        assert root.attrib["onAnswer"] == f"{PUBLIC}/api/v1/sipgate/{TOKEN}"


async def test_reject_and_dial_are_sipgate_actions(app: RunningApp, http: aiohttp.ClientSession) -> None:
    """A blocked caller gets <Reject reason="busy"/>; an outbound call <Dial callerId=".."><Number>..</Number></Dial>.

    sipgate.io README, Reject, Example 2: <Response><Reject reason="busy" /></Response>
    Dial, Example 4: <Response><Dial callerId="492111234567"><Number>4915799912345</Number></Dial></Response>
    """
    url = f"{PUBLIC}/api/v1/sipgate/{TOKEN}"
    _, rejected = await _post(http, app, url, "event=newCall&from=491716666666&to=4930222&direction=in&callId=r-1")
    assert [(c.tag, c.attrib) for c in rejected] == [("Reject", {"reason": "busy"})]
    _, dialled = await _post(http, app, url,
                             "event=newCall&from=4930222&to=4915799912345&direction=out&callId=d-1&user[]=Alice")
    assert [(c.tag, c.attrib, c.findtext("Number")) for c in dialled] == [
        ("Dial", {"callerId": "492111234567"}, "4915799912345")]


async def test_empty_dtmf_and_refusals_answer_xml(app: RunningApp, http: aiohttp.ClientSession) -> None:
    """An empty dtmf is fine; a wrong token is a 401 asking for basic auth, a bad body a 422 naming the field, in XML.

    sipgate.io README, DTMF: "If no input is received, the value of dtmf will be empty."
    """
    url = f"{PUBLIC}/api/v1/sipgate/{TOKEN}"
    assert (await _post(http, app, url, "event=newCall&from=4930111&to=4930222&direction=in&callId=t-1"))[0] == 200
    assert (await _post(http, app, url, "event=dtmf&dtmf=&callId=t-1"))[0] == 200
    async with http.post(app.url + "/api/v1/sipgate/nope", data="event=newCall", headers=FORM) as resp:
        assert resp.status == 401
        assert resp.headers["WWW-Authenticate"].startswith("Basic")
        assert ElementTree.fromstring(await resp.read())[0].attrib["code"] == "unauthenticated"
    async with http.post(app.url + "/api/v1/sipgate", data="event=newCall",
                         headers={**FORM, **_basic("branch", TOKEN)}) as resp:
        assert resp.status == 401  # the token is main's, not branch's
    status, root = await _post(http, app, url, "event=newCall&from=4930111&direction=in&callId=t-2")
    assert status == 422
    assert root[0].attrib == {"code": "validation_error", "field": "to"}
