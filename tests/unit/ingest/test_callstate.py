"""Folding CTI events into a call leg in any order, and what gets announced (pure)."""

from __future__ import annotations

import datetime as dt

import pytest

from contact_center.events import CallAnswered, CallEnded, CallRang, DtmfReceived
from contact_center.ingest.callstate import CallFacts, apply, events_for
from contact_center.ingest.signals import CallSignal as CtiEvent

T0 = dt.datetime(2024, 6, 1, 12, 0, tzinfo=dt.UTC)
NEW = CtiEvent(event="newCall", call_id="c", direction="in", from_raw="030 1111111", to_raw="+4930123",
               users=("Ann",))
ANSWER = CtiEvent(event="answer", call_id="c", answering_number="201")
HANGUP = CtiEvent(event="hangup", call_id="c", cause="normalClearing")
CANCEL = CtiEvent(event="hangup", call_id="c", cause="cancel")
FORWARD = CtiEvent(event="hangup", call_id="c", cause="forwarded")
DTMF = CtiEvent(event="dtmf", call_id="c", dtmf="1")


def play(*steps: tuple[CtiEvent, int]) -> CallFacts:
    facts = None
    for ev, seconds in steps:
        facts = apply(facts, ev, pbx="p", at=T0 + dt.timedelta(seconds=seconds),
                      from_number="+49301111111" if ev.from_raw else None, user_id=7 if ev.event == "answer" else None)
    assert facts is not None
    return facts


@pytest.mark.parametrize(
    ("steps", "state", "missed", "waiting", "talking"),
    [
        (((NEW, 0),), "ringing", False, None, None),
        (((NEW, 0), (ANSWER, 5), (HANGUP, 65)), "ended", False, 5.0, 60.0),
        (((NEW, 0), (CANCEL, 20)), "ended", True, 20.0, None),
        (((NEW, 0), (FORWARD, 10)), "ended", False, 10.0, None),
        (((ANSWER, 5), (NEW, 6), (HANGUP, 65)), "ended", False, 0.0, 60.0),
        (((HANGUP, 65), (ANSWER, 66), (NEW, 67)), "ended", False, 0.0, 0.0),
        (((NEW, 0), (HANGUP, 65), (ANSWER, 66)), "ended", False, 65.0, 0.0),
        (((NEW, 0), (ANSWER, 5), (NEW, 9)), "answered", False, 5.0, None),
        (((NEW, 0), (DTMF, 2), (DTMF, 3)), "ringing", False, None, None),
    ],
)
def test_apply_in_any_order(steps: tuple[tuple[CtiEvent, int], ...], state: str, missed: bool,
                            waiting: float | None, talking: float | None) -> None:
    """State never moves back, times stay ordered (arrival times), a hangup without answer is missed."""
    facts = play(*steps)
    assert (facts.state, facts.missed, facts.waiting_seconds, facts.talking_seconds) == (state, missed, waiting,
                                                                                         talking)


def test_late_new_call_fills_numbers_and_keeps_the_answerer() -> None:
    """An answer before its newCall is reconciled: numbers and ringing users arrive later."""
    facts = play((ANSWER, 5), (NEW, 6))
    assert (facts.from_number, facts.users, facts.user_id, facts.customer_number) == (
        "+49301111111", ("Ann",), 7, "+49301111111")


def test_dtmf_digits_accumulate() -> None:
    """IVR digits add up in order."""
    assert play((NEW, 0), (DTMF, 1), (CtiEvent(event="dtmf", call_id="c", dtmf="2#"), 2)).dtmf == "12#"


def test_outbound_customer_is_the_callee() -> None:
    """For an outbound call the customer's number is the dialled one."""
    out = CtiEvent(event="newCall", call_id="c", direction="out", from_raw="201", to_raw="+4940555")
    assert apply(None, out, pbx="p", at=T0, to_number="+4940555").customer_number == "+4940555"


def _announce(before: CallFacts | None, ev: CtiEvent, at: int) -> list[type]:
    after = apply(before, ev, pbx="p", at=T0 + dt.timedelta(seconds=at), user_id=7)
    return [type(e) for e in events_for(before, after, ev, conversation_id=1)]


@pytest.mark.parametrize(
    ("history", "ev", "announced"),
    [
        ((), NEW, [CallRang]),
        (((NEW, 0),), NEW, []),
        (((NEW, 0),), ANSWER, [CallAnswered]),
        (((NEW, 0), (ANSWER, 1)), ANSWER, []),
        (((NEW, 0), (ANSWER, 1)), HANGUP, [CallEnded]),
        (((NEW, 0), (HANGUP, 1)), HANGUP, []),
        (((NEW, 0), (HANGUP, 1)), ANSWER, []),
        (((ANSWER, 1),), NEW, []),
        ((), ANSWER, [CallAnswered]),
        (((NEW, 0),), DTMF, [DtmfReceived]),
    ],
)
def test_events_for(history: tuple[tuple[CtiEvent, int], ...], ev: CtiEvent, announced: list[type]) -> None:
    """Each transition is announced once; late or repeated facts announce nothing."""
    before = play(*history) if history else None
    assert _announce(before, ev, 30) == announced


def test_missed_call_is_announced_missed() -> None:
    """The CallEnded of an unanswered call says missed; the ringing event names the ringing users."""
    rang = events_for(None, apply(None, NEW, pbx="p", at=T0), NEW, conversation_id=3, ringing_user_ids=(4,))[0]
    assert isinstance(rang, CallRang)
    assert (rang.users, rang.ringing_user_ids, rang.conversation_id) == (("Ann",), (4,), 3)
    before = play((NEW, 0))
    ended = events_for(before, apply(before, CANCEL, pbx="p", at=T0), CANCEL, conversation_id=3)[0]
    assert isinstance(ended, CallEnded)
    assert ended.missed is True
