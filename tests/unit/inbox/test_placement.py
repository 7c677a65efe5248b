"""Where inbound messages of a batch go: duplicates, threads, tokens, chat keys, customers."""

from __future__ import annotations

import pytest

from contact_center.channels import Identification
from contact_center.inbox.placement import Incoming, Known, Placement, ThreadHints, place

ANN = ("email", "ann@example.org")
BOB = ("email", "bob@example.org")


def test_new_sender_opens_a_conversation_with_a_new_customer() -> None:
    """An unknown sender gets a new conversation and a new customer for their identity."""
    assert place([Incoming("<a>", ANN)], Known()) == [Placement(opens=True, new_customer=ANN)]


def test_known_sender_opens_a_conversation_for_their_customer() -> None:
    """A known identity opens a conversation on the customer it names."""
    known = Known(owners={ANN: (5,)})
    assert place([Incoming("<a>", ANN)], known) == [Placement(opens=True, customer_id=5)]


@pytest.mark.parametrize(
    ("owners", "how", "expected"),
    [
        ({ANN: (8, 5)}, Identification.RECORD, Placement(opens=True, customer_id=8)),
        ({ANN: (8, 5)}, Identification.ASK, Placement(opens=True)),
        ({}, Identification.ASK, Placement(opens=True)),
    ],
    ids=["shared-best-ranked", "shared-ask", "unknown-ask"],
)
def test_the_sender_is_identified_by_the_rule_every_channel_shares(
        owners: dict[tuple[str, str], tuple[int, ...]], how: Identification, expected: Placement) -> None:
    """Placement applies customers.identity.who with the channel's rule: a shared identity goes to its
    best-ranked owner on a written channel; a channel that asks leaves shared and unknown senders open."""
    assert place([Incoming("<a>", ANN, identification=how)], Known(owners=owners)) == [expected]


def test_duplicates_in_store_and_in_batch_are_skipped() -> None:
    """An id already stored, or seen earlier in the same batch, is a duplicate."""
    batch = [Incoming("<old>", ANN), Incoming("<a>", ANN), Incoming("<a>", ANN)]
    result = place(batch, Known(duplicates=frozenset({"<old>"})))
    assert [p.duplicate for p in result] == [True, False, True]


def test_reply_joins_the_stored_conversation_of_what_it_answers() -> None:
    """In-Reply-To/References naming a stored message join its conversation and customer."""
    known = Known(conversation_of_message={"<q>": 9}, customer_of_conversation={9: 5})
    [p] = place([Incoming("<r>", BOB, reply_to=("<x>", "<q>"))], known)
    assert p == Placement(conversation_id=9, customer_id=5)


def test_reply_within_the_batch_joins_the_new_conversation() -> None:
    """A reply to a message earlier in the same batch joins the conversation that one opened."""
    batch = [Incoming("<q>", ANN), Incoming("<r>", ANN, reply_to=("<q>",)), Incoming("<s>", ANN, reply_to=("<r>",))]
    result = place(batch, Known())
    assert result[0].opens
    assert result[1].joins_new == 0
    assert result[2].joins_new == 0
    assert result[2].new_customer == ANN


def test_references_win_over_the_subject_token() -> None:
    """Headers first: a token naming another conversation does not move a threaded reply."""
    known = Known(conversation_of_message={"<q>": 9}, valid_conversations=frozenset({4}))
    [p] = place([Incoming("<r>", ANN, reply_to=("<q>",), conversation_id=4)], known)
    assert p.conversation_id == 9


def test_valid_token_joins_when_headers_were_rewritten() -> None:
    """Without usable references, a verified subject token joins its conversation."""
    known = Known(valid_conversations=frozenset({4}), customer_of_conversation={4: 2})
    [p] = place([Incoming("<r>", ANN, reply_to=("<unknown>",), conversation_id=4)], known)
    assert p == Placement(conversation_id=4, customer_id=2)


def test_unverified_token_is_ignored() -> None:
    """A token that did not check out against the store opens a new conversation."""
    [p] = place([Incoming("<r>", ANN, conversation_id=4)], Known())
    assert p.opens


