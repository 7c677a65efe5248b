"""The call store: CTI events applied to ``call``/``conversation`` rows, in group-committed batches.

Every post is stored before the PBX gets its reply, but posts do not each pay for their own
transaction: :class:`CallWriter` has one writer task that takes whatever posts are waiting,
applies them in arrival order in one transaction (a handful of statements per batch, not per
post) and commits once. The batch is synchronous SQLAlchemy code: on SQLite it runs in one
hand-off to the writer's own thread (a plain ``sqlite3`` connection, same pragmas as the
store's: WAL, ``synchronous=NORMAL``), instead of about three thread hand-offs per statement
through ``aiosqlite``; on other stores (asyncpg) it runs through ``AsyncSession.run_sync``.
If a batch fails (two instances creating the same leg at once), its posts are retried one by
one so a bad post fails alone.

Per post: the ``cti_event`` digest makes a repeat a no-op that returns the first reply; the
leg's facts go through :func:`callstate.apply`; a new leg gets a conversation (channel ``call``,
``external_ref`` = call id) — a transferred/forwarded leg (``origCallId``) joins its original
leg's conversation — with the caller identified by E.164 number.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, create_engine, event, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from connectors.telephony.callstate import CallFacts, apply
from connectors.telephony.parse import CtiEvent
from contact_center.customers.repository import CustomerRepository
from contact_center.store.session import Database, apply_sqlite_pragmas
from contact_center.store.tables import Call, Conversation, utcnow
from contact_center.store.tables import CtiEvent as CtiEventRow

log = logging.getLogger(__name__)

# Loop iterations the writer yields before a batch: enough for an event's subscribers to get a
# pop frame onto its socket (subscriber -> hub subscriber -> socket sender) before the store's
# CPU-heavy statement building runs.
_YIELDS_BEFORE_COMMIT = 4
_FACT_FIELDS = [f.name for f in dataclasses.fields(CallFacts) if f.name not in ("call_id", "seen_new_call")]


@dataclass
class Post:
    """One CTI post on its way into the store."""

    pbx: str
    event: CtiEvent
    digest: str
    reply: dict[str, Any]
    user_id: int | None = None
    from_number: str | None = None
    to_number: str | None = None
    at: dt.datetime = field(default_factory=utcnow)


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


def facts_of(row: Call) -> CallFacts:
    """A stored leg as :class:`CallFacts`."""
    users = tuple((row.users or {}).get("ringing", ()))
    return CallFacts(
        call_id=row.call_id, pbx=row.pbx, direction=row.direction, from_raw=row.from_raw, to_raw=row.to_raw,
        from_number=row.from_number, to_number=row.to_number, state=row.state, queue=row.queue,
        diversion=row.diversion, orig_call_id=row.orig_call_id, users=users, user_id=row.user_id,
        answering_number=row.answering_number, cause=row.cause, dtmf=row.dtmf, ringing_at=row.ringing_at,
        answered_at=row.answered_at, ended_at=row.ended_at, seen_new_call=bool((row.users or {}).get("new_call")),
    )


def _store_facts(row: Call, facts: CallFacts) -> None:
    for name in _FACT_FIELDS:
        if name != "users":
            setattr(row, name, getattr(facts, name))
    row.missed = facts.missed
    row.users = {"ringing": list(facts.users), "new_call": facts.seen_new_call}


@dataclass
class _Leg:
    """One call leg while a batch works on it."""

    row: Call | None
    conv: Conversation
    facts: CallFacts | None


class _Batch:
    """The rows one batch works on, loaded with a few IN queries."""

    def __init__(self, calls: dict[str, Call], conversations: dict[int, Conversation],
                 owners: dict[str, list[int]]) -> None:
        self.calls = calls
        self.conversations = conversations
        self.owners = owners  # E.164 number -> customer ids


class CallWriter:
    """Stores CTI posts with group commit; see the module docstring."""

    def __init__(self, db: Database, customers: CustomerRepository, *, max_batch: int = 256) -> None:
        self._db = db
        self._customers = customers
        self._max_batch = max_batch
        self._queue: asyncio.Queue[tuple[Post, asyncio.Future[Outcome]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._sync: Engine | None = None
        self._thread: ThreadPoolExecutor | None = None

    def start(self) -> None:
        if self._db.dialect == "sqlite" and make_url(self._db.url).database not in (None, "", ":memory:"):
            self._sync = sync_sqlite_engine(self._db.url)
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cti-call-writer")
        self._task = asyncio.create_task(self._run(), name="cti-call-writer")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._thread is not None:
            thread, self._thread = self._thread, None
            await asyncio.get_running_loop().run_in_executor(None, thread.shutdown)  # a running batch commits
        if self._sync is not None:
            self._sync.dispose()
            self._sync = None
        while not self._queue.empty():
            _, fut = self._queue.get_nowait()
            if not fut.done():
                fut.cancel()

    async def store(self, post: Post) -> Outcome:
        """Store *post* (batched with whatever else is waiting) and return what it did."""
        fut: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        await self._queue.put((post, fut))
        return await fut

    async def set_reply(self, digest: str, reply: dict[str, Any]) -> None:
        """Remember the reply a post finally got (a repeat answers the same)."""
        async with self._db.session() as s:
            row = await s.get(CtiEventRow, digest)
            if row is not None:
                row.reply = reply

    async def _run(self) -> None:
        while True:
            items = [await self._queue.get()]
            # Group-commit window: let the tasks this post woke (the bus subscribers that push the
            # screen pop) run first, and let concurrent posts join the batch.
            for _ in range(_YIELDS_BEFORE_COMMIT):
                await asyncio.sleep(0)
            while len(items) < self._max_batch and not self._queue.empty():
                items.append(self._queue.get_nowait())
            live = [(p, f) for p, f in items if not f.done()]
            if live:
                await self._commit(live)

    async def _commit(self, items: list[tuple[Post, asyncio.Future[Outcome]]]) -> None:
        try:
            outcomes = await self._run_batch([p for p, _ in items])
        except Exception as exc:
            if len(items) == 1:
                if not items[0][1].done():
                    items[0][1].set_exception(exc)
                return
            log.warning("CTI batch of %d failed (%s); retrying one by one", len(items), type(exc).__name__)
            for item in items:
                await self._commit([item])
            return
        for (_, fut), outcome in zip(items, outcomes, strict=True):
            if not fut.done():
                fut.set_result(outcome)

    async def _run_batch(self, posts: list[Post]) -> list[Outcome]:
        """Apply and commit one batch: one thread hand-off on SQLite, ``run_sync`` elsewhere."""
        if self._sync is not None and self._thread is not None:
            return await asyncio.get_running_loop().run_in_executor(self._thread, self._in_thread, posts)
        async with self._db.session() as s:
            return await s.run_sync(self._apply_all, posts)

    def _in_thread(self, posts: list[Post]) -> list[Outcome]:
        assert self._sync is not None
        with Session(self._sync, expire_on_commit=False) as s, s.begin():
            return self._apply_all(s, posts)

    def _apply_all(self, s: Session, posts: list[Post]) -> list[Outcome]:
        # A constant number of statements per batch: three or four SELECT ... IN, one INSERT per
        # table (many rows each), the UPDATEs of changed rows, one COMMIT.
        stored = {r[0]: r[1] for r in s.execute(
            select(CtiEventRow.digest, CtiEventRow.reply).where(CtiEventRow.digest.in_({p.digest for p in posts}))
        ).all()}
        batch = self._load(s, posts)
        legs: dict[str, _Leg] = {}
        fresh: list[Conversation] = []
        applied: list[tuple[int, Post, _Leg, CallFacts | None, CallFacts, tuple[int, ...]]] = []
        outcomes: list[Outcome] = []
        for post in posts:
            if post.digest in stored:
                outcomes.append(Outcome(duplicate=True, reply=stored[post.digest]))
                continue
            stored[post.digest] = post.reply
            leg = legs.get(post.event.call_id) or self._leg(batch, legs, post, fresh)
            before = leg.facts
            after = apply(before, post.event, pbx=post.pbx, at=post.at, from_number=post.from_number,
                          to_number=post.to_number, user_id=post.user_id)
            leg.facts = after
            customer_id, candidates = self._identify(s, batch, after)
            _update_conversation(leg.conv, after, customer_id)
            applied.append((len(outcomes), post, leg, before, after, candidates))
            outcomes.append(Outcome(duplicate=False, reply=post.reply))
        if fresh:
            self._insert_conversations(s, fresh)
        new_calls = []
        for call_id, leg in legs.items():
            assert leg.facts is not None
            if leg.row is None:
                new_calls.append(_call_values(call_id, leg))
            else:
                leg.row.conversation_id = leg.conv.id
                _store_facts(leg.row, leg.facts)
                leg.row.customer_id = leg.row.customer_id or leg.conv.customer_id
        if new_calls:
            s.execute(insert(Call), new_calls)
        s.execute(insert(CtiEventRow), [
            {"digest": p.digest, "call_id": p.event.call_id, "event": p.event.event, "reply": p.reply,
             "received_at": p.at} for _, p, *_ in applied])
        s.flush()
        for index, post, leg, before, after, candidates in applied:
            outcomes[index] = Outcome(duplicate=False, reply=post.reply, before=before, after=after,
                                      conversation_id=leg.conv.id, customer_id=leg.conv.customer_id,
                                      candidate_ids=candidates)
        return outcomes

    def _load(self, s: Session, posts: list[Post]) -> _Batch:
        ids = {p.event.call_id for p in posts} | {p.event.orig_call_id for p in posts if p.event.orig_call_id}
        calls = {c.call_id: c for c in s.execute(select(Call).where(Call.call_id.in_(ids))).scalars()}
        conv_ids = {c.conversation_id for c in calls.values() if c.conversation_id is not None}
        conversations = {c.id: c for c in s.execute(
            select(Conversation).where(Conversation.id.in_(conv_ids))).scalars()} if conv_ids else {}
        numbers = {n for p in posts for n in (p.from_number, p.to_number) if n}
        owners: dict[str, list[int]] = {}
        if numbers:
            found = self._customers.owners_sync(s, "phone", numbers)
            owners = {value: list(ids) for value, ids in found.items()}
        return _Batch(calls, conversations, owners)

    @staticmethod
    def _insert_conversations(s: Session, fresh: list[Conversation]) -> None:
        # One multi-row INSERT ... RETURNING (matched by external_ref, unique per channel).
        result = s.execute(insert(Conversation).returning(Conversation.external_ref, Conversation.id),
                           [_conversation_values(c) for c in fresh])
        ids = dict(result.all())
        for conv in fresh:
            conv.id = ids[conv.external_ref]

    @staticmethod
    def _leg(batch: _Batch, legs: dict[str, _Leg], post: Post, fresh: list[Conversation]) -> _Leg:
        """The leg *post* is about, with its conversation: stored, its original leg's, or new."""
        call_id = post.event.call_id
        row = batch.calls.get(call_id)
        if row is not None and row.conversation_id in batch.conversations:
            leg = _Leg(row, batch.conversations[row.conversation_id], facts_of(row))
        else:
            orig_id = post.event.orig_call_id or (row.orig_call_id if row is not None else None)
            conv = legs[orig_id].conv if orig_id in legs else None
            orig = batch.calls.get(orig_id) if orig_id and conv is None else None
            if orig is not None and orig.conversation_id in batch.conversations:
                conv = batch.conversations[orig.conversation_id]
            if conv is None:
                conv = Conversation(channel="call", external_ref=call_id, status="queued", created_at=post.at)
                fresh.append(conv)
            leg = _Leg(row, conv, facts_of(row) if row is not None else None)
        legs[call_id] = leg
        return leg

    def _identify(self, s: Session, batch: _Batch, facts: CallFacts) -> tuple[int | None, tuple[int, ...]]:
        number = facts.to_number if facts.direction == "out" else facts.from_number
        owners = batch.owners.get(number or "", [])
        if len(owners) < 2 or number is None:
            return (owners[0] if owners else None), tuple(owners)
        ranked = self._customers.identify_sync(s, "phone", number)
        return None, tuple(c.customer_id for c in ranked.candidates)


