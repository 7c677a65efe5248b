"""Zammad's generic CTI, as its documentation shows it, against the real hook: every body form, the same replies.

The PBX is played by the real ``curl`` binary running the commands of Zammad's documentation
(zammad/zammad-documentation, api/generic-cti/*.rst) with only the host and token filled in, so
the bytes on the wire (multipart boundaries, quoting, url-encoding) are curl's own.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from contact_center.settings import CallerIdRoute, Settings
from contact_center.store.tables import Call
from tests.component.telephony.env import TOKEN, AgentSocket, Pbx, start_world, world_settings
from tests.conftest import RunningApp

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="the curl binary plays the PBX")

World = tuple[RunningApp, dict[str, int], Pbx]


@pytest.fixture
async def world(start_app: Callable, settings_factory: Callable[..., Settings], tmp_path: Path) -> AsyncIterator[World]:
    """The hook with Zammad's documented outbound caller id set up as the default, and agents Emma and Christopher."""
    settings = world_settings(settings_factory, tmp_path, main={
        "caller_id_routes": (CallerIdRoute(dest="4930*", caller_id="493055571642"),),
        "default_caller_id": "496990009111"})
    app, users = await start_world(start_app, settings)
    async with app.session() as http:
        yield app, users, Pbx(app, http)


async def curl(app: RunningApp, *args: str, path: str = f"/api/v1/cti/{TOKEN}") -> tuple[int, Any]:
    """Run ``curl --request POST <hook URL> *args``; returns (status, the reply as JSON or text)."""
    proc = await asyncio.create_subprocess_exec(
        "curl", "--silent", "--show-error", "--write-out", "\n%{http_code}", "--request", "POST", app.url + path,
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    body, _, status = out.decode().rpartition("\n")
    try:
        return int(status), json.loads(body)
    except json.JSONDecodeError:
        return int(status), body


async def _call(app: RunningApp, call_id: str) -> Call:
    async with app.db.session() as s:
        return (await s.execute(select(Call).where(Call.call_id == call_id))).scalar_one()


def _form(**fields: str | list[str]) -> list[str]:
    """``--form 'name="value"'`` arguments, quoted as Zammad's samples write them."""
    args = []
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            args += ["--form", f'{name}="{item}"']
    return args


async def test_form_data_inbound_call_answer_and_hangup(world: World) -> None:
    """A whole inbound call in Zammad's form-data flavour: {} each time, the named agent rings and gets the pop.

    Zammad docs, newCall-event.rst, form-data, Inbound:
        $ curl --request POST 'https://{FQDN-Zammad}/api/v1/cti/{instance specific token}' \\
           --form 'event="newCall"' --form 'from="493023125741"' --form 'to="492214710334"' \\
           --form 'direction="in"' --form 'callId="25641e3f-3317-4c48-80b3-fc573c7ffe2b"' \\
           --form 'user[]="Christopher Miller"' --form 'user[]="Emma Taylor"'
        Returns: {}
    answer-event.rst and hangup-event.rst, form-data, Inbound: the same with ``event="answer"`` /
    ``event="hangup"``, ``answeringNumber="emma@chrispresso.com"`` and ``cause="normalClearing"``; Returns: {}.
    Here the agent's login stands where Zammad's sample has Emma's address.
    """
    app, _, _ = world
    agent = await AgentSocket.open(app, "agent_sales_1")
    call_id = "25641e3f-3317-4c48-80b3-fc573c7ffe2b"
    common = {"from": "493023125741", "to": "492214710334", "direction": "in", "callId": call_id}
    new_call = _form(event="newCall", **common, **{"user[]": ["Christopher Miller", "agent_sales_1"]})
    assert await curl(app, *new_call) == (200, {})
    await agent.next("call_ringing")
    answer = _form(event="answer", **common, **{"user[]": ["Christopher Miller", "agent_sales_1"]},
                   answeringNumber="agent_sales_1")
    assert await curl(app, *answer) == (200, {})
    await agent.next("screen_pop")
    hangup = _form(event="hangup", **common, **{"user[]": ["agent_sales_1"]}, answeringNumber="agent_sales_1",
                   cause="normalClearing")
    assert await curl(app, *hangup) == (200, {})
    await agent.next("call_ended")
    call = await _call(app, call_id)
    assert (call.state, call.missed, call.cause, call.users["ringing"]) == (
        "ended", False, "normalClearing", ["Christopher Miller", "agent_sales_1"])
    await agent.close()


async def test_form_data_outbound_call_gets_the_caller_id(world: World) -> None:
    """An outbound newCall in form-data gets Zammad's dial reply with the default caller id.

    Zammad docs, newCall-event.rst, form-data, Outbound:
        $ curl --request POST 'https://{FQDN-Zammad}/api/v1/cti/{instance specific token}' \\
           --form 'event="newCall"' --form 'from="493023125741"' --form 'to="492214710334"' \\
           --form 'direction="out"' --form 'callId="f0871278-0600-4f5c-a746-bec3acf04f41"' \\
           --form 'user[]="Christopher Miller"'
        Returns: {"action": "dial", "caller_id": "496990009111", "number": "492214710334"}
    """
    app, _, _ = world
    status, reply = await curl(app, *_form(event="newCall", **{
        "from": "493023125741", "to": "492214710334", "direction": "out",
        "callId": "f0871278-0600-4f5c-a746-bec3acf04f41", "user[]": "Christopher Miller"}))
    assert status == 200
    assert {k: reply[k] for k in ("action", "caller_id", "number")} == {
        "action": "dial", "caller_id": "496990009111", "number": "492214710334"}


async def test_json_flavour_inbound_and_outbound(world: World) -> None:
    """Zammad's JSON samples: inbound {} ; outbound the dial with the caller id of the matching route.

    Zammad docs, newCall-event.rst, JSON (recommended), Inbound:
        --header 'Content-Type: application/json' --data-raw '{"event": "newCall", "from": "493023125741",
        "to": "492214710334", "direction": "in", "callId": "307fa962-de8d-4ffc-817b-7f6993204159",
        "user": ["Christopher Miller", "Emma Taylor"]}'          Response: {}
    Outbound ("user": "Christopher Miller", "direction": "out"): {"action": "dial", "caller_id": …, "number": …};
    "Set specific outgoing caller ID": {"action": "dial", "callerId": "493055571642", "number": "491711234567890"}.
    """
    app, _, _ = world
    inbound = {"event": "newCall", "from": "493023125741", "to": "492214710334", "direction": "in",
               "callId": "307fa962-de8d-4ffc-817b-7f6993204159", "user": ["Christopher Miller", "Emma Taylor"]}
    json_header = ("--header", "Content-Type: application/json")
    assert await curl(app, *json_header, "--data-raw", json.dumps(inbound)) == (200, {})
    outbound = {"event": "newCall", "from": "493023125741", "to": "493011112222", "direction": "out",
                "callId": "f4ebd2be-7b9a-4d58-94c2-eb06a3c2ce76", "user": "Christopher Miller"}
    status, reply = await curl(app, *json_header, "--data-raw", json.dumps(outbound))
    assert (status, reply) == (200, {"action": "dial", "number": "493011112222", "caller_id": "493055571642",
                                     "callerId": "493055571642"})


async def test_url_encoded_samples_of_the_older_documentation(world: World) -> None:
    """The url-encoded curl samples Zammad documented up to 2022 are accepted as they are.

    zammad-documentation api/generic-cti.rst before 8c394bb:
        $ curl -X POST --data "event=newCall&from=493055571600&to=491711234567890&direction=in&callId=123456
          &user[]=Alice&user[]=Bob" http://localhost:3000/api/v1/cti/:token
        $ curl -X POST --data "event=answer&callId=123456&user=John+Doe&from=493055571600&to=491711234567890
          &direction=in&answeringNumber=21199999999" http://localhost:3000/api/v1/cti/:token
        $ curl -X POST --data "event=hangup&cause=normalClearing&callId=123456&from=493055571600
          &to=491711234567890&direction=in&answeringNumber=4921199999999" http://localhost:3000/api/v1/cti/:token
    """
    app, _, _ = world
    for data in ("event=newCall&from=493055571600&to=491711234567890&direction=in&callId=123456"
                 "&user[]=Alice&user[]=Bob",
                 "event=answer&callId=123456&user=John+Doe&from=493055571600&to=491711234567890&direction=in"
                 "&answeringNumber=21199999999",
                 "event=hangup&cause=normalClearing&callId=123456&from=493055571600&to=491711234567890"
                 "&direction=in&answeringNumber=4921199999999"):
        assert await curl(app, "--data", data) == (200, {})
    call = await _call(app, "123456")
    assert (call.state, call.users["ringing"], call.answering_number) == ("ended", ["Alice", "Bob"], "21199999999")


async def test_url_variables_with_body_fields_winning(world: World) -> None:
    """Fields in the query string ("URL variables", still supported by Zammad) are read; the body wins over them.

    zammad-documentation generic-cti_no-more-url-varibales.include.rst: "we've decided to remove URL
    variable samples that were documented since Zammad 3 … This does not mean they're no longer supported."
    """
    app, _, _ = world
    query = "?event=newCall&from=493055571600&to=491711234567890&direction=in&callId=url-1&user[]=Alice"
    assert await curl(app, path=f"/api/v1/cti/{TOKEN}{query}") == (200, {})
    assert (await _call(app, "url-1")).users["ringing"] == ["Alice"]
    assert await curl(app, "--data", "from=4930999", path=f"/api/v1/cti/{TOKEN}{query.replace('url-1', 'url-2')}") \
        == (200, {})
    assert (await _call(app, "url-2")).from_raw == "4930999"


async def test_hangup_without_cause_ends_the_call(world: World) -> None:
    """A hangup with no cause is a 200 and ends the call (missed, never answered), as Zammad stores an empty cause."""
    app, _, _ = world
    assert await curl(app, "--data", "event=newCall&from=4930111&to=4930222&direction=in&callId=nocause") \
        == (200, {})
    assert await curl(app, "--data", "event=hangup&callId=nocause&direction=in") == (200, {})
    call = await _call(app, "nocause")
    assert (call.state, call.missed, call.cause) == ("ended", True, None)


async def test_call_id_of_250_characters_and_empty_dtmf(world: World) -> None:
    """Zammad keeps 250-character call ids; sipgate posts dtmf= empty when nothing was pressed. Both are 200."""
    app, _, _ = world
    long_id = "c" * 250
    assert await curl(app, *_form(event="newCall", **{"from": "4930111", "to": "4930222", "direction": "in",
                                                      "callId": long_id})) == (200, {})
    assert await curl(app, "--data", f"event=dtmf&dtmf=&callId={long_id}") == (200, {})
    assert not (await _call(app, long_id)).dtmf
    status, reply = await curl(app, "--data", f"event=answer&callId={long_id}c")
    assert status == 422
    assert (reply["code"], reply["field"]) == ("validation_error", "callId")
    assert "250" in reply["error"]


async def test_voicemail_answer_leaves_the_call_missed(world: World) -> None:
    """An answer by user=voicemail is no answer: no pop, and the hangup makes it a missed call (Zammad: not done)."""
    app, _, _ = world
    agent = await AgentSocket.open(app, "agent_sales_1")
    base = "callId=vm-1&from=493055571600&to=491711234567890&direction=in"
    assert await curl(app, "--data", f"event=newCall&{base}&user[]=agent_sales_1") == (200, {})
    await agent.next("call_ringing")
    assert await curl(app, "--data", f"event=answer&{base}&user=voicemail") == (200, {})
    assert await curl(app, "--data", f"event=hangup&{base}&cause=normalClearing") == (200, {})
    ended = await agent.next("call_ended")
    assert ended["missed"] is True
    assert "screen_pop" not in [f["type"] for f in agent.seen]
    call = await _call(app, "vm-1")
    assert (call.state, call.missed, call.answered_at, call.user_id) == ("ended", True, None, None)
    await agent.close()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--header", "Content-Type: multipart/form-data", "--data-binary", "event=newCall"), "boundary"),
        (("--header", "Content-Type: multipart/form-data; boundary=XyZ", "--data-binary",
          "--XyZ\r\nContent-Disposition: form-data; name=\"event\"\r\n\r\nnewCall\r\n"), "multipart"),
        (("--header", "Content-Type: application/json", "--data-raw", "{\"event\": "), "JSON"),
        (("--header", "Content-Type: text/csv", "--data-raw", "event,newCall"), "application/json"),
    ],
)
async def test_malformed_bodies_are_400_naming_the_problem(world: World, args: tuple[str, ...], needle: str) -> None:
    """Multipart without a boundary, a cut-off multipart, broken JSON, an unknown type: 400 saying what is wrong."""
    app, _, _ = world
    status, reply = await curl(app, *args)
    assert status == 400, reply
    assert reply["code"] == "malformed_body"
    assert needle in reply["error"]


async def test_wrong_token_is_zammads_error_string(world: World) -> None:
    """A wrong token is 401 with the text in "error", as Zammad answers it.

    zammad app/controllers/integration/cti_controller.rb: response_unauthorized('Invalid token, please contact your
    admin!') renders ``{error: error}`` with status :unauthorized.
    """
    app, _, _ = world
    status, reply = await curl(app, "--data", "event=newCall", path="/api/v1/cti/not-the-token")
    assert status == 401
    assert reply["error"].lower().startswith("invalid token")
    assert reply["code"] == "unauthenticated"
