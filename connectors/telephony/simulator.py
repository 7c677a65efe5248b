"""``contact-center simulate``: play a PBX against a running server.

Calls from known customers (numbers read from the store) and unknown numbers ring, are
answered by the given agent (extension or login, as ``answeringNumber``) and hang up; a share
of them are missed (the caller gives up). The posts are exactly what a PBX speaking Zammad's
generic CTI format sends, so what the simulator shows is what a real PBX would get::

    contact-center simulate                                # answered by whoever routing picks
    contact-center simulate --calls 5 --agent 211          # answered by extension 211
    contact-center simulate --calls 3 --unknown 1 --missed 0.3 --ring 1 --talk 5

``--format`` picks the wire format, so an admin can check by hand that a PBX set-up works here
whatever its bridge posts: ``zammad-json`` (default), ``zammad-form`` (url-encoded, ``user[]``),
``zammad-multipart`` (``curl --form``), each to ``/api/v1/cti/<token>``, or ``sipgate`` (sipgate.io's
url-encoded pushes to ``/api/v1/sipgate/<token>``, reading its XML replies and sending the answer
and hangup to the ``onAnswer``/``onHangup`` URLs the ``newCall`` reply names, as sipgate does)::

    contact-center simulate --format sipgate --agent 201

Without ``--agent`` each call is answered by the agent routing asks the PBX to dial (a signed-in,
available agent of the department the call is routed to, whose desk then shows the pop; the PBX
needs ``route_inbound = true``, as the demo configuration sets). When
nobody is free the server answers with the department's number instead; the simulator then says
so and how to get a pop (sign in to the desk as a demo agent), and lets the call ring out.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from xml.etree import ElementTree

import aiohttp

from contact_center.customers.repository import known_phone_numbers
from contact_center.settings import Settings


@dataclass(frozen=True)
class SimCall:
    """One call to play."""

    call_id: str
    from_number: str
    to_number: str
    missed: bool


def plan_calls(known: Sequence[str], count: int, *, unknown_share: float, missed_share: float, to_number: str,
               rng: random.Random) -> list[SimCall]:
    """Choose *count* calls: callers from *known* or made-up numbers, some of them missed.

    The first call is from a known customer whenever there are any (unless every call is to be
    unknown, ``unknown_share >= 1``): a newcomer's first ``simulate`` then always shows a full pop.
    """
    calls = []
    for n in range(count):
        unknown = not known or unknown_share >= 1 or (n > 0 and rng.random() < unknown_share)
        caller = f"+4915{rng.randrange(10**8, 10**9)}" if unknown else rng.choice(list(known))
        calls.append(SimCall(call_id=uuid.uuid4().hex, from_number=caller, to_number=to_number,
                             missed=rng.random() < missed_share))
    return calls


FORMATS = ("zammad-json", "zammad-form", "zammad-multipart", "sipgate")


def form_pairs(body: dict[str, Any]) -> list[tuple[str, str]]:
    """*body* as form fields the way PBX bridges write them: a list becomes ``name[]`` repeated."""
    pairs: list[tuple[str, str]] = []
    for name, value in body.items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((f"{name}[]" if isinstance(value, list) else name, str(item)))
    return pairs


def sipgate_reply(xml: str) -> tuple[dict[str, Any], str | None]:
    """A sipgate.io XML reply as a generic hook reply, and the URL sipgate would post the answer and hangup to."""
    root = ElementTree.fromstring(xml)
    callback = root.get("onAnswer") or root.get("onHangup")
    reply: dict[str, Any] = {}
    dial, reject = root.find("Dial"), root.find("Reject")
    if dial is not None:
        reply = {"action": "dial", "number": dial.findtext("Number") or ""}
        if dial.get("callerId"):
            reply["caller_id"] = dial.get("callerId")
    elif reject is not None:
        reply = {"action": "reject", "reason": reject.get("reason") or "rejected"}
    elif root.find("Hangup") is not None:
        reply = {"action": "hangup"}
    return reply, callback


class PbxClient:
    """Posts CTI events to one hook URL in one of :data:`FORMATS`."""

    def __init__(self, session: aiohttp.ClientSession, hook_url: str, *, fmt: str = "zammad-json") -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
        self._session = session
        self._url = hook_url
        self._fmt = fmt
        self._follow: dict[str, str] = {}  # sipgate: call id -> where the answer and hangup go
        self.notes: list[str] = []  # what an admin should know about the set-up (printed by ``simulate``)

    def _request(self, body: dict[str, Any]) -> dict[str, Any]:
        if self._fmt == "zammad-json":
            return {"json": body}
        if self._fmt == "zammad-multipart":
            return {"data": aiohttp.FormData(form_pairs(body), default_to_multipart=True)}
        return {"data": form_pairs(body)}  # url-encoded: zammad-form and sipgate

    def _target(self, body: dict[str, Any]) -> str:
        if self._fmt != "sipgate" or body["event"] == "newCall":
            return self._url
        follow = self._follow.get(str(body["callId"]))
        if follow is None:
            raise RuntimeError("the newCall reply named no onAnswer/onHangup URL: sipgate.io would send no "
                               f"{body['event']} for this call")
        return follow

    async def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Post one event; returns the reply (raises on an HTTP error)."""
        async with self._session.post(self._target(body), **self._request(body)) as resp:
            text = await resp.text()
            if resp.status != 200:
                raise RuntimeError(f"{body['event']} got {resp.status}: {text}")
        if self._fmt != "sipgate":
            return json.loads(text)  # type: ignore[no-any-return]
        reply, callback = sipgate_reply(text)
        if body["event"] == "newCall" and callback:
            self._follow[str(body["callId"])] = self._rebased(callback)
        return reply

    def _rebased(self, callback: str) -> str:
        """The callback URL on the server this client talks to (the server names it by its public URL)."""
        ours, theirs = urlsplit(self._url), urlsplit(callback)
        if (theirs.scheme, theirs.hostname, theirs.port) != (ours.scheme, ours.hostname, ours.port):
            note = (f"the server asks sipgate to post answers and hangups to {theirs.scheme}://{theirs.hostname}"
                    f"{f':{theirs.port}' if theirs.port else ''} (server.public_url): sipgate.io must reach it there")
            if note not in self.notes:
                self.notes.append(note)
        return urlunsplit(ours._replace(path=theirs.path, query=theirs.query))

    async def play(self, call: SimCall, *, agent: str | None, user: str | None, ring: float, talk: float,
                   queue: str | None = None) -> str:
        """Ring, then answer and hang up (or give up when missed); returns a line for the log.

        *agent* ``None``: answered by the extension the server asked the PBX to dial, if any.
        """
        base = {"callId": call.call_id, "from": call.from_number, "to": call.to_number, "direction": "in"}
        ringing = {**({"user": [user]} if user else {}), **({"queue": queue} if queue else {})}
        reply = await self.post({"event": "newCall", **base, **ringing})
        if reply.get("action") == "reject":
            await self.post({"event": "hangup", **base, "cause": "busy"})
            return f"{call.from_number}: rejected by the server ({reply.get('reason')})"
        if agent is None:
            agent = dialled_extension(reply)
        await asyncio.sleep(ring)
        if call.missed:
            await self.post({"event": "hangup", **base, "cause": "cancel"})
            return f"{call.from_number}: missed"
        if agent is None:
            await self.post({"event": "hangup", **base, "cause": "noAnswer"})
            return (f"{call.from_number}: not answered: the server named no agent to dial "
                    f"({reply.get('number') or 'no number'}; nobody in the department is signed in and available), "
                    f"so no pop appears: {NOBODY_FREE}")
        await self.post({"event": "answer", **base, "answeringNumber": agent, **({"user": user} if user else {})})
        await asyncio.sleep(talk)
        await self.post({"event": "hangup", **base, "cause": "normalClearing", "answeringNumber": agent})
        return f"{call.from_number}: answered by {agent}" + (f", {reply}" if reply else "")


