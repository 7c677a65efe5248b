"""The conversation state machine: pure, no I/O.

A conversation moves through ``queued → offered → assigned → wrap_up → closed``; an agent may
set it ``pending`` until a follow-up time (or a rescheduled callback), when it is queued again. Routing events
(offers, accepts, declines), agents (assign, wrap up, close, requeue), customers (a new inbound
message) and the PBX (a call answered or hung up) drive it; every channel's conversations,
calls included, change status only here. :func:`transition` decides the next state or raises :class:`Conflict`;
the repository applies the result with a conditional update, so a transition applied twice, or on
two instances at once, changes the row once.

::

    inbound   queued→queued  offered→offered  assigned→assigned  wrap_up→assigned  closed|pending→queued
    offer     queued|offered → offered(user)
    accept    queued|offered → assigned(user)        assigned(same user) → unchanged
    decline   offered(user) → queued                 any other state or user → unchanged
    assign    queued|offered|assigned|wrap_up → assigned(user)
    requeue   offered|assigned|wrap_up → queued      queued → unchanged
    wrap_up   assigned → wrap_up                     wrap_up → unchanged
    close     any open → closed                      closed → unchanged
    reopen    closed → queued                        open → unchanged
    answer    any open → assigned(user, or the owner so far)        closed → unchanged (a late answer)
    hang_up   assigned(user) → wrap_up(user)   wrap_up → unchanged   other open → closed (owner kept, else the user)
              closed|pending → unchanged  (an answered call goes to wrap-up: the agent chooses its outcome)
    snooze    assigned|wrap_up|closed → pending(owner kept, else the user)     pending → unchanged
    wake      pending → queued                                       any other state → unchanged

``pending`` is neither open nor closed: routing does not track it, and only ``wake``, ``inbound``
(the customer wrote again), ``assign``, ``close`` and ``snooze`` leave it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from contact_center.errors import Conflict

STATUSES = ("queued", "offered", "assigned", "wrap_up", "closed", "pending")
OPEN_STATUSES = ("queued", "offered", "assigned", "wrap_up")


class Action(StrEnum):
    """What happened to a conversation."""

    INBOUND = "inbound"
    OFFER = "offer"
    ACCEPT = "accept"
    DECLINE = "decline"
    ASSIGN = "assign"
    REQUEUE = "requeue"
    WRAP_UP = "wrap_up"
    CLOSE = "close"
    REOPEN = "reopen"
    ANSWER = "answer"  # the PBX: someone picked the call up
    HANG_UP = "hang_up"  # the PBX: the call ended (not handed on to another leg)
    SNOOZE = "snooze"  # an agent: pending until a follow-up (contact_center.tasks)
    WAKE = "wake"  # the follow-up (or rescheduled callback) is due: queued again


# Actions an agent or supervisor may ask for through the REST API (the others come from routing).
CONVERSATION_ACTIONS = ("assign", "requeue", "wrap_up", "close", "reopen")
_NEEDS_USER = (Action.OFFER, Action.ACCEPT, Action.DECLINE, Action.ASSIGN)


@dataclass(frozen=True)
class ConversationState:
    """The part of a conversation the state machine decides: its status and owner."""

    status: str
    user_id: int | None = None


def transition(state: ConversationState, action: Action, user_id: int | None = None) -> ConversationState:
    """The state after *action*; equal to *state* when the action changes nothing.

    Raises:
        Conflict: the action is not allowed in this state (for example wrap-up of a queued
            conversation, or an offer on a closed one).
        ValueError: *action* needs a *user_id* and got none, or *state* has an unknown status.
    """
    if state.status not in STATUSES:
        raise ValueError(f"unknown conversation status {state.status!r}")
    if action in _NEEDS_USER and user_id is None:
        raise ValueError(f"{action} needs a user id")
    result = _RULES[action](state, user_id)
    if result is None:
        raise Conflict(f"cannot {action.value.replace('_', ' ')} a conversation that is {state.status}")
    return result


def _inbound(s: ConversationState, _u: int | None) -> ConversationState:
    if s.status in ("closed", "pending"):
        return ConversationState("queued", None)
    if s.status == "wrap_up":
        return ConversationState("assigned", s.user_id)
    return s


def _offer(s: ConversationState, u: int | None) -> ConversationState | None:
    return ConversationState("offered", u) if s.status in ("queued", "offered") else None


def _accept(s: ConversationState, u: int | None) -> ConversationState | None:
    if s.status == "assigned" and s.user_id == u:
        return s
    return ConversationState("assigned", u) if s.status in ("queued", "offered") else None


def _decline(s: ConversationState, u: int | None) -> ConversationState:
    # A decline that arrives late (another agent already has it) changes nothing.
    return ConversationState("queued", None) if s.status == "offered" and s.user_id == u else s


def _assign(s: ConversationState, u: int | None) -> ConversationState | None:
    return ConversationState("assigned", u) if s.status in (*OPEN_STATUSES, "pending") else None


def _requeue(s: ConversationState, _u: int | None) -> ConversationState | None:
    if s.status in ("closed", "pending"):
        return None
    return ConversationState("queued", None)


def _wrap_up(s: ConversationState, _u: int | None) -> ConversationState | None:
    if s.status == "wrap_up":
        return s
    return ConversationState("wrap_up", s.user_id) if s.status == "assigned" else None


def _close(s: ConversationState, _u: int | None) -> ConversationState:
    return s if s.status == "closed" else ConversationState("closed", s.user_id)


def _reopen(s: ConversationState, _u: int | None) -> ConversationState:
    return ConversationState("queued", None) if s.status == "closed" else s


def _answer(s: ConversationState, u: int | None) -> ConversationState:
    if s.status in ("closed", "pending"):
        return s
    return ConversationState("assigned", u if u is not None else s.user_id)


def _hang_up(s: ConversationState, u: int | None) -> ConversationState:
    if s.status in ("closed", "pending", "wrap_up"):
        return s
    if s.status == "assigned" and s.user_id is not None:
        return ConversationState("wrap_up", s.user_id)  # after-call work: routing times it
    return ConversationState("closed", s.user_id if s.user_id is not None else u)


def _snooze(s: ConversationState, u: int | None) -> ConversationState | None:
    if s.status == "pending":
        return s
    if s.status in ("assigned", "wrap_up", "closed"):
        return ConversationState("pending", s.user_id if s.user_id is not None else u)
    return None  # waiting or on offer: an agent takes it first


def _wake(s: ConversationState, _u: int | None) -> ConversationState:
    return ConversationState("queued", None) if s.status == "pending" else s


_RULES = {
    Action.INBOUND: _inbound,
    Action.OFFER: _offer,
    Action.ACCEPT: _accept,
    Action.DECLINE: _decline,
    Action.ASSIGN: _assign,
    Action.REQUEUE: _requeue,
    Action.WRAP_UP: _wrap_up,
    Action.CLOSE: _close,
    Action.REOPEN: _reopen,
    Action.ANSWER: _answer,
    Action.HANG_UP: _hang_up,
    Action.SNOOZE: _snooze,
    Action.WAKE: _wake,
}