def test_chat_messages_share_the_visitors_conversation() -> None:
    """Chat messages with the same key join the stored conversation, or the one the batch opened."""
    known = Known(conversation_of_ref={"chat:v1": 3}, customer_of_conversation={3: 8})
    batch = [Incoming("v1:1", ("chat", "v1"), conversation_ref="chat:v1"),
             Incoming("v2:1", ("chat", "v2"), conversation_ref="chat:v2"),
             Incoming("v2:2", ("chat", "v2"), conversation_ref="chat:v2")]
    result = place(batch, known)
    assert result[0] == Placement(conversation_id=3, customer_id=8)
    assert result[1].opens
    assert result[2].joins_new == 1


def test_sender_without_identity_opens_a_conversation_without_customer() -> None:
    """Mail whose sender could not be read is kept, on a conversation with no customer."""
    assert place([Incoming("<a>", None)], Known()) == [Placement(opens=True)]


DAY = 86400.0
REPLY = ThreadHints(subject_key="invoice 42", is_reply=True, window_seconds=14 * DAY)


def test_thread_index_joins_the_stored_conversation_of_its_thread() -> None:
    """An Outlook reply carrying only Thread-Index (no In-Reply-To, no References) joins its thread."""
    known = Known(conversation_of_thread={"01d9ab": 7}, customer_of_conversation={7: 3})
    [p] = place([Incoming("<r1>", ANN, hints=ThreadHints(thread_key="01d9ab"))], known)
    assert (p.conversation_id, p.customer_id) == (7, 3)


def test_thread_index_within_the_batch_joins_the_new_conversation() -> None:
    """Two messages of one Outlook thread in one batch share the conversation the first opens."""
    first = Incoming("<a>", ANN, hints=ThreadHints(thread_key="01d9ab"))
    second = Incoming("<b>", ("email", "bob@example.org"), hints=ThreadHints(thread_key="01d9ab"))
    assert place([first, second], Known())[1].joins_new == 0


@pytest.mark.parametrize(
    ("known", "hints", "joins"),
    [
        # the same customer, a reply prefix, within the window: joins
        (Known(owners={ANN: (3,)}, recent_subjects={(3, "invoice 42"): (7, 1000 * DAY)},
               customer_of_conversation={7: 3}, now=1001 * DAY), REPLY, 7),
        # last message 15 days ago, window 14 days: a new conversation
        (Known(owners={ANN: (3,)}, recent_subjects={(3, "invoice 42"): (7, 1000 * DAY)},
               customer_of_conversation={7: 3}, now=1015 * DAY), REPLY, None),
        # the subject has no reply prefix: a new matter
        (Known(owners={ANN: (3,)}, recent_subjects={(3, "invoice 42"): (7, 1000 * DAY)},
               customer_of_conversation={7: 3}, now=1001 * DAY),
         ThreadHints(subject_key="invoice 42", is_reply=False, window_seconds=14 * DAY), None),
        # another customer's conversation with that subject: never
        (Known(owners={ANN: (3,)}, recent_subjects={(4, "invoice 42"): (8, 1000 * DAY)},
               customer_of_conversation={8: 4}, now=1001 * DAY), REPLY, None),
        # a sender who is not a customer yet cannot join anybody's conversation by subject
        (Known(recent_subjects={(3, "invoice 42"): (7, 1000 * DAY)}, customer_of_conversation={7: 3},
               now=1001 * DAY), REPLY, None),
        # the rule turned off (window 0)
        (Known(owners={ANN: (3,)}, recent_subjects={(3, "invoice 42"): (7, 1000 * DAY)},
               customer_of_conversation={7: 3}, now=1001 * DAY),
         ThreadHints(subject_key="invoice 42", is_reply=True, window_seconds=0), None),
    ],
)
def test_subject_rule_is_guarded(known: Known, hints: ThreadHints, joins: int | None) -> None:
    """A reply joins by subject only the same customer's recent conversation; otherwise it opens a new one."""
    [p] = place([Incoming("<r>", ANN, hints=hints)], known)
    assert p.conversation_id == joins
    assert p.opens is (joins is None)


def test_subject_rule_within_the_batch_needs_the_same_sender() -> None:
    """In one batch, a reply joins the conversation its own sender opened with that subject, not another's."""
    bob = ("email", "bob@example.org")
    original = Incoming("<o>", ANN, hints=ThreadHints(subject_key="invoice 42"))
    ann_reply = Incoming("<a>", ANN, hints=REPLY)
    bob_reply = Incoming("<b>", bob, hints=REPLY)
    placed = place([original, ann_reply, bob_reply], Known())
    assert placed[1].joins_new == 0
    assert placed[2].opens
