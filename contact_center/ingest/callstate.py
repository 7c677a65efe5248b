"""Pure call-leg bookkeeping: fold CTI events into a call's facts, in whatever order they come.

PBXs retry, reorder and lose posts. :func:`apply` accepts any event at any time: an ``answer``
or ``hangup`` before its ``newCall`` creates the leg and the late ``newCall`` fills in the
numbers without moving the state back; a ``hangup`` with no ``answer`` is a missed call (unless
the leg was forwarded, when a new leg with ``origCallId`` carries on; an ``answer`` by a voicemail
box counts as no answer, as in Zammad); an ``answer`` that
arrives after the ``hangup`` turns the missed call into an answered one. Times never run
backwards: ringing <= answered <= ended. :func:`events_for` says what to announce on the bus.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from contact_center.events import CallAnswered, CallEnded, CallRang, DtmfReceived, Event
from contact_center.ingest.signals import CallSignal

_RANK = {"ringing": 0, "answered": 1, "ended": 2}
_MAX_DTMF = 64


@dataclass(frozen=True)
class CallFacts:
    """Everything known about one call leg."""

    call_id: str
    pbx: str
    direction: str | None = None
    from_raw: str | None = None
    to_raw: str | None = None
    from_number: str | None = None  # E.164 when it could be normalised
    to_number: str | None = None
    state: str = "ringing"  # ringing | answered | ended
    queue: str | None = None
    diversion: str | None = None
    orig_call_id: str | None = None
    users: tuple[str, ...] = ()
    user_id: int | None = None
    answering_number: str | None = None
    cause: str | None = None
    dtmf: str | None = None
    ringing_at: dt.datetime | None = None
    answered_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    seen_new_call: bool = False

    @property
    def missed(self) -> bool:
        """Ended without anyone answering, and not handed on to another leg."""
        return self.state == "ended" and self.answered_at is None and self.cause != "forwarded"

    @property
    def customer_number(self) -> str | None:
        """The customer's side, normalised when possible: the caller inbound, the callee outbound."""
        if self.direction == "out":
            return self.to_number or self.to_raw
        return self.from_number or self.from_raw

    @property
    def waiting_seconds(self) -> float | None:
        stop = self.answered_at or self.ended_at
        return (stop - self.ringing_at).total_seconds() if self.ringing_at and stop else None

    @property
    def talking_seconds(self) -> float | None:
        if self.answered_at and self.ended_at:
            return (self.ended_at - self.answered_at).total_seconds()
        return None


def _numbers(f: dict[str, Any], ev: CallSignal, from_number: str | None, to_number: str | None) -> None:
    # newCall is authoritative for the numbers; other events only fill gaps.
    authoritative = ev.event == "newCall"
    for name, new in (("direction", ev.direction), ("from_raw", ev.from_raw), ("to_raw", ev.to_raw),
                      ("from_number", from_number), ("to_number", to_number)):
        if new is not None and (authoritative or f[name] is None):
            f[name] = new


def _ordered_times(f: dict[str, Any]) -> None:
    answered, ended = f["answered_at"], f["ended_at"]
    if answered and ended and answered > ended:
        answered = ended
    times = [t for t in (f["ringing_at"], answered, ended) if t is not None]
    f["ringing_at"] = min(times) if times else None
    f["answered_at"] = answered


def _event(f: dict[str, Any], ev: CallSignal, at: dt.datetime, user_id: int | None) -> None:
    if ev.event == "newCall":
        f.update(users=ev.users or f["users"], queue=ev.queue or f["queue"], diversion=ev.diversion or f["diversion"],
                 orig_call_id=ev.orig_call_id or f["orig_call_id"],
                 ringing_at=min(f["ringing_at"], at) if f["ringing_at"] else at, seen_new_call=True)
    elif ev.event == "answer" and ev.voicemail:
        # A voicemail box took the call: nobody answered it, so it stays open and ends missed.
        f.update(answering_number=f["answering_number"] or ev.answering_number)
    elif ev.event == "answer":
        f.update(state=f["state"] if _RANK[f["state"]] > _RANK["answered"] else "answered",
                 answered_at=f["answered_at"] or at, user_id=user_id or f["user_id"],
                 answering_number=ev.answering_number or f["answering_number"])
    elif ev.event == "hangup":
        f.update(state="ended", ended_at=f["ended_at"] or at, cause=ev.cause or f["cause"],
                 user_id=f["user_id"] or user_id, answering_number=f["answering_number"] or ev.answering_number)
    elif ev.event == "dtmf":
        f.update(dtmf=((f["dtmf"] or "") + (ev.dtmf or ""))[-_MAX_DTMF:],
                 orig_call_id=f["orig_call_id"] or ev.orig_call_id)


def apply(
    current: CallFacts | None, ev: CallSignal, *, pbx: str, at: dt.datetime,
    from_number: str | None = None, to_number: str | None = None, user_id: int | None = None,
) -> CallFacts:
    """The call's facts after *ev* (received at *at*); *current* is ``None`` for a new leg.

    *from_number*/*to_number* are the event's numbers normalised to E.164 (or ``None``);
    *user_id* is the agent the event's ``user``/``answeringNumber`` maps to.
    """
    # One dict of fields and one construction (``dataclasses.replace`` three times cost ~30 µs a post).
    fields = dict(vars(current or CallFacts(call_id=ev.call_id, pbx=pbx, ringing_at=at)))
    _numbers(fields, ev, from_number, to_number)
    _event(fields, ev, at, user_id)
    _ordered_times(fields)
    return CallFacts(**fields)


def events_for(
    before: CallFacts | None, after: CallFacts, ev: CallSignal, *, conversation_id: int,
    customer_id: int | None = None, candidate_ids: tuple[int, ...] = (), ringing_user_ids: tuple[int, ...] = (),
) -> list[Event]:
    """What to publish after *ev* turned *before* into *after* (nothing for a no-op)."""
    at = (after.ended_at if ev.event == "hangup" else after.answered_at if ev.event == "answer" else None)
    stamp = at.timestamp() if at else dt.datetime.now(dt.UTC).timestamp()
    if ev.event == "newCall":
        if (before is not None and before.seen_new_call) or after.state != "ringing":
            return []
        return [CallRang(
            call_id=after.call_id, pbx=after.pbx, direction=after.direction or "in",
            from_number=after.from_number or after.from_raw or "", to_number=after.to_number or after.to_raw or "",
            conversation_id=conversation_id, customer_id=customer_id, candidate_ids=candidate_ids,
            users=after.users, queue=after.queue, orig_call_id=after.orig_call_id,
            ringing_user_ids=ringing_user_ids)]
    if ev.event == "answer":
        if (before is not None and before.answered_at is not None) or after.state != "answered":
            return []
        return [CallAnswered(call_id=after.call_id, conversation_id=conversation_id, user_id=after.user_id,
                             answering_number=after.answering_number, customer_id=customer_id, at=stamp)]
    if ev.event == "hangup":
        if before is not None and before.state == "ended":
            return []
        return [CallEnded(call_id=after.call_id, conversation_id=conversation_id, cause=after.cause or "normalClearing",
                          missed=after.missed, user_id=after.user_id, at=stamp)]
    return [DtmfReceived(call_id=after.call_id, conversation_id=conversation_id, digits=ev.dtmf or "")]
