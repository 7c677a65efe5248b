"""Where each inbound message of a batch belongs: pure, no I/O.

The repository looks up what the store already knows about a batch (a handful of queries for
the whole batch, see :class:`Known`), then :func:`place` decides, message by message and in
arrival order, whether it is a duplicate, which conversation it joins (an existing one, or one
opened earlier in the same batch) and which customer it belongs to. Threading order:

1. the messages it answers (email ``In-Reply-To``/``References``, newest reference first),
2. the conversation token in its subject (``[#42-k7x2mq3p]``), checked against the store,
3. the channel's own conversation key (a chat visitor's conversation, an Outlook
   ``Thread-Index``: :attr:`ThreadHints.thread_key`),
4. the subject rule: a reply (its subject has a reply prefix) joins the most recent conversation
   *of the same customer* whose subject is the same once prefixes are stripped, if that
   conversation had a message within the channel's window (or the same sender's conversation
   opened earlier in the batch); never another customer's conversation,
5. otherwise a new conversation for the sender's customer, decided by the identification rule
   every channel shares (:func:`contact_center.customers.identity.who`: the owner of the sender's
   identity, the best-ranked one when several share it, or a new customer shared by every message
   of the batch from the same identity).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from contact_center.channels import Identification
from contact_center.customers.identity import Key as Identity
from contact_center.customers.identity import who


@dataclass(frozen=True)
class ThreadHints:
    """What a channel knows about a message's thread beyond explicit references (email).

    ``thread_key``: a key every message of the thread carries (Outlook's ``Thread-Index`` head).
    ``subject_key``: the subject without reply prefixes or token, normalised; ``is_reply``: the
    subject had a reply prefix (only replies may use the subject rule). ``window_seconds``: how
    long after a conversation's last message a reply may still join it by subject (0: never).
    """

    thread_key: str | None = None
    subject_key: str | None = None
    is_reply: bool = False
    window_seconds: float = 0.0


NO_HINTS = ThreadHints()


@dataclass(frozen=True)
class Incoming:
    """The threading-relevant facts of one inbound message."""

    external_id: str
    identity: Identity | None  # None: a sender we cannot identify (no customer)
    reply_to: tuple[str, ...] = ()  # external ids this message answers, most relevant first
    conversation_id: int | None = None  # from a verified subject token
    conversation_ref: str | None = None  # channel conversation key (chat)
    hints: ThreadHints = NO_HINTS
    identification: Identification = Identification.RECORD  # the channel's (contact_center.channels)


@dataclass(frozen=True)
class Known:
    """What the store knows about the batch's references."""

    duplicates: frozenset[str] = frozenset()
    conversation_of_message: Mapping[str, int] = field(default_factory=dict)
    conversation_of_ref: Mapping[str, int] = field(default_factory=dict)
    valid_conversations: frozenset[int] = frozenset()  # token targets that exist and match
    customer_of_conversation: Mapping[int, int | None] = field(default_factory=dict)
    # identity -> its live customers, best-ranked first (customers.repository.ranked_owners_sync)
    owners: Mapping[Identity, tuple[int, ...]] = field(default_factory=dict)
    conversation_of_thread: Mapping[str, int] = field(default_factory=dict)  # thread key -> latest conversation
    # (customer id, subject key) -> (the customer's latest conversation with that subject, its last message
    # as seconds since the epoch); only the customers and subjects of the batch's replies
    recent_subjects: Mapping[tuple[int, str], tuple[int, float]] = field(default_factory=dict)
    now: float = 0.0  # seconds since the epoch, when the batch is placed


@dataclass(frozen=True)
class Placement:
    """The decision for one message. Exactly one of ``conversation_id``/``opens``/``joins_new``
    is set unless ``duplicate``; likewise ``customer_id``/``new_customer`` (or neither when a
    joined conversation has no customer)."""

    duplicate: bool = False
    conversation_id: int | None = None  # joins this stored conversation
    opens: bool = False  # opens a new conversation (keyed by this message's index)
    joins_new: int | None = None  # joins the conversation opened by message number joins_new
    customer_id: int | None = None
    new_customer: Identity | None = None  # a customer created for this identity in this batch


def place(batch: Sequence[Incoming], known: Known) -> list[Placement]:
    """Decide where every message of *batch* goes, in order (later messages see earlier ones)."""
    seen: set[str] = set(known.duplicates)
    local_thread: dict[str, tuple[int | None, int | None]] = {}  # external id -> (stored id, new index)
    local_ref: dict[str, int] = {}  # conversation ref or thread key -> index of the message that opened it
    local_subject: dict[tuple[Identity, str], tuple[int | None, int | None]] = {}  # (sender, subject) -> thread
    out: list[Placement] = []
    for index, item in enumerate(batch):
        if item.external_id in seen:
            out.append(Placement(duplicate=True))
            continue
        seen.add(item.external_id)
        stored, new = _thread(item, known, local_thread, local_ref)
        if stored is None and new is None:
            stored, new = _by_subject(item, known, local_subject)
        if stored is not None:
            placement = Placement(conversation_id=stored, customer_id=known.customer_of_conversation.get(stored))
        elif new is not None:
            placement = _join_new(out[new], new)
        else:
            placement = _open(item, index, known)
            for key in (item.conversation_ref, item.hints.thread_key):
                if key:
                    local_ref.setdefault(key, index)
            new = index
        if item.identity is not None and item.hints.subject_key:
            local_subject.setdefault((item.identity, item.hints.subject_key), (stored, new))
        local_thread[item.external_id] = (stored, None if stored is not None else new)
        out.append(placement)
    return out


def _thread(
    item: Incoming, known: Known, local: Mapping[str, tuple[int | None, int | None]], local_ref: Mapping[str, int]
) -> tuple[int | None, int | None]:
    for ref in item.reply_to:
        if ref in local:
            return local[ref]
        if ref in known.conversation_of_message:
            return known.conversation_of_message[ref], None
    if item.conversation_id is not None and item.conversation_id in known.valid_conversations:
        return item.conversation_id, None
    for key, stored in ((item.conversation_ref, known.conversation_of_ref),
                        (item.hints.thread_key, known.conversation_of_thread)):
        if key and key in stored:
            return stored[key], None
        if key and key in local_ref:
            return None, local_ref[key]
    return None, None


def _by_subject(item: Incoming, known: Known,
                local: Mapping[tuple[Identity, str], tuple[int | None, int | None]]) -> tuple[int | None, int | None]:
    """The subject rule (see the module docstring): same customer, a reply prefix, within the window."""
    hints = item.hints
    if not (hints.is_reply and hints.subject_key and hints.window_seconds > 0 and item.identity is not None):
        return None, None
    earlier = local.get((item.identity, hints.subject_key))  # the same sender, earlier in this batch
    if earlier is not None:
        return earlier
    customer = customer_of(item, known.owners)
    found = known.recent_subjects.get((customer, hints.subject_key)) if customer is not None else None
    if found is not None and known.customer_of_conversation.get(found[0], customer) == customer \
            and 0 <= known.now - found[1] <= hints.window_seconds:
        return found[0], None
    return None, None


def _join_new(opener: Placement, opener_index: int) -> Placement:
    root = opener.joins_new if opener.joins_new is not None else opener_index
    return Placement(joins_new=root, customer_id=opener.customer_id, new_customer=opener.new_customer)


def customer_of(item: Incoming, owners: Mapping[Identity, tuple[int, ...]]) -> int | None:
    """The stored customer *item*'s sender is (``None``: unknown, or nobody by the channel's rule)."""
    return who(item.identity, owners, item.identification).customer_id


def _open(item: Incoming, index: int, known: Known) -> Placement:
    found = who(item.identity, known.owners, item.identification)
    return Placement(opens=True, customer_id=found.customer_id, new_customer=found.new_customer)