NOBODY_FREE = ("sign in at /desk as a demo agent (anna … lena, password demo-password) and stay Available, "
               "or pass --agent EXTENSION")
_MAX_EXTENSION_DIGITS = 6  # longer numbers are a department's public number, not an agent's extension


def dialled_extension(reply: dict[str, Any]) -> str | None:
    """The agent extension in a ``newCall`` reply (``{"action": "dial", "number": "201"}``), if it names one."""
    number = str(reply.get("number") or "")
    dial = reply.get("action") == "dial"
    return number if dial and number.isdigit() and len(number) <= _MAX_EXTENSION_DIGITS else None


async def run(args: argparse.Namespace, settings: Settings) -> int:
    """The ``simulate`` command."""
    token = args.token or (settings.pbx[0].token.reveal() if settings.pbx else None)
    if not token:
        print("simulate: no PBX token (give --token or configure [[pbx]])")
        return 2
    path = "/api/v1/sipgate" if args.format == "sipgate" else "/api/v1/cti"
    url = (args.url or settings.public_url).rstrip("/") + f"{path}/{token}"
    calls = plan_calls(await known_phone_numbers(settings.database_url), args.calls, unknown_share=args.unknown,
                       missed_share=args.missed, to_number=args.to, rng=random.Random(args.seed))
    async with aiohttp.ClientSession() as session:
        client = PbxClient(session, url, fmt=args.format)
        for call in calls:
            print(await client.play(call, agent=args.agent, user=args.user, ring=args.ring, talk=args.talk,
                                    queue=args.queue or None), flush=True)
        for note in client.notes:
            print(f"note: {note}", flush=True)
    return 0


def add_command(subparsers: Any) -> None:
    """Entry point (``contact_center.commands``): register ``simulate``."""
    cmd = subparsers.add_parser("simulate", help="play a PBX: ring, answer and hang up calls against a server")
    cmd.add_argument("--url", help="the server's base URL (default: server.public_url)")
    cmd.add_argument("--token", help="the PBX token (default: the first [[pbx]])")
    cmd.add_argument("--calls", type=int, default=3, help="how many calls (default 3)")
    cmd.add_argument("--agent", help="answeringNumber: the agent's extension or login (default: the agent "
                                     "routing picks, a signed-in and available one)")
    cmd.add_argument("--user", help="the agent's name as the PBX sends it in user[] (also rings them)")
    cmd.add_argument("--to", default="+4930123450", help="the dialled number")
    cmd.add_argument("--queue", default="sales", help="the PBX queue the call comes in on, which names the department "
                                                      "routing starts from (default: sales, the demo's anna, ben "
                                                      "and clara; '' for none)")
    cmd.add_argument("--unknown", type=float, default=0.25, help="share of callers with unknown numbers")
    cmd.add_argument("--missed", type=float, default=0.0, help="share of calls nobody answers")
    cmd.add_argument("--ring", type=float, default=1.0, help="seconds of ringing before the answer")
    cmd.add_argument("--talk", type=float, default=3.0, help="seconds of talking before the hangup")
    cmd.add_argument("--seed", type=int, help="random seed, for repeatable runs")
    cmd.add_argument("--format", choices=FORMATS, default="zammad-json",
                     help="the wire format: Zammad's generic CTI as JSON, url-encoded or multipart form data, or "
                          "sipgate.io (form posts, XML replies; answer and hangup go where the reply says)")
    cmd.set_defaults(func=run)
