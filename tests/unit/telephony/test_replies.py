"""PBX replies (pure): Zammad's outbound caller-id routing and sipgate.io's XML rendering."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

import pytest

from connectors.telephony.replies import (
    caller_id_for,
    dest_matches,
    dials_elsewhere,
    outbound_reply,
    sipgate_error_xml,
    sipgate_xml,
)
from contact_center.settings import CallerIdRoute

ROUTES = (CallerIdRoute("4930*", "493055571642"), CallerIdRoute("49*", "496990009111"),
          CallerIdRoute("0049+1*", "4911"))


@pytest.mark.parametrize(
    ("dest", "number", "matches"),
    [
        ("4930*", "493012345", True),
        ("4930*", "4930", False),  # Zammad's `*` is `.+?`: at least one character
        ("4930*", "04930123", False),  # the whole number must match
        ("49*99", "4930123499", True),
        ("491711234567890", "491711234567890", True),
        ("0049+1*", "0049+1234", True),  # a literal "+" (Zammad would read it as a regex quantifier)
        ("49.*", "49x5", False),  # "." is literal too
    ],
)
def test_dest_patterns_match_like_zammads_routing_table(dest: str, number: str, matches: bool) -> None:
    """A destination pattern matches the whole number, each ``*`` standing for one or more characters."""
    assert dest_matches(dest, number) is matches


@pytest.mark.parametrize(
    ("number", "default", "caller_id"),
    [
        ("493011112222", None, "493055571642"),  # first matching row wins
        ("491711234567890", None, "496990009111"),
        ("331234", "4900", "4900"),  # nothing matches: the default
        ("331234", None, None),
        (None, "4900", None),  # no number, no caller id (Zammad: return nil if to.blank?)
        ("", "4900", None),
    ],
)
def test_caller_id_for(number: str | None, default: str | None, caller_id: str | None) -> None:
    """The table is read top to bottom, then the default caller id applies."""
    assert caller_id_for(ROUTES, default, number) == caller_id


def test_outbound_reply_is_zammads_dial() -> None:
    """An outbound call gets Zammad's dial with the caller id, or {} with nothing configured.

    Zammad's newCall-event.rst, Outbound, Returns: {"action": "dial", "caller_id": "496990009111",
    "number": "492214710334"}.
    """
    assert outbound_reply((), "496990009111", "492214710334") == {
        "action": "dial", "number": "492214710334", "caller_id": "496990009111", "callerId": "496990009111"}
    assert outbound_reply((), None, "492214710334") == {}


@pytest.mark.parametrize(
    ("reply", "called", "elsewhere"),
    [
        ({"action": "dial", "number": "221"}, ("+49301234502",), True),
        ({"action": "dial", "number": "+49301234502"}, ("+49301234502", None), False),
        ({"action": "dial", "number": " 4930123 "}, ("4930123",), False),
        ({"action": "reject", "reason": "busy"}, ("+49301234502",), True),
        ({}, ("1",), True),
    ],
)
def test_dials_elsewhere(reply: dict[str, Any], called: tuple[str | None, ...], elsewhere: bool) -> None:
    """A dial back to the number that was called is recognised (it would loop the call)."""
    assert dials_elsewhere(reply, called) is elsewhere


CALLBACK = "https://cc.example.test/api/v1/sipgate/tok"


@pytest.mark.parametrize(
    ("reply", "inner"),
    [
        # sipgate.io README, onAnswer/onHangup: <Response onAnswer="http://localhost:3000/answer" />
        ({}, []),
        # README, Reject, Example 2: <Reject reason="busy" />
        ({"action": "reject", "reason": "busy"}, [("Reject", {"reason": "busy"}, None)]),
        ({"action": "reject", "reason": "closed"}, [("Reject", {"reason": "busy"}, None)]),
        ({"action": "reject", "reason": "rejected"}, [("Reject", {"reason": "rejected"}, None)]),
        # README, Dial, Example 4: <Dial callerId="492111234567"><Number>4915799912345</Number></Dial>
        ({"action": "dial", "number": "4915799912345", "caller_id": "492111234567"},
         [("Dial", {"callerId": "492111234567"}, "4915799912345")]),
        # README, Dial, Example 1: <Dial><Number>4915799912345</Number></Dial>
        ({"action": "dial", "number": "4915799912345"}, [("Dial", {}, "4915799912345")]),
        # README, Hangup: <Hangup />
        ({"action": "hangup"}, [("Hangup", {}, None)]),
    ],
)
def test_sipgate_xml(reply: dict[str, Any], inner: list[tuple[str, dict[str, str], str | None]]) -> None:
    """Hook replies become sipgate.io's XML, each asking for the answer and hangup events at the endpoint."""
    doc = sipgate_xml(reply, CALLBACK)
    assert doc.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = ElementTree.fromstring(doc)
    assert root.tag == "Response"
    assert root.attrib == {"onAnswer": CALLBACK, "onHangup": CALLBACK}
    found = [(child.tag, child.attrib, child.findtext("Number")) for child in root]
    assert found == inner


def test_sipgate_xml_escapes_what_it_writes() -> None:
    """Credentials and numbers are escaped, never markup: the XML stays well formed."""
    url = 'https://main:a&b"<c@cc.example.test/api/v1/sipgate'
    root = ElementTree.fromstring(sipgate_xml({"action": "dial", "number": "<1>&2"}, url))
    assert root.attrib["onAnswer"] == url
    assert root.findtext("Dial/Number") == "<1>&2"
    error = ElementTree.fromstring(sipgate_error_xml("validation_error", "'callId' <is> required", "callId"))
    assert (error[0].tag, error[0].attrib, error[0].text) == (
        "Error", {"code": "validation_error", "field": "callId"}, "'callId' <is> required")
