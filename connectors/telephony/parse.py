"""Pure parsing of generic CTI push bodies (Zammad's generic CTI, as sipgate.io originated it).

Events and fields, JSON or form-encoded (``user[]=a&user[]=b`` becomes a list)::

    newCall  from, to, direction (in|out), callId, [user | user[]], [queue], [diversion], [origCallId]
    answer   callId, [user], [answeringNumber], [from, to, direction]
    hangup   callId, cause, [answeringNumber], [user], [from, to, direction]
    dtmf     callId, dtmf, [origCallId]

``call_id``/``callid`` and ``answering_number`` are accepted as spellings some PBX scripts use.
A missing field, an unknown event or a bad direction raises :class:`ValidationError` naming the
field. :func:`digest` fingerprints an event so a repeated post is recognised and stored once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import fields
from typing import Any

import orjson

from contact_center.errors import ValidationError
from contact_center.ingest.signals import CallSignal

EVENTS = ("newCall", "answer", "hangup", "dtmf")
DIRECTIONS = ("in", "out")
CAUSES = ("normalClearing", "busy", "cancel", "noAnswer", "congestion", "notFound", "forwarded")
_REQUIRED = {
    "newCall": ("from", "to", "direction"),
    "answer": (),
    "hangup": ("cause",),
    "dtmf": ("dtmf",),
}
_ALIASES = {
    "callId": ("callId", "call_id", "callid", "CallId"),
    "answeringNumber": ("answeringNumber", "answering_number"),
    "origCallId": ("origCallId", "orig_call_id", "originalCallId"),
    "user": ("user", "user[]"),
}
_MAX = 128
_OPTIONAL = ("from", "to", "direction", "queue", "diversion", "origCallId", "answeringNumber", "cause", "dtmf")
# Every spelling a body may use -> the field it fills (to look up only the fields a body has).
_FIELD_OF = {**{name: name for name in _OPTIONAL},
             **{alias: name for name, aliases in _ALIASES.items() for alias in aliases}}


# The core's call signal: what this connector hands over for each parsed post.
CtiEvent = CallSignal


_CTI_FIELDS = fields(CtiEvent)


def _get(body: Mapping[str, Any], name: str) -> Any:
    for alias in _ALIASES.get(name, (name,)):
        if body.get(alias) not in (None, ""):
            return body[alias]
    return None


def _text(body: Mapping[str, Any], name: str, *, required: bool = False) -> str | None:
    value = _get(body, name)
    if isinstance(value, list):  # a form field sent twice: the last one wins, as in Rails
        value = value[-1] if value else None
    if value is None:
        if required:
            raise ValidationError(name, f"'{name}' is required")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValidationError(name, f"'{name}' must be a string")
    text = str(value).strip()
    if len(text) > _MAX:
        raise ValidationError(name, f"'{name}' is longer than {_MAX} characters")
    if required and not text:
        raise ValidationError(name, f"'{name}' is required")
    return text or None


def _users(body: Mapping[str, Any]) -> tuple[str, ...]:
    value = _get(body, "user")
    items = value if isinstance(value, list) else [value] if value is not None else []
    out = []
    for item in items:
        if not isinstance(item, str):
            raise ValidationError("user", "'user' must be a name or a list of names")
        name = item.strip()
        if name and name not in out:
            out.append(name[:_MAX])
    return tuple(out)


def parse_cti(body: Mapping[str, Any]) -> CtiEvent:
    """Validate a CTI body and return the event.

    Raises:
        ValidationError: unknown ``event``, bad ``direction``, a missing or malformed field.
    """
    event = _text(body, "event", required=True)
    if event not in EVENTS:
        raise ValidationError("event", f"'event' must be one of {', '.join(EVENTS)}")
    call_id = _text(body, "callId", required=True)
    assert call_id is not None
    required = _REQUIRED[event]
    wanted = {_FIELD_OF.get(key) for key in body}.union(required)  # the others are absent: None
    fields = {name: _text(body, name, required=name in required) if name in wanted else None for name in _OPTIONAL}
    if fields["direction"] is not None and fields["direction"] not in DIRECTIONS:
        raise ValidationError("direction", "'direction' must be 'in' or 'out'")
    if fields["dtmf"] is not None and not all(c.isdigit() or c in "*#ABCD" for c in fields["dtmf"]):
        raise ValidationError("dtmf", "'dtmf' must be digits, * or #")
    return CtiEvent(
        event=event, call_id=call_id, direction=fields["direction"], from_raw=fields["from"], to_raw=fields["to"],
        users=_users(body), queue=fields["queue"], diversion=fields["diversion"],
        orig_call_id=fields["origCallId"], answering_number=fields["answeringNumber"], cause=fields["cause"],
        dtmf=fields["dtmf"],
    )


def digest(pbx: str, event: CtiEvent) -> str:
    """A stable fingerprint of *event* from *pbx*: the same post (JSON or form) gives the same one."""
    # A shallow field dict: the same JSON as ``asdict`` (the fields are strings and tuples of strings)
    # at a fraction of its cost, so fingerprints stored before stay valid.
    values = {f.name: getattr(event, f.name) for f in _CTI_FIELDS}
    try:
        # orjson writes exactly the bytes of the compact, sorted, non-ASCII-escaping json.dumps below
        # (pinned by tests/unit/telephony/test_parse.py), in a third of the time.
        doc = orjson.dumps([pbx, values], option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:  # e.g. a lone surrogate: fail exactly as before
        doc = json.dumps([pbx, values], sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return hashlib.sha256(doc).hexdigest()


def is_blocked(event: CtiEvent, customer_number: str | None, blocked: frozenset[str]) -> bool:
    """True when an inbound ``newCall`` comes from a blocked number (normalised or as sent)."""
    if event.event != "newCall" or event.direction != "in":
        return False
    return bool(blocked) and (customer_number in blocked or (event.from_raw or "") in blocked)


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
