"""What the hook answers a PBX: pure decisions, and sipgate.io's XML rendering of them.

The generic hook answers JSON, as Zammad's generic CTI does:

* ``{}`` for every event, unless:
* an inbound ``newCall`` from a blocked number: ``{"action": "reject", "reason": "busy"}``;
* an outbound ``newCall`` matching the PBX's caller-id table (or with a default caller id):
  ``{"action": "dial", "number": <the dialled number>, "caller_id": <caller id>}``
  (:func:`outbound_reply`, Zammad's ``caller_id_rewrite``);
* an inbound ``newCall`` on a PBX with ``route_inbound`` on: the router's
  ``{"action": "dial", "number": <agent extension or hunt group>}`` (:func:`director_reply`),
  never the number that was called (:func:`dials_elsewhere`). Zammad never sends ``dial``
  inbound, so a PBX set up for Zammad keeps getting ``{}``.

sipgate.io reads XML instead (:func:`sipgate_xml`): the same decisions as ``<Reject>`` and
``<Dial callerId><Number/></Dial>``, inside a ``<Response>`` whose ``onAnswer``/``onHangup`` point
back at the endpoint, since sipgate only reports the answer and the hangup of a call whose
``newCall`` reply asked for them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from contact_center.settings import CallerIdRoute

REJECT_BUSY = {"action": "reject", "reason": "busy"}
_SIPGATE_REJECT_REASONS = ("busy", "rejected")


@lru_cache(maxsize=1024)
def _pattern(dest: str) -> re.Pattern[str]:
    # Zammad turns each ``*`` into ``.+?`` and matches the whole number; everything else is literal here
    # (Zammad leaves other regex characters active, so a "+49*" row is an error there and a literal "+" here).
    return re.compile("".join(".+?" if c == "*" else re.escape(c) for c in dest))


def dest_matches(dest: str, number: str) -> bool:
    """True when the caller-id table's *dest* pattern matches the whole dialled *number*."""
    return _pattern(dest).fullmatch(number) is not None


def caller_id_for(routes: tuple[CallerIdRoute, ...], default: str | None, number: str | None) -> str | None:
    """The caller id an outbound call to *number* should show: the first matching route, else *default*."""
    if not number:
        return None
    for route in routes:
        if dest_matches(route.dest, number):
            return route.caller_id
    return default


def outbound_reply(routes: tuple[CallerIdRoute, ...], default: str | None, number: str | None) -> dict[str, Any]:
    """The reply to an outbound ``newCall`` to *number* (as the PBX sent it): ``dial`` with a caller id, or ``{}``.

    Zammad's controller writes ``caller_id``; its documentation also shows ``callerId``, so both are sent.
    """
    caller_id = caller_id_for(routes, default, number)
    if caller_id is None or not number:
        return {}
    return {"action": "dial", "number": number, "caller_id": caller_id, "callerId": caller_id}


def director_reply(decision: Mapping[str, Any] | None) -> dict[str, Any]:
    """The PBX reply for a call director's decision (``dial`` or ``reject``); ``{}`` otherwise.

    The caller id to show may come as ``caller_id`` or ``callerId``; the reply carries both
    spellings, as PBX scripts written for either read their own.
    """
    if not decision:
        return {}
    action = decision.get("action")
    if action == "reject":
        return {"action": "reject", "reason": str(decision.get("reason") or "busy")}
    number = decision.get("number")
    if action != "dial" or not isinstance(number, str) or not number:
        return {}
    reply: dict[str, Any] = {"action": "dial", "number": number}
    caller = decision.get("caller_id") or decision.get("callerId")
    if isinstance(caller, str) and caller:
        reply["caller_id"] = caller
        reply["callerId"] = caller
    return reply


def dials_elsewhere(reply: Mapping[str, Any], called: tuple[str | None, ...]) -> bool:
    """False for a ``dial`` to one of the *called* numbers (raw or normalised): that would loop the call."""
    if reply.get("action") != "dial":
        return True
    number = str(reply.get("number", "")).strip()
    return number not in {c.strip() for c in called if c}


def sipgate_xml(reply: Mapping[str, Any], callback_url: str | None) -> bytes:
    """*reply* (a generic hook reply) as sipgate.io's XML ``<Response>``.

    ``dial`` becomes ``<Dial [callerId=".."]><Number>..</Number></Dial>``, ``reject``
    ``<Reject reason="busy|rejected"/>``, ``hangup`` ``<Hangup/>``; anything else an empty
    response. With *callback_url* the response asks for the answer and hangup events there.
    """
    attrs = f" onAnswer={quoteattr(callback_url)} onHangup={quoteattr(callback_url)}" if callback_url else ""
    action = reply.get("action")
    inner = ""
    if action == "dial" and reply.get("number"):
        caller = reply.get("caller_id") or reply.get("callerId")
        caller_attr = f" callerId={quoteattr(str(caller))}" if caller else ""
        inner = f"<Dial{caller_attr}><Number>{escape(str(reply['number']))}</Number></Dial>"
    elif action == "reject":
        reason = str(reply.get("reason") or "busy")
        inner = f"<Reject reason={quoteattr(reason if reason in _SIPGATE_REJECT_REASONS else 'busy')}/>"
    elif action == "hangup":
        inner = "<Hangup/>"
    body = f"<Response{attrs}>{inner}</Response>" if inner else f"<Response{attrs}/>"
    return _document(body)


def sipgate_error_xml(code: str, message: str, field: str | None = None) -> bytes:
    """An error as XML: ``<Response><Error code=".." [field=".."]>message</Error></Response>``."""
    attrs = f" code={quoteattr(code)}" + (f" field={quoteattr(field)}" if field else "")
    return _document(f"<Response><Error{attrs}>{escape(message)}</Error></Response>")


def _document(body: str) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'.encode()
