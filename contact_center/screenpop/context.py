"""Who a conversation is with: the customer (or ranked candidates) and their recent contacts.

Loaded once per conversation (at ring for calls) and kept for the pop cache's TTL, so the
``answer`` finds it ready; an in-flight load is shared by everyone who asks for it.
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

from contact_center.customers.identity import CHANNEL_IDENTITY, Candidate
from contact_center.customers.repository import CustomerRecord, CustomerRepository
from contact_center.customers.timeline import recent_conversations
from contact_center.errors import NotFound
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


class ContextCache:
    """Per-conversation :class:`PopContext`, loaded once and shared (TTL, bounded)."""

    def __init__(
        self, db: Database, customers: CustomerRepository, *, ttl_seconds: float, timeline_limit: int,
        max_entries: int = 20_000, clock: Callable[[], float] = time.monotonic,
        on_customer: Callable[[CustomerRecord], None] | None = None,
    ) -> None:
        self._db = db
        self._customers = customers
        self._ttl = ttl_seconds
        self._timeline_limit = timeline_limit
        self._max_entries = max_entries
        self._clock = clock
        self._on_customer = on_customer  # called as soon as the customer is known (start the source fetch)
        self._entries: OrderedDict[int, tuple[float, asyncio.Task[PopContext]]] = OrderedDict()

    def get(self, conversation_id: int, *, refresh: bool = False) -> asyncio.Task[PopContext]:
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

    def peek(self, conversation_id: int) -> PopContext | None:
        """The loaded context, if any (no loading)."""
        entry = self._entries.get(conversation_id)
        if entry is None or not entry[1].done() or entry[1].cancelled() or entry[1].exception() is not None:
            return None
        return entry[1].result()

    def clear(self) -> None:
        self._entries.clear()

    async def close(self) -> None:
        tasks = [t for _, t in self._entries.values() if not t.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._entries.clear()

    def for_call(self, *, conversation_id: int, address: str | None, customer_id: int | None,
                 ambiguous: bool) -> asyncio.Task[PopContext]:
        """Load a ringing call's context from what the hook already knows (fewer store reads).

        An unknown caller costs no store access at all.
        """
        task = asyncio.create_task(self._load_call(conversation_id, address, customer_id, ambiguous),
                                   name=f"pop-context-{conversation_id}")
        self._store(conversation_id, task)
        return task

    def _store(self, conversation_id: int, task: asyncio.Task[PopContext]) -> None:
        self._entries[conversation_id] = (self._clock(), task)
        self._entries.move_to_end(conversation_id)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    async def _load_call(self, conversation_id: int, address: str | None, customer_id: int | None,
                         ambiguous: bool) -> PopContext:
        if customer_id is None and not ambiguous:
            return PopContext(conversation_id=conversation_id, channel="call", address=address, customer=None,
                              candidates=(), timeline=[])
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
        customer = await self._customers.get(customer_id, session=s) if customer_id else None
        candidates: tuple[Candidate, ...] = ()
        kind = CHANNEL_IDENTITY.get(channel)
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
