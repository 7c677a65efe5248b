"""Server-side search across customers and conversations, the same on SQLite and PostgreSQL.

:class:`SearchIndexer` keeps ``search_entry`` in step with the store: it reads the rows added since
its last pass (customers, identities, conversations, messages) and stores their folded text
(:mod:`contact_center.inbox.search_text`). It does not hook into any writer: it runs in the
background and once before each search, so whatever wrote a row (the CTI writer, the email
workers, an agent) is found. Ids are read in order; an id that was skipped because its
transaction had not committed yet is looked at again for :data:`GAP_SECONDS`.

:class:`Search` answers a query: entries whose tokens all start with the query's tokens, joined
back to the live customers they describe and to the conversations the user may see (their
departments, unrouted ones and their own; supervisors and admins all).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import column, func, literal_column, select, table, union
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from contact_center.auth.roles import Principal
from contact_center.customers.access import visible_conversation
from contact_center.inbox.repository import named_conversations
from contact_center.inbox.search_text import (
    address_text,
    customer_text,
    fold,
    fts5_query,
    message_text,
    query_tokens,
    tsquery,
)
from contact_center.inbox.views import conversation_view
from contact_center.store.session import Database
from contact_center.store.tables import Conversation, Customer, Identity, Message, SearchEntry

log = logging.getLogger(__name__)

BATCH = 500
GAP_SECONDS = 60.0  # a transaction still open after this long is not waited for
MAX_GAPS = 10_000
STARTUP_OVERLAP = 1_000  # ids re-read after a restart (a row committed late is not missed)
OPEN = "open"  # the status filter meaning "not closed"


@dataclass(frozen=True)
class Source:
    """One kind of row the search indexes: the columns it reads and how they become text."""

    kind: str
    id_column: Any
    columns: tuple[Any, ...]
    to_text: Callable[..., str]


SOURCES: tuple[Source, ...] = (
    Source("customer", Customer.id, (Customer.display_name, Customer.company, Customer.external_key), customer_text),
    Source("identity", Identity.id, (Identity.value,), address_text),
    Source("conversation", Conversation.id, (Conversation.subject, Conversation.contact_address),
           lambda subject, address: " ".join(filter(None, (fold(subject), address_text(address))))),
    Source("message", Message.id, (Message.subject, Message.sender, Message.body_text), message_text),
)


@dataclass
class _Cursor:
    last: int | None = None
    gaps: dict[int, float] = field(default_factory=dict)  # id -> when it was first missed


class SearchIndexer:
    """Adds the new rows of every :data:`SOURCES` kind to ``search_entry`` (idempotent)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._lock = asyncio.Lock()
        self._cursors = {source.kind: _Cursor() for source in SOURCES}

    async def catch_up(self) -> int:
        """Index every row added since the last pass; returns how many entries were written."""
        async with self._lock:
            written = 0
            for source in SOURCES:
                written += await self._catch_up(source, self._cursors[source.kind])
            return written

    async def _catch_up(self, source: Source, cursor: _Cursor) -> int:
        written = 0
        async with self._db.session() as s:
            if cursor.last is None:
                done = (await s.execute(select(func.max(SearchEntry.ref_id))
                                        .where(SearchEntry.kind == source.kind))).scalar()
                cursor.last = max(0, (done or 0) - STARTUP_OVERLAP)
            written += await self._refill_gaps(s, source, cursor)
            while True:
                rows = (await s.execute(select(source.id_column, *source.columns)
                                        .where(source.id_column > cursor.last)
                                        .order_by(source.id_column).limit(BATCH))).all()
                if not rows:
                    return written
                _note_gaps(cursor, [r[0] for r in rows])
                written += await _store(s, self._db.dialect, source, rows)
                if len(rows) < BATCH:
                    return written

    async def _refill_gaps(self, s: AsyncSession, source: Source, cursor: _Cursor) -> int:
        now = time.monotonic()
        for gap, since in list(cursor.gaps.items()):
            if now - since > GAP_SECONDS:
                del cursor.gaps[gap]
        if not cursor.gaps:
            return 0
        rows = (await s.execute(select(source.id_column, *source.columns)
                                .where(source.id_column.in_(sorted(cursor.gaps))))).all()
        for row in rows:
            cursor.gaps.pop(row[0], None)
        return await _store(s, self._db.dialect, source, rows) if rows else 0

    async def run(self, interval: float) -> None:
        """Catch up every *interval* seconds until cancelled (failures are logged and retried)."""
        while True:
            try:
                await self.catch_up()
            except Exception:
                log.exception("search indexing failed; retrying")
            await asyncio.sleep(interval)