def sync_sqlite_engine(url: str) -> Engine:
    """A synchronous engine on the store's SQLite file, with the store's pragmas (durability included)."""
    engine = create_engine(make_url(url).set(drivername="sqlite"), connect_args={"timeout": 30})
    event.listen(engine, "connect", apply_sqlite_pragmas)
    return engine


_CONVERSATION_FIELDS = ("channel", "external_ref", "customer_id", "status", "contact_address", "subject",
                        "assigned_user_id", "first_response_at", "closed_at", "disposition", "created_at")


def _conversation_values(conv: Conversation) -> dict[str, Any]:
    values = {name: getattr(conv, name) for name in _CONVERSATION_FIELDS}
    values["updated_at"] = values["created_at"]
    return values


def _call_values(call_id: str, leg: _Leg) -> dict[str, Any]:
    row = Call(call_id=call_id, pbx=leg.facts.pbx if leg.facts else "")
    assert leg.facts is not None
    _store_facts(row, leg.facts)
    values = {name: getattr(row, name) for name in (*_FACT_FIELDS, "missed", "users", "pbx", "call_id")}
    values.update(conversation_id=leg.conv.id, customer_id=leg.conv.customer_id)
    return values


def _update_conversation(conv: Conversation, facts: CallFacts, customer_id: int | None) -> None:
    if conv.customer_id is None and customer_id is not None:
        conv.customer_id = customer_id
    if conv.contact_address is None and facts.customer_number:
        conv.contact_address = facts.customer_number
    if conv.subject is None and facts.direction:
        other = facts.customer_number or "unknown number"
        conv.subject = f"Call from {other}" if facts.direction == "in" else f"Call to {other}"
    if facts.state == "answered" and conv.status != "closed":
        conv.status = "assigned"
        conv.assigned_user_id = facts.user_id or conv.assigned_user_id
        conv.first_response_at = conv.first_response_at or facts.answered_at
    elif facts.state == "ended" and facts.cause != "forwarded":
        conv.status = "closed"
        conv.closed_at = conv.closed_at or facts.ended_at
        conv.assigned_user_id = conv.assigned_user_id or facts.user_id
        conv.disposition = "missed" if facts.missed else "answered"
