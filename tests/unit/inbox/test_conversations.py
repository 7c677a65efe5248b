"""The conversation state machine, as a table."""

from __future__ import annotations

import pytest

from contact_center.errors import Conflict
from contact_center.inbox.conversations import Action, ConversationState, transition

S = ConversationState

ALLOWED = [
    (S("queued"), Action.INBOUND, None, S("queued")),
    (S("assigned", 7), Action.INBOUND, None, S("assigned", 7)),
    (S("wrap_up", 7), Action.INBOUND, None, S("assigned", 7)),
    (S("closed", 7), Action.INBOUND, None, S("queued")),
    (S("queued"), Action.OFFER, 7, S("offered", 7)),
    (S("offered", 7), Action.OFFER, 8, S("offered", 8)),
    (S("offered", 7), Action.ACCEPT, 7, S("assigned", 7)),
    (S("queued"), Action.ACCEPT, 7, S("assigned", 7)),
    (S("assigned", 7), Action.ACCEPT, 7, S("assigned", 7)),
    (S("offered", 7), Action.DECLINE, 7, S("queued")),
    (S("offered", 8), Action.DECLINE, 7, S("offered", 8)),
    (S("assigned", 8), Action.DECLINE, 7, S("assigned", 8)),
    (S("queued"), Action.ASSIGN, 3, S("assigned", 3)),
    (S("assigned", 7), Action.ASSIGN, 3, S("assigned", 3)),
    (S("wrap_up", 7), Action.ASSIGN, 3, S("assigned", 3)),
    (S("assigned", 7), Action.REQUEUE, None, S("queued")),
    (S("queued"), Action.REQUEUE, None, S("queued")),
    (S("assigned", 7), Action.WRAP_UP, None, S("wrap_up", 7)),
    (S("wrap_up", 7), Action.WRAP_UP, None, S("wrap_up", 7)),
    (S("assigned", 7), Action.CLOSE, None, S("closed", 7)),
    (S("queued"), Action.ANSWER, 7, S("assigned", 7)),
    (S("offered", 8), Action.ANSWER, 7, S("assigned", 7)),
    (S("offered", 8), Action.ANSWER, None, S("assigned", 8)),
    (S("closed", 8), Action.ANSWER, 7, S("closed", 8)),
    (S("assigned", 7), Action.HANG_UP, 9, S("wrap_up", 7)),
    (S("assigned"), Action.HANG_UP, 9, S("closed", 9)),
    (S("wrap_up", 7), Action.HANG_UP, 9, S("wrap_up", 7)),
    (S("offered", 7), Action.HANG_UP, 7, S("closed", 7)),
    (S("queued"), Action.HANG_UP, 9, S("closed", 9)),
    (S("queued"), Action.HANG_UP, None, S("closed")),
    (S("closed", 7), Action.HANG_UP, 9, S("closed", 7)),
    (S("queued"), Action.CLOSE, None, S("closed")),
    (S("closed", 7), Action.CLOSE, None, S("closed", 7)),
    (S("closed", 7), Action.REOPEN, None, S("queued")),
    (S("assigned", 7), Action.REOPEN, None, S("assigned", 7)),
]

REFUSED = [
    (S("closed"), Action.OFFER, 7),
    (S("assigned", 7), Action.OFFER, 8),
    (S("closed"), Action.ACCEPT, 7),
    (S("assigned", 8), Action.ACCEPT, 7),
    (S("closed"), Action.ASSIGN, 7),
    (S("closed"), Action.REQUEUE, None),
    (S("queued"), Action.WRAP_UP, None),
    (S("closed"), Action.WRAP_UP, None),
]


@pytest.mark.parametrize(("state", "action", "user", "expected"), ALLOWED)
def test_allowed_transitions(state: S, action: Action, user: int | None, expected: S) -> None:
    """Each allowed action leads to the documented state (unchanged where it is a no-op)."""
    assert transition(state, action, user) == expected


@pytest.mark.parametrize(("state", "action", "user"), REFUSED)
def test_refused_transitions(state: S, action: Action, user: int | None) -> None:
    """Actions the state does not allow raise Conflict (HTTP 409)."""
    with pytest.raises(Conflict):
        transition(state, action, user)


@pytest.mark.parametrize("action", [Action.OFFER, Action.ACCEPT, Action.DECLINE, Action.ASSIGN])
def test_actions_that_name_an_agent_need_one(action: Action) -> None:
    """Offer, accept, decline and assign without a user id are programming errors."""
    with pytest.raises(ValueError, match="needs a user id"):
        transition(S("queued"), action)


def test_unknown_status_is_rejected() -> None:
    """A status outside the five known ones is a ValueError, not a silent pass."""
    with pytest.raises(ValueError, match="unknown conversation status"):
        transition(S("ringing"), Action.CLOSE)