def _note_gaps(cursor: _Cursor, ids: Sequence[int]) -> None:
    """Advance *cursor* past *ids*, remembering the ids between them that were not there (yet)."""
    now = time.monotonic()
    expected = (cursor.last or 0) + 1
    for found in ids:
        for missing in range(expected, min(found, expected + MAX_GAPS)):
            if len(cursor.gaps) < MAX_GAPS:
                cursor.gaps.setdefault(missing, now)
        expected = found + 1
    cursor.last = ids[-1]


async def _store(s: AsyncSession, dialect: str, source: Source, rows: Sequence[Any]) -> int:
    values = [{"kind": source.kind, "ref_id": r[0], "text": source.to_text(*r[1:])} for r in rows]
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    await s.execute(insert(SearchEntry).on_conflict_do_nothing(index_elements=["kind", "ref_id"]), values)
    return len(values)


# ---------------------------------------------------------------------------- queries


@dataclass(frozen=True)
class SearchPage:
    """One page of results of each kind, with the totals for paging."""

    customers: list[dict[str, Any]]
    customers_total: int
    conversations: list[dict[str, Any]]
    conversations_total: int

    def to_dict(self) -> dict[str, Any]:
        return {"customers": self.customers, "customers_total": self.customers_total,
                "conversations": self.conversations, "conversations_total": self.conversations_total}


class Search:
    """Answers queries over ``search_entry`` (after letting the indexer catch up)."""

    def __init__(self, db: Database, indexer: SearchIndexer, *, default_region: str) -> None:
        self._db = db
        self._indexer = indexer
        self._region = default_region

    def tokens(self, query: str) -> list[str]:
        """What *query* looks for (see :func:`~contact_center.inbox.search_text.query_tokens`)."""
        return query_tokens(query, self._region)

    async def find(
        self, query: str, *, principal: Principal,
        kinds: tuple[str, ...] = ("customers", "conversations"), offset: int = 0, limit: int = 20,
        channel: str | None = None, status: str | None = None,
    ) -> SearchPage:
        """Customers and conversations matching *query*, as *principal* may see them.

        Customers are ordered by id, conversations newest first; both are paged by *offset* and
        *limit*. An agent gets only the conversations they may see
        (:func:`~contact_center.customers.access.visible_conversation`); a customer they may not
        read (no conversation of theirs is visible to the agent) is listed with its name and
        customer number only (``restricted``), enough to link a caller who gives that number.
        *channel* and *status* narrow the conversations (status ``open``: any but closed).
        """
        tokens = self.tokens(query)
        if not tokens:
            return SearchPage([], 0, [], 0)
        await self._indexer.catch_up()
        async with self._db.session() as s:
            entries = _matching(self._db.dialect, tokens).subquery()
            customers = _customer_ids(entries)
            page = SearchPage([], 0, [], 0)
            everything = principal.at_least("supervisor")
            if "customers" in kinds:
                page = await _customers(s, customers, offset, limit, None if everything else principal)
            if "conversations" in kinds:
                narrow = [] if everything else [visible_conversation(principal)]
                if channel is not None:
                    narrow.append(Conversation.channel == channel)
                if status is not None:
                    narrow.append(Conversation.status != "closed" if status == OPEN else Conversation.status == status)
                found, total = await _conversations(s, entries, customers, narrow, offset, limit)
                page = SearchPage(page.customers, page.customers_total, found, total)
            return page


