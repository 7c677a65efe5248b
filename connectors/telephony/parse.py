"""Pure parsing of generic CTI push bodies (Zammad's generic CTI, as sipgate.io originated it).

Events and fields, in whichever body form the PBX posts (JSON, url-encoded, multipart form data
or URL variables; :func:`contact_center.http.bodies.read_body` turns each into one mapping)::

    newCall  from, to, direction (in|out), callId, [user | user[]], [userId[]], [fullUserId[]],
             [queue], [diversion], [origCallId | originalCallId]
    answer   callId, [user], [userId], [fullUserId], [answeringNumber], [from, to, direction]
    hangup   callId, [cause], [answeringNumber], [user], [from, to, direction]
    dtmf     callId, [dtmf] (empty when the caller pressed nothing), [origCallId]

As in Zammad, ``cause`` may be missing or empty (the call still ends) and ``callId`` may be up to
250 characters. ``call_id``/``callid`` and ``answering_number`` are accepted as spellings some PBX
scripts use; ``user``, ``userId`` and ``fullUserId`` may each be one value or a list, with or
without ``[]``. An ``answer`` by a voicemail (``user=voicemail``, or any of the PBX's configured
voicemail names, in ``user`` or ``answeringNumber``) is flagged ``voicemail``: the call stays
unanswered and ends missed, as Zammad keeps it "not done".

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
    "hangup": (),
    "dtmf": (),
}
_ALIASES = {
    "callId": ("callId", "call_id", "callid", "CallId"),
    "answeringNumber": ("answeringNumber", "answering_number"),
    "origCallId": ("origCallId", "orig_call_id", "originalCallId"),
    "user": ("user", "user[]"),
    "userId": ("userId", "userId[]"),
    "fullUserId": ("fullUserId", "fullUserId[]"),
}
#: Longest accepted value per field: the store's column widths (Zammad keeps 250 for callId).
MAX_LENGTH = {"callId": 250, "origCallId": 250, "from": 100, "to": 100, "diversion": 100, "answeringNumber": 100,
              "queue": 100, "cause": 100, "dtmf": 64, "event": 16, "direction": 4}
_MAX_NAME = 128  # one user name or id
DEFAULT_VOICEMAIL_NAMES = frozenset({"voicemail"})
_OPTIONAL = ("from", "to", "direction", "queue", "diversion", "origCallId", "answeringNumber", "cause", "dtmf")
# Every spelling a body may use -> the field it fills (to look up only the fields a body has).
_FIELD_OF = {**{name: name for name in _OPTIONAL},
             **{alias: name for name, aliases in _ALIASES.items() for alias in aliases}}


# The core's call signal: what this connector hands over for each parsed post.
CtiEvent = CallSignal


# The fields a digest covers: ``voicemail`` is derived from ``users`` and the configuration, and
# ``user_ids`` counts only when present, so fingerprints stored before these fields existed hold.
_DIGESTED = tuple(f.name for f in fields(CtiEvent) if f.name not in ("voicemail", "user_ids"))


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
    limit = MAX_LENGTH.get(name, _MAX_NAME)
    if len(text) > limit:
        raise ValidationError(name, f"'{name}' is longer than {limit} characters")
    if required and not text:
        raise ValidationError(name, f"'{name}' is required")
    return text or None


def _names(body: Mapping[str, Any], *names: str) -> tuple[str, ...]:
    out: list[str] = []
    for field in names:
        value = _get(body, field)
        items = value if isinstance(value, list) else [value] if value is not None else []
        for item in items:
            if isinstance(item, bool) or not isinstance(item, (str, int)):
                raise ValidationError(field, f"'{field}' must be a name or a list of names")
            name = str(item).strip()
            if name and name not in out:
                out.append(name[:_MAX_NAME])
    return tuple(out)


def parse_cti(body: Mapping[str, Any], *, voicemail_names: frozenset[str] = DEFAULT_VOICEMAIL_NAMES) -> CtiEvent:
    """Validate a CTI body and return the event.

    *voicemail_names*: lower-case names (``user``) or numbers (``answeringNumber``) that mean the
    PBX's voicemail answered.

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
    users = _names(body, "user")
    voicemail = event == "answer" and is_voicemail(users, fields["answeringNumber"], voicemail_names)
    return CtiEvent(
        event=event, call_id=call_id, direction=fields["direction"], from_raw=fields["from"], to_raw=fields["to"],
        users=users, queue=fields["queue"], diversion=fields["diversion"],
        orig_call_id=fields["origCallId"], answering_number=fields["answeringNumber"], cause=fields["cause"],
        dtmf=fields["dtmf"], user_ids=_names(body, "userId", "fullUserId"), voicemail=voicemail,
    )


def is_voicemail(users: tuple[str, ...], answering_number: str | None, names: frozenset[str]) -> bool:
    """True when the answering party is a voicemail box: every named user, or the answering number,
    is one of *names* (lower-case). Zammad's rule is ``user == "voicemail"``."""
    if users:
        return all(u.lower() in names for u in users)
    return answering_number is not None and answering_number.lower() in names


def digest(pbx: str, event: CtiEvent) -> str:
    """A stable fingerprint of *event* from *pbx*: the same post (JSON or form) gives the same one."""
    # A shallow field dict: the same JSON as ``asdict`` (the fields are strings and tuples of strings)
    # at a fraction of its cost, so fingerprints stored before stay valid.
    values: dict[str, Any] = {name: getattr(event, name) for name in _DIGESTED}
    if event.user_ids:
        values["user_ids"] = event.user_ids
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
