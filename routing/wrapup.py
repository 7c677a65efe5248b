"""After-contact work (wrap-up) and what the end of an offer counts as. Pure: no I/O.

When an agent's call ends (or a contact is put into wrap-up), the agent works on it for the
after-call-work time of its queue (``QueuePolicy.wrap_up``; for calls the department's
``after_call_work_seconds``) and gets no offer meanwhile. Where the department requires an
outcome, wrap-up lasts past that time until the agent chooses one. The agent may end it early by
choosing the outcome and pressing "Ready", or extend it; when the time runs out with no outcome
required, the conversation closes by itself (as Flex's and Genesys's automatic wrap-up do).

An offer that times out counts as *ignored* (toward autopause) only when the agent could be
reached; while their websocket is gone it is *unreachable* and does not count.
"""

from __future__ import annotations

from dataclasses import dataclass

from routing.model import AgentState

OFFER_OUTCOMES = ("accepted", "rejected", "ignored", "unreachable")
MAX_EXTENSION = 600.0  # seconds one extension may add
MAX_WRAP_UP = 3600.0  # after-call work never runs longer than this from now, however often extended


def offer_outcome(*, timed_out: bool, reachable: bool) -> str:
    """What a declined offer counts as: ``rejected`` (by the agent), ``ignored`` or ``unreachable``."""
    if not timed_out:
        return "rejected"
    return "ignored" if reachable else "unreachable"


@dataclass(frozen=True, slots=True)
class WrapUp:
    """The after-contact work a finished contact gives its agent."""

    seconds: float = 0.0
    hold: bool = False  # until the agent chooses an outcome

    @property
    def needed(self) -> bool:
        return self.seconds > 0 or self.hold


def wrap_up_for(seconds: float, outcome_required: bool, *, closed: bool) -> WrapUp:
    """The wrap-up after a contact ends. *closed*: its conversation was closed (with its outcome, or
    by someone else), so no outcome is waited for; the time still applies."""
    return WrapUp(max(0.0, seconds), outcome_required and not closed)


def wrap_ends(agent: AgentState, conversation_id: int, now: float, *, outcome_chosen: bool) -> bool:
    """Whether the agent's wrap-up of *conversation_id* ends now.

    With the outcome chosen (the agent pressed "Ready", or the conversation was closed) it ends at
    once; when its time ran out, only if no outcome is required and it was not extended past *now*.
    Not the agent's current wrap-up (another contact's, or over already): False.
    """
    if agent.wrap_conversation != conversation_id:
        return False
    if outcome_chosen:
        return True
    return not agent.wrap_hold and agent.wrap_until <= now


def extended_until(agent: AgentState, seconds: float, now: float) -> float:
    """The new end of the agent's after-call work when they ask for *seconds* more (capped)."""
    return min(max(agent.wrap_until, now) + min(max(seconds, 0.0), MAX_EXTENSION), now + MAX_WRAP_UP)