# The FTS5 table the migration makes on SQLite (not modelled: see contact_center.store.migrate).
_FTS = table("search_fts", column("rowid"))


def _matching(dialect: str, tokens: list[str]) -> Any:
    """``SELECT kind, ref_id`` of the entries holding every token as a prefix."""
    query = select(SearchEntry.kind, SearchEntry.ref_id)
    if dialect == "postgresql":
        simple: Any = literal_column("'simple'")
        return query.where(func.to_tsvector(simple, SearchEntry.text).op("@@")(
            func.to_tsquery(simple, tsquery(tokens))))
    fts = select(_FTS.c.rowid).where(literal_column("search_fts").op("MATCH")(fts5_query(tokens)))
    return query.where(SearchEntry.id.in_(fts))


def _refs(entries: Any, kind: str) -> Any:
    return select(entries.c.ref_id).where(entries.c.kind == kind)


def _customer_ids(entries: Any) -> Any:
    """The live customers an entry names: by name/company/number, or by one of their identities."""
    named = union(select(Customer.id).where(Customer.id.in_(_refs(entries, "customer"))),
                  select(Identity.customer_id).where(Identity.id.in_(_refs(entries, "identity")))).subquery()
    return select(Customer.id).where(Customer.id.in_(select(named.c[0])), Customer.merged_into_id.is_(None))


async def _customers(s: AsyncSession, ids: Any, offset: int, limit: int, agent: Principal | None) -> SearchPage:
    """A page of customers; for an *agent*, those they may not read carry only name and number."""
    total = (await s.execute(select(func.count()).select_from(ids.subquery()))).scalar_one()
    rows = (await s.execute(select(Customer).where(Customer.id.in_(ids))
                            .order_by(Customer.id).offset(offset).limit(limit))).scalars().all()
    page_ids = [r.id for r in rows]
    readable: set[int] = set(page_ids) if agent is None else {cid for cid in (await s.execute(
        select(Conversation.customer_id).where(Conversation.customer_id.in_(page_ids),
                                               visible_conversation(agent)).distinct())).scalars() if cid is not None}
    idents: dict[int, list[dict[str, Any]]] = {cid: [] for cid in readable}
    if readable:
        for cid, kind, value, label in (await s.execute(
                select(Identity.customer_id, Identity.kind, Identity.value, Identity.label)
                .where(Identity.customer_id.in_(sorted(readable)), Identity.kind != "chat")
                .order_by(Identity.id))).all():
            idents[cid].append({"kind": kind, "value": value, "label": label})
    found = [_customer_hit(c, idents.get(c.id)) for c in rows]
    return SearchPage(found, total, [], 0)


def _customer_hit(c: Customer, identities: list[dict[str, Any]] | None) -> dict[str, Any]:
    hit: dict[str, Any] = {"id": c.id, "display_name": c.display_name, "external_key": c.external_key,
                           "restricted": identities is None}
    if identities is not None:
        hit.update(company=c.company, identities=identities)
    return hit


async def _conversations(
    s: AsyncSession, entries: Any, customers: Any, narrow: list[Any], offset: int, limit: int,
) -> tuple[list[dict[str, Any]], int]:
    by_message = select(Message.conversation_id).where(Message.id.in_(_refs(entries, "message")))
    hit = (Conversation.id.in_(_refs(entries, "conversation")) | Conversation.id.in_(by_message)
           | Conversation.customer_id.in_(customers))
    query = named_conversations().where(hit, *narrow)
    total = (await s.execute(select(func.count()).select_from(
        query.with_only_columns(Conversation.id).subquery()))).scalar_one()
    rows = (await s.execute(query.order_by(Conversation.id.desc()).offset(offset).limit(limit))).all()
    return [conversation_view(*row) for row in rows], total


@contextlib.asynccontextmanager
async def running_indexer(indexer: SearchIndexer, interval: float) -> AsyncIterator[None]:
    """Run *indexer* in the background for the block's duration."""
    task = asyncio.create_task(indexer.run(interval), name="search-indexer")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
