"""One group-commit batch of CTI posts, written with Core statements on a synchronous connection.

:func:`apply_batch` runs inside the call writer's own process (SQLite, :mod:`.writer_process`) or
``AsyncConnection.run_sync`` (PostgreSQL). It issues a constant number of statements per batch,
whatever its size: four ``SELECT … IN`` (stored digests, the legs, their conversations, the
callers' owners), then one multi-row ``INSERT`` per table and one ``executemany`` ``UPDATE`` per
set of changed columns. No ORM objects, identity map or unit of work: rows are plain dicts, and
only the columns a post changed are written (another writer's concurrent change to a column this
batch did not touch survives, as it did with the ORM).

Per post: the ``cti_event`` digest makes a repeat a no-op that returns the first reply; the leg's
facts go through :func:`callstate.apply`; a new leg gets a conversation (channel ``call``,
``external_ref`` = call id) — a transferred/forwarded leg (``origCallId``) joins its original
leg's conversation — with the caller identified by E.164 number through the rule every channel
shares (:func:`~contact_center.customers.identity.who`, the call channel's
:attr:`~contact_center.channels.Identification.ASK`: one owner is the customer, a shared number
leaves the ranked candidates for the agent, an unknown one stays unknown). Its status and owner change only through the
conversation state machine (:func:`~contact_center.inbox.conversations.transition`: ``answer``,
``hang_up``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from contact_center.channels import channel
from contact_center.customers.identity import Key, who
from contact_center.customers.repository import rank_shared
from contact_center.inbox.conversations import Action, ConversationState, transition
from contact_center.ingest.call_io import CoreIO
from contact_center.ingest.callstate import CallFacts, apply
from contact_center.ingest.signals import CallSignal
from contact_center.store.tables import utcnow

_FACT_FIELDS = tuple(f.name for f in dataclasses.fields(CallFacts) if f.name not in ("call_id", "seen_new_call"))
# The conversation columns a call leg may change (everything else belongs to routing and the desk).
_CONV_FIELDS = ("customer_id", "status", "contact_address", "subject", "assigned_user_id", "first_response_at",
                "closed_at", "disposition")
_NEW_CONV_FIELDS = ("channel", "external_ref", "created_at", *_CONV_FIELDS)
_CALL_COLUMNS = ("id", "call_id", "conversation_id", "customer_id", *_FACT_FIELDS, "missed", "users")


@dataclass
class Post:
    """One CTI post on its way into the store."""

    pbx: str
    event: CallSignal
    digest: str
    reply: dict[str, Any]
    user_id: int | None = None
    from_number: str | None = None
    to_number: str | None = None
    at: dt.datetime = field(default_factory=utcnow)
    # ``audit`` rows to write in the same transaction (a screen pop already shown for this post);
    # written even when the post turns out to be a repeat, since the pop did go out.
    audit: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Outcome:
    """What storing a post did."""

    duplicate: bool
    reply: dict[str, Any]
    before: CallFacts | None = None
    after: CallFacts | None = None
    conversation_id: int | None = None
    customer_id: int | None = None
    candidate_ids: tuple[int, ...] = ()


def facts_of(row: Mapping[str, Any]) -> CallFacts:
    """A stored leg (the ``call`` row's columns by name) as :class:`CallFacts`."""
    users = row["users"] or {}
    return CallFacts(
        call_id=row["call_id"], users=tuple(users.get("ringing", ())), seen_new_call=bool(users.get("new_call")),
        **{name: row[name] for name in _FACT_FIELDS if name != "users"})


def call_values(facts: CallFacts) -> dict[str, Any]:
    """The ``call`` columns that hold *facts*."""
    values = {name: getattr(facts, name) for name in _FACT_FIELDS}
    values["missed"] = facts.missed
    values["users"] = {"ringing": list(facts.users), "new_call": facts.seen_new_call}
    return values


@dataclass
class _Leg:
    """One call leg while a batch works on it: the stored row (if any), its conversation, its facts."""

    row: dict[str, Any] | None
    conv: dict[str, Any]  # conversation columns; "id" is None until a new one is inserted
    facts: CallFacts | None


@dataclass
class _Loaded:
    calls: dict[str, dict[str, Any]]
    conversations: dict[int, dict[str, Any]]
    owners: Mapping[Key, tuple[int, ...]]  # ("phone", number) -> its live customers, best-ranked first


def apply_batch(io: CoreIO, posts: list[Post], audit: list[dict[str, Any]] | None = None) -> list[Outcome]:
    """Apply *posts* in order through *io* (the caller commits); one :class:`Outcome` per post.

    *audit* rows (and every post's own) are inserted in the same transaction.
    """
    rows = [row for p in posts for row in p.audit] + list(audit or ())
    if rows:
        io.insert("audit", rows)
    if not posts:
        return []
    stored = io.stored_replies({p.digest for p in posts})
    loaded = _load(io, posts)
    originals = {cid: dict(conv) for cid, conv in loaded.conversations.items()}
    legs: dict[str, _Leg] = {}
    fresh: list[dict[str, Any]] = []
    applied: list[tuple[int, Post, _Leg, CallFacts | None, CallFacts, tuple[int, ...]]] = []
    outcomes: list[Outcome] = []
    for post in posts:
        if post.digest in stored:
            outcomes.append(Outcome(duplicate=True, reply=stored[post.digest]))
            continue
        stored[post.digest] = post.reply
        leg = legs.get(post.event.call_id) or _leg(loaded, legs, post, fresh)
        before = leg.facts
        after = apply(before, post.event, pbx=post.pbx, at=post.at, from_number=post.from_number,
                      to_number=post.to_number, user_id=post.user_id)
        leg.facts = after
        customer_id, candidates = _identify(loaded, after)
        update_conversation(leg.conv, after, customer_id)
        applied.append((len(outcomes), post, leg, before, after, candidates))
        outcomes.append(Outcome(duplicate=False, reply=post.reply))
    _write(io, legs, fresh, [(loaded.conversations[i], before) for i, before in originals.items()],
           [p for _, p, *_ in applied])
    for index, post, leg, before, after, candidates in applied:
        outcomes[index] = Outcome(duplicate=False, reply=post.reply, before=before, after=after,
                                  conversation_id=leg.conv["id"], customer_id=leg.conv["customer_id"],
                                  candidate_ids=candidates)
    return outcomes


def _load(io: CoreIO, posts: list[Post]) -> _Loaded:
    ids = {p.event.call_id for p in posts} | {p.event.orig_call_id for p in posts if p.event.orig_call_id}
    calls = {r["call_id"]: r for r in io.rows("call", "call_id", ids, _CALL_COLUMNS)}
    conv_ids = {c["conversation_id"] for c in calls.values() if c["conversation_id"] is not None}
    conversations = {r["id"]: r for r in io.rows("conversation", "id", conv_ids, ("id", *_CONV_FIELDS))
                     } if conv_ids else {}
    numbers = {n for p in posts for n in (p.from_number, p.to_number) if n}
    return _Loaded(calls, conversations, rank_shared("phone", io.owners(numbers), io.identify) if numbers else {})


def _leg(loaded: _Loaded, legs: dict[str, _Leg], post: Post, fresh: list[dict[str, Any]]) -> _Leg:
    """The leg *post* is about, with its conversation: stored, its original leg's, or new."""
    call_id = post.event.call_id
    row = loaded.calls.get(call_id)
    if row is not None and row["conversation_id"] in loaded.conversations:
        leg = _Leg(row, loaded.conversations[row["conversation_id"]], facts_of(row))
    else:
        orig_id = post.event.orig_call_id or (row["orig_call_id"] if row is not None else None)
        conv = legs[orig_id].conv if orig_id in legs else None
        orig = loaded.calls.get(orig_id) if orig_id and conv is None else None
        if orig is not None and orig["conversation_id"] in loaded.conversations:
            conv = loaded.conversations[orig["conversation_id"]]
        if conv is None:
            conv = {"id": None, "channel": "call", "external_ref": call_id, "created_at": post.at, "status": "queued",
                    **{name: None for name in _CONV_FIELDS if name != "status"}}
            fresh.append(conv)
        leg = _Leg(row, conv, facts_of(row) if row is not None else None)
    legs[call_id] = leg
    return leg


_CALLS = channel("call").identification


def _identify(loaded: _Loaded, facts: CallFacts) -> tuple[int | None, tuple[int, ...]]:
    number = facts.to_number if facts.direction == "out" else facts.from_number
    found = who(("phone", number) if number else None, loaded.owners, _CALLS)
    return found.customer_id, found.candidates


def _write(io: CoreIO, legs: dict[str, _Leg], fresh: list[dict[str, Any]],
           stored_convs: list[tuple[dict[str, Any], dict[str, Any]]], posts: list[Post]) -> None:
    """Insert the new rows and update the changed columns of the stored ones (*stored_convs*: now, before)."""
    now = utcnow()
    if fresh:
        ids = io.insert_conversations([{name: conv[name] for name in _NEW_CONV_FIELDS}
                                       | {"updated_at": conv["created_at"]} for conv in fresh])
        for conv in fresh:
            conv["id"] = ids[conv["external_ref"]]
    changed_convs = [(conv["id"], _diff(conv, before) | {"updated_at": now})
                     for conv, before in stored_convs if _diff(conv, before)]
    _update_many(io, "conversation", changed_convs)
    new_calls, changed_calls = [], []
    for call_id, leg in legs.items():
        assert leg.facts is not None
        values = call_values(leg.facts) | {"conversation_id": leg.conv["id"]}
        if leg.row is None:
            new_calls.append(values | {"call_id": call_id, "customer_id": leg.conv["customer_id"]})
            continue
        values["customer_id"] = leg.row["customer_id"] or leg.conv["customer_id"]
        diff = _diff(values, leg.row)
        if diff:
            changed_calls.append((leg.row["id"], diff))
    if new_calls:
        io.insert("call", new_calls)
    _update_many(io, "call", changed_calls)
    if posts:  # (a batch of repeats only stores nothing)
        io.insert("cti_event", [{"digest": p.digest, "call_id": p.event.call_id, "event": p.event.event,
                                 "reply": p.reply, "received_at": p.at} for p in posts])


def _diff(now: Mapping[str, Any], before: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in now.items() if before.get(k) != v}


def _update_many(io: CoreIO, table: str, changes: list[tuple[int, dict[str, Any]]]) -> None:
    """``UPDATE table SET <changed columns> WHERE id = …``: one executemany per set of changed columns."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row_id, diff in changes:
        groups.setdefault(tuple(sorted(diff)), []).append(diff | {"_row_id": row_id})
    for names, rows in groups.items():
        io.update(table, names, rows)


def update_conversation(conv: dict[str, Any], facts: CallFacts, customer_id: int | None) -> None:
    """Fold a leg's facts into its conversation's columns (pure: changes *conv* in place)."""
    if conv["customer_id"] is None and customer_id is not None:
        conv["customer_id"] = customer_id
    if conv["contact_address"] is None and facts.customer_number:
        conv["contact_address"] = facts.customer_number
    if conv["subject"] is None and facts.direction:
        other = facts.customer_number or "unknown number"
        conv["subject"] = f"Call from {other}" if facts.direction == "in" else f"Call to {other}"
    if facts.state == "answered":
        _move(conv, Action.ANSWER, facts.user_id)
        if conv["status"] == "assigned":
            conv["first_response_at"] = conv["first_response_at"] or facts.answered_at
    elif facts.state == "ended" and facts.cause != "forwarded":
        # An answered inbound call goes to wrap-up (its agent chooses the outcome; routing times the
        # after-call work and closes it); a missed one, or an outbound one, closes here.
        _move(conv, Action.HANG_UP, facts.user_id)
        if conv["status"] == "wrap_up" and facts.direction == "out":
            _move(conv, Action.CLOSE, None)
        if conv["status"] == "closed":
            conv["closed_at"] = conv["closed_at"] or facts.ended_at
        if facts.missed:
            conv["disposition"] = "missed"


def _move(conv: dict[str, Any], action: Action, user_id: int | None) -> None:
    """Change *conv*'s status and owner through the conversation state machine (the only way)."""
    state = transition(ConversationState(conv["status"], conv["assigned_user_id"]), action, user_id)
    conv["status"], conv["assigned_user_id"] = state.status, state.user_id
