"""Who a conversation is with: the customer (or ranked candidates) and their recent contacts.

Loaded once per conversation (at ring for calls) and kept for the pop cache's TTL, so the
``answer`` finds it ready; an in-flight load is shared by everyone who asks for it.

A contact announced before its conversation exists (:meth:`.PopHandOff.anticipate`, an
``answer`` for a call that never rang here) is looked up ahead by its identity value: customer,
candidates and timeline are read (and the source fetch started) while the connector's store
write runs; the conversation's context then only adds the conversation itself.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import update

from contact_center import channels
from contact_center.customers.identity import Candidate, Match, contact_identity
from contact_center.customers.repository import CustomerRecord, CustomerRepository
from contact_center.customers.timeline import recent_conversations
from contact_center.errors import NotFound
from contact_center.screenpop.reader import AheadReader
from contact_center.store.session import Database
from contact_center.store.tables import Call, Conversation


@dataclass
class PopContext:
    """What the pop needs besides the source sections."""

    conversation_id: int
    channel: str
    address: str | None
    customer: CustomerRecord | None
    candidates: tuple[Candidate, ...]
    timeline: list[dict[str, Any]]
    department: int | None = None
    ringing_user_ids: tuple[int, ...] = ()
    answered_user_ids: set[int] = field(default_factory=set)

    @property
    def customer_key(self) -> str | None:
        return self.customer.external_key if self.customer else None


@dataclass(frozen=True)
class _Ahead:
    """Who is behind an identity value, read before the conversation existed."""

    match: Match
    customer: CustomerRecord | None
    timeline: list[dict[str, Any]]  # one row more than the limit: the new conversation may be in it


class ContextCache:
    """Per-conversation :class:`PopContext`, loaded once and shared (TTL, bounded)."""

    def __init__(
        self, db: Database, customers: CustomerRepository, *, ttl_seconds: float, timeline_limit: int,
        max_entries: int = 20_000, clock: Callable[[], float] = time.monotonic,
        on_customer: Callable[[CustomerRecord], None] | None = None, reader: AheadReader | None = None,
    ) -> None:
        self._db = db
        self._customers = customers
        self._ttl = ttl_seconds
        self._timeline_limit = timeline_limit
        self._max_entries = max_entries
        self._clock = clock
        self._on_customer = on_customer  # called as soon as the customer is known (start the source fetch)
        self._reader = reader  # one-hop reads ahead on a SQLite store
        self._entries: OrderedDict[int, tuple[float, asyncio.Future[PopContext]]] = OrderedDict()
        self._ahead: OrderedDict[tuple[str, str], tuple[float, asyncio.Task[_Ahead]]] = OrderedDict()
        self._ahead_ttl = min(ttl_seconds, 10.0)  # only bridges a store write; never serves stale data long

    def get(self, conversation_id: int, *, refresh: bool = False) -> asyncio.Future[PopContext]:
        """The (possibly still loading) context of *conversation_id*."""
        now = self._clock()
        entry = self._entries.get(conversation_id)
        stale = entry is None or refresh or now - entry[0] > self._ttl or (
            entry[1].done() and (entry[1].cancelled() or entry[1].exception() is not None))
        if stale:
            task = asyncio.create_task(self._load(conversation_id), name=f"pop-context-{conversation_id}")
            previous = entry[1] if entry else None
            if previous is not None and previous.done() and not previous.cancelled() and not previous.exception():
                task.add_done_callback(functools.partial(_carry, previous.result()))
            self._store(conversation_id, task)
            return task
        self._entries.move_to_end(conversation_id)
        return entry[1]  # type: ignore[index]

    def known(self, conversation_id: int) -> bool:
        """A context for *conversation_id* is loaded or loading (and not expired)."""
        entry = self._entries.get(conversation_id)
        return entry is not None and self._clock() - entry[0] <= self._ttl

    def peek(self, conversation_id: int) -> PopContext | None:
        """The loaded context, if any (no loading)."""
        entry = self._entries.get(conversation_id)
        if entry is None or not entry[1].done() or entry[1].cancelled() or entry[1].exception() is not None:
            return None
        return entry[1].result()

    def clear(self) -> None:
        self._entries.clear()
        self._ahead.clear()

    async def close(self) -> None:
        tasks: list[asyncio.Future[Any]] = [t for _, t in self._entries.values() if not t.done()]
        tasks += [t for _, t in self._ahead.values() if not t.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._entries.clear()
        self._ahead.clear()

    def anticipate(self, kind: str, value: str) -> None:
        """Start reading who is behind identity *value* (see the module docstring); returns at once."""
        key = (kind, value)
        if self._fresh_ahead(key) is not None:
            return
        task = asyncio.create_task(self._look_ahead(kind, value), name=f"pop-ahead-{value}")
        self._ahead[key] = (self._clock(), task)
        while len(self._ahead) > self._max_entries:
            self._ahead.popitem(last=False)

    def _fresh_ahead(self, key: tuple[str, str]) -> asyncio.Task[_Ahead] | None:
        entry = self._ahead.get(key)
        if entry is None or self._clock() - entry[0] > self._ahead_ttl:
            return None
        task = entry[1]
        if task.done() and (task.cancelled() or task.exception() is not None):
            return None
        return task

    async def _look_ahead(self, kind: str, value: str) -> _Ahead:
        if self._reader is not None:
            found, customer, timeline = await self._reader.look_ahead(kind, value, self._timeline_limit + 1)
            if customer is not None and self._on_customer is not None:
                self._on_customer(customer)
            return _Ahead(match=found, customer=customer, timeline=timeline)
        async with self._db.session() as s:
            found = await self._customers.identify(kind, value, session=s)
            customer = await self._customers.get(found.customer_id, session=s) if found.customer_id else None
            if customer is not None and self._on_customer is not None:
                self._on_customer(customer)
            timeline = (await recent_conversations(s, customer.id, limit=self._timeline_limit + 1)
                        if customer else [])
        return _Ahead(match=found, customer=customer, timeline=timeline)

    def for_call(self, *, conversation_id: int, address: str | None, customer_id: int | None,
                 ambiguous: bool) -> asyncio.Future[PopContext]:
        """Load a ringing call's context from what the hook already knows (fewer store reads).

        An unknown caller costs no store access at all (nor a task: the context is ready at once).
        """
        task: asyncio.Future[PopContext]
        if customer_id is None and not ambiguous:
            task = asyncio.get_running_loop().create_future()
            task.set_result(PopContext(conversation_id=conversation_id, channel="call", address=address,
                                       customer=None, candidates=(), timeline=[]))
        else:
            task = asyncio.create_task(self._load_call(conversation_id, address, customer_id, ambiguous),
                                       name=f"pop-context-{conversation_id}")
        self._store(conversation_id, task)
        return task

    def _store(self, conversation_id: int, task: asyncio.Future[PopContext]) -> None:
        self._entries[conversation_id] = (self._clock(), task)
        self._entries.move_to_end(conversation_id)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    async def _load_call(self, conversation_id: int, address: str | None, customer_id: int | None,
                         ambiguous: bool) -> PopContext:
        kind = channels.channel("call").identity_kind
        if self._reader is not None and kind and address:
            self.anticipate(kind, address)  # one reader hop; _build takes it when it is the same customer
        async with self._db.session() as s:
            return await self._build(s, conversation_id, "call", address, customer_id, None, attach_found=False)

    async def _load(self, conversation_id: int) -> PopContext:
        async with self._db.session() as s:
            conv = await s.get(Conversation, conversation_id)
            if conv is None:
                raise NotFound(f"conversation {conversation_id} does not exist")
            return await self._build(s, conversation_id, conv.channel, conv.contact_address, conv.customer_id,
                                     conv.department_id, attach_found=True)

    async def _build(self, s: Any, conversation_id: int, channel: str, address: str | None,
                     customer_id: int | None, department: int | None, *, attach_found: bool) -> PopContext:
        found_kind = contact_identity(channel, address, self._customers.default_region)
        kind = found_kind[0] if found_kind else None
        ahead_task = self._fresh_ahead((kind, address)) if kind and address else None
        if ahead_task is not None:
            ahead = await ahead_task
            if ahead.customer is not None and customer_id in (None, ahead.customer.id):
                if customer_id is None and attach_found:
                    await attach(s, conversation_id, ahead.customer.id)
                timeline = [t for t in ahead.timeline if t["conversation_id"] != conversation_id]
                return PopContext(conversation_id=conversation_id, channel=channel, address=address,
                                  customer=ahead.customer, candidates=ahead.match.candidates,
                                  timeline=timeline[: self._timeline_limit], department=department)
            if ahead.customer is None and customer_id is None:
                return PopContext(conversation_id=conversation_id, channel=channel, address=address, customer=None,
                                  candidates=ahead.match.candidates, timeline=[], department=department)
        customer = await self._customers.get(customer_id, session=s) if customer_id else None
        candidates: tuple[Candidate, ...] = ()
        if customer is None and kind and address:
            found = await self._customers.identify(kind, address, session=s)
            candidates = found.candidates
            if found.customer_id is not None:
                customer = await self._customers.get(found.customer_id, session=s)
                if attach_found:
                    await attach(s, conversation_id, found.customer_id)
        if customer is not None and self._on_customer is not None:
            self._on_customer(customer)
        timeline = (await recent_conversations(s, customer.id, limit=self._timeline_limit,
                                               exclude=conversation_id) if customer else [])
        return PopContext(conversation_id=conversation_id, channel=channel, address=address, customer=customer,
                          candidates=candidates, timeline=timeline, department=department)


def _carry(previous: PopContext, task: asyncio.Task[PopContext]) -> None:
    # A reload keeps who the contact rang and who answered it.
    if not task.cancelled() and task.exception() is None:
        task.result().ringing_user_ids = previous.ringing_user_ids
        task.result().answered_user_ids |= previous.answered_user_ids


async def attach(s: Any, conversation_id: int, customer_id: int) -> None:
    """Point a conversation (and its call legs) at *customer_id*."""
    await s.execute(update(Conversation).where(Conversation.id == conversation_id).values(customer_id=customer_id))
    await s.execute(update(Call).where(Call.conversation_id == conversation_id).values(customer_id=customer_id))
