"""Customers and their identities in the core store: find, create, link, merge.

Every method takes an optional ``session`` so a caller that is already inside a transaction
(the email ingest storing a message, the CTI hook storing a call) can identify or create the
customer in that same transaction; without one, the repository opens and commits its own.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from contact_center.customers.identity import KINDS, Candidate, Key, Match, match, normalise
from contact_center.errors import Conflict, NotFound, ValidationError
from contact_center.store.session import Database
from contact_center.store.tables import Call, Conversation, Customer, CustomerMerge, Identity, utcnow

# A chain of merges longer than this is a data error, not something to follow forever.
_MAX_MERGE_HOPS = 16


@dataclass(frozen=True)
class IdentityRecord:
    kind: str
    value: str
    label: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "value": self.value, "label": self.label}


@dataclass(frozen=True)
class CustomerRecord:
    """A customer as the rest of the product sees it (a value, detached from the session)."""

    id: int
    display_name: str
    company: str | None = None
    external_key: str | None = None
    country: str | None = None
    language: str | None = None
    identities: tuple[IdentityRecord, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "display_name": self.display_name,
            "company": self.company,
            "external_key": self.external_key,
            "country": self.country,
            "language": self.language,
            "identities": [i.to_dict() for i in self.identities],
        }


class CustomerRepository:
    """Store access for customers; identity values are normalised on the way in."""

    def __init__(self, db: Database, *, default_region: str) -> None:
        self._db = db
        self.default_region = default_region
        # Parsing with phonenumbers costs tens of microseconds; the CTI hook normalises two numbers a post.
        self._normalised = functools.lru_cache(maxsize=65_536)(
            lambda kind, raw: normalise(kind, raw, default_region))

    @contextlib.asynccontextmanager
    async def _use(self, session: AsyncSession | None) -> AsyncIterator[AsyncSession]:
        if session is not None:
            yield session
            return
        async with self._db.session() as s:
            yield s

    def normalise(self, kind: str, raw: str | None) -> str | None:
        """*raw* normalised as an identity of *kind* with this install's default region."""
        return self._normalised(kind, raw)  # type: ignore[no-any-return]

    async def identify(self, kind: str, raw: str | None, *, session: AsyncSession | None = None) -> Match:
        """Who is behind *raw*: one customer, ranked candidates, or unknown (see :func:`match`)."""
        value = self.normalise(kind, raw)
        if value is None:
            return Match(value=None, customer_id=None)
        async with self._use(session) as s:
            return await s.run_sync(identify_sync, kind, value)

    async def owners(
        self, kind: str, values: Iterable[str], *, session: AsyncSession | None = None,
    ) -> dict[str, tuple[int, ...]]:
        """For many already-normalised values at once: the live customers each one belongs to.

        Values nobody has are absent from the result. One query, for batch ingest.
        """
        wanted = sorted(set(values))
        if not wanted:
            return {}
        async with self._use(session) as s:
            return await s.run_sync(owners_sync, kind, wanted)

    def get_sync(self, conn: Session | Connection, customer_id: int) -> CustomerRecord | None:
        """:meth:`get` on a synchronous connection (a reader running in one thread hop)."""
        columns = (Customer.id, Customer.display_name, Customer.company, Customer.external_key, Customer.country,
                   Customer.language, Customer.merged_into_id)
        row = conn.execute(select(*columns).where(Customer.id == customer_id)).first()
        hops = 0
        while row is not None and row.merged_into_id is not None and hops < _MAX_MERGE_HOPS:
            row = conn.execute(select(*columns).where(Customer.id == row.merged_into_id)).first()
            hops += 1
        if row is None:
            return None
        idents = conn.execute(select(Identity.kind, Identity.value, Identity.label)
                              .where(Identity.customer_id == row.id).order_by(Identity.id)).all()
        return _record(row, idents)  # type: ignore[arg-type]

    async def get(self, customer_id: int, *, session: AsyncSession | None = None) -> CustomerRecord | None:
        """The customer, following merges to the surviving record; ``None`` when absent."""
        async with self._use(session) as s:
            row = await _live(s, customer_id)
            if row is None:
                return None
            idents = (await s.execute(
                select(Identity.kind, Identity.value, Identity.label)
                .where(Identity.customer_id == row.id).order_by(Identity.id)
            )).all()
            return _record(row, idents)

    async def create(
        self,
        display_name: str,
        *,
        company: str | None = None,
        external_key: str | None = None,
        country: str | None = None,
        language: str | None = None,
        identities: Iterable[tuple[str, str, str | None]] = (),
        session: AsyncSession | None = None,
    ) -> CustomerRecord:
        """Create a customer with identities ``(kind, raw value, label)``.

        Raises:
            ValidationError: empty name, or an identity that cannot be normalised.
            Conflict: *external_key* belongs to another customer.
        """
        name = display_name.strip()
        if not name:
            raise ValidationError("display_name", "'display_name' is required")
        wanted = [(kind, self._require(kind, raw), label) for kind, raw, label in identities]
        async with self._use(session) as s:
            if external_key is not None and (await s.execute(
                    select(Customer.id).where(Customer.external_key == external_key))).first() is not None:
                raise Conflict(f"external key {external_key!r} belongs to another customer")
            customer = Customer(display_name=name[:200], company=company, external_key=external_key,
                                country=country, language=language)
            s.add(customer)
            await s.flush()
            for kind, value, label in dict.fromkeys(wanted):
                s.add(Identity(customer_id=customer.id, kind=kind, value=value, label=label))
            await s.flush()
            return _record(customer, [(k, v, lab) for k, v, lab in dict.fromkeys(wanted)])

    def _require(self, kind: str, raw: str | None) -> str:
        if kind not in KINDS:
            raise ValidationError("kind", f"'kind' must be one of {', '.join(KINDS)}")
        value = self.normalise(kind, raw)
        if value is None:
            raise ValidationError("value", f"{raw!r} is not a usable {kind}")
        return value

    async def link_identity(
        self, customer_id: int, kind: str, raw: str | None, *, label: str | None = None,
        session: AsyncSession | None = None,
    ) -> IdentityRecord:
        """Add an identity to a customer; linking one it already has is a no-op.

        Raises:
            ValidationError: unknown kind or a value that cannot be normalised.
            NotFound: no such customer.
        """
        value = self._require(kind, raw)
        async with self._use(session) as s:
            row = await _live(s, customer_id)
            if row is None:
                raise NotFound(f"customer {customer_id} does not exist")
            existing = (await s.execute(select(Identity).where(
                Identity.customer_id == row.id, Identity.kind == kind, Identity.value == value))).scalar_one_or_none()
            if existing is None:
                s.add(Identity(customer_id=row.id, kind=kind, value=value, label=label))
                await s.flush()
            return IdentityRecord(kind=kind, value=value, label=label if existing is None else existing.label)

    async def find_or_create(
        self, kind: str, raw: str, *, display_name: str | None = None, session: AsyncSession | None = None,
    ) -> tuple[int, bool]:
        """The customer behind *raw* (the best-ranked one when ambiguous), created if unknown.

        Returns ``(customer_id, created)``.

        Raises:
            ValidationError: *raw* cannot be normalised as *kind*.
        """
        value = self._require(kind, raw)
        async with self._use(session) as s:
            found = await s.run_sync(identify_sync, kind, value)
            if found.candidates:
                return found.candidates[0].customer_id, False
            record = await self.create(display_name or value, identities=[(kind, value, None)], session=s)
            return record.id, True

    async def merge(self, merged_id: int, into_id: int, *, by_user_id: int | None = None,
                    session: AsyncSession | None = None) -> int:
        """Fold customer *merged_id* into *into_id*: identities, conversations and calls move.

        The merged record stays (``merged_into_id`` points at the survivor) so old references
        resolve, and what moved is kept in a ``customer_merge`` row so :meth:`unmerge` can put
        it back. Returns that row's id. Publishing :class:`~contact_center.events.CustomersMerged`
        is the caller's job.

        Raises:
            ValidationError: merging a customer into itself.
            NotFound: either customer is missing.
        """
        async with self._use(session) as s:
            source, target = await _live(s, merged_id), await _live(s, into_id)
            if source is None or target is None:
                raise NotFound(f"customer {merged_id if source is None else into_id} does not exist")
            if source.id == target.id:
                raise ValidationError("into_id", "cannot merge a customer into itself")
            have = set((await s.execute(
                select(Identity.kind, Identity.value).where(Identity.customer_id == target.id))).all())
            moved: dict[str, Any] = {"identities": [], "dropped": [], "external_key": None}
            for ident in (await s.execute(select(Identity).where(Identity.customer_id == source.id))).scalars():
                if (ident.kind, ident.value) in have:
                    moved["dropped"].append({"kind": ident.kind, "value": ident.value, "label": ident.label})
                    await s.delete(ident)
                else:
                    moved["identities"].append(ident.id)
                    ident.customer_id = target.id
            moved["conversations"] = list((await s.execute(update(Conversation).where(
                Conversation.customer_id == source.id).values(customer_id=target.id)
                .returning(Conversation.id))).scalars())
            moved["calls"] = list((await s.execute(update(Call).where(Call.customer_id == source.id)
                                                   .values(customer_id=target.id).returning(Call.id))).scalars())
            moved["redirected"] = list((await s.execute(update(Customer).where(
                Customer.merged_into_id == source.id).values(merged_into_id=target.id)
                .returning(Customer.id))).scalars())
            if target.external_key is None and source.external_key is not None:
                key, source.external_key = source.external_key, None
                await s.flush()
                target.external_key = key
                moved["external_key"] = key
            source.merged_into_id = target.id
            record = CustomerMerge(merged_id=source.id, into_id=target.id, by_user_id=by_user_id, moved=moved)
            s.add(record)
            await s.flush()
            return record.id

    async def unmerge(self, merged_id: int, *, session: AsyncSession | None = None) -> CustomerMerge:
        """Undo the last merge of customer *merged_id*: its record lives again with the identities,
        conversations, calls and external key that moved (those still on the survivor).

        Conversations the survivor gained after the merge stay with it. Returns the merge undone.

        Raises:
            NotFound: *merged_id* is not a merged customer.
            Conflict: the survivor was itself merged away since (undo that first).
        """
        async with self._use(session) as s:
            source = await s.get(Customer, merged_id)
            record = (await s.execute(select(CustomerMerge).where(
                CustomerMerge.merged_id == merged_id, CustomerMerge.undone_at.is_(None))
                .order_by(CustomerMerge.id.desc()).limit(1))).scalar_one_or_none()
            if source is None or source.merged_into_id is None or record is None:
                raise NotFound(f"customer {merged_id} is not a merged customer")
            target = await s.get(Customer, record.into_id)
            if target is None or target.merged_into_id is not None:
                raise Conflict(f"customer {record.into_id} was merged again since; unmerge that first")
            moved = record.moved
            if moved.get("identities"):
                await s.execute(update(Identity).where(Identity.id.in_(moved["identities"]),
                                                       Identity.customer_id == target.id)
                                .values(customer_id=source.id))
            for ident in moved.get("dropped", ()):
                s.add(Identity(customer_id=source.id, kind=ident["kind"], value=ident["value"], label=ident["label"]))
            for table, ids in ((Conversation, moved.get("conversations")), (Call, moved.get("calls"))):
                if ids:
                    await s.execute(update(table).where(table.id.in_(ids), table.customer_id == target.id)
                                    .values(customer_id=source.id))
            if moved.get("redirected"):
                await s.execute(update(Customer).where(Customer.id.in_(moved["redirected"]),
                                                       Customer.merged_into_id == target.id)
                                .values(merged_into_id=source.id))
            if moved.get("external_key") and target.external_key == moved["external_key"]:
                target.external_key = None
                await s.flush()
                source.external_key = moved["external_key"]
            source.merged_into_id = None
            record.undone_at = utcnow()
            await s.flush()
            return record


async def _live(s: AsyncSession, customer_id: int) -> Customer | None:
    row = await s.get(Customer, customer_id)
    hops = 0
    while row is not None and row.merged_into_id is not None and hops < _MAX_MERGE_HOPS:
        row = await s.get(Customer, row.merged_into_id)
        hops += 1
    return row


def _owners_query(kind: str, wanted: list[str]) -> Any:
    return (select(Identity.value, Identity.customer_id).join(Customer, Customer.id == Identity.customer_id)
            .where(Identity.kind == kind, Identity.value.in_(wanted), Customer.merged_into_id.is_(None))
            .order_by(Identity.customer_id))


def _owners_from(rows: Iterable[Any]) -> dict[str, tuple[int, ...]]:
    out: dict[str, tuple[int, ...]] = {}
    for value, customer_id in rows:
        out[value] = (*out.get(value, ()), customer_id)
    return out


def _candidates_query(kind: str, value: str) -> Any:
    return (select(Customer.id, Customer.display_name, Customer.company, Identity.label)
            .join(Identity, Identity.customer_id == Customer.id)
            .where(Identity.kind == kind, Identity.value == value, Customer.merged_into_id.is_(None)))


def _stats_query(customer_ids: list[int]) -> Any:
    return (select(Conversation.customer_id, func.count(Conversation.id), func.max(Conversation.created_at))
            .where(Conversation.customer_id.in_(customer_ids)).group_by(Conversation.customer_id))


def _ranked(rows: Iterable[Any], stat_rows: Iterable[Any]) -> list[Candidate]:
    stats = {r[0]: (int(r[1]), _aware(r[2])) for r in stat_rows}
    return [
        Candidate(customer_id=r[0], display_name=r[1], company=r[2], label=r[3],
                  contacts=stats.get(r[0], (0, None))[0], last_contact_at=stats.get(r[0], (0, None))[1])
        for r in rows
    ]


def _aware(value: Any) -> Any:
    # Aggregates bypass the UTC column type on SQLite; give them their zone back.
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def _record(row: Customer, idents: Iterable[Any]) -> CustomerRecord:
    return CustomerRecord(
        id=row.id, display_name=row.display_name, company=row.company, external_key=row.external_key,
        country=row.country, language=row.language,
        identities=tuple(IdentityRecord(kind=i[0], value=i[1], label=i[2]) for i in idents),
    )


def owners_sync(s: Session | Connection, kind: str, values: Iterable[str]) -> dict[str, tuple[int, ...]]:
    """Normalised identity value -> the live customers that have it, on a synchronous connection.

    The one implementation: :meth:`CustomerRepository.owners` runs it through ``run_sync``, the
    call batch and the pop reader call it directly."""
    wanted = sorted(set(values))
    return _owners_from(s.execute(_owners_query(kind, wanted)).all()) if wanted else {}


def rank_shared(kind: str, owners: Mapping[str, tuple[int, ...]],
                identify: Callable[[str], Match]) -> dict[Key, tuple[int, ...]]:
    """*owners* (value -> its live customers) keyed by identity, the customers of a shared value
    put in rank order by *identify* (one ranked query per shared value, none for the usual one owner)."""
    out: dict[Key, tuple[int, ...]] = {}
    for value, found in owners.items():
        if len(found) > 1:
            found = tuple(c.customer_id for c in identify(value).candidates) or found
        out[(kind, value)] = found
    return out


def ranked_owners_sync(s: Session | Connection, identities: Iterable[Key]) -> dict[Key, tuple[int, ...]]:
    """Identity -> its live customers, best-ranked first: what :func:`~.identity.who` decides from.

    The one loader of a batch's identities (mail, chat and messages; calls through their batch's
    statements, :mod:`contact_center.ingest.call_batch`): one query per kind, plus one per shared value."""
    by_kind: dict[str, set[str]] = {}
    for kind, value in identities:
        by_kind.setdefault(kind, set()).add(value)
    out: dict[Key, tuple[int, ...]] = {}
    for kind, values in by_kind.items():
        out.update(rank_shared(kind, owners_sync(s, kind, values), functools.partial(identify_sync, s, kind)))
    return out


def identify_sync(s: Session | Connection, kind: str, value: str) -> Match:
    """Who is behind the already-normalised *value*, on a synchronous connection (see :func:`match`).

    The one implementation: :meth:`CustomerRepository.identify` runs it through ``run_sync``."""
    rows = s.execute(_candidates_query(kind, value)).all()
    if len(rows) < 2:
        return match(value, [Candidate(customer_id=r[0], display_name=r[1], company=r[2], label=r[3])
                             for r in rows])
    return match(value, _ranked(rows, s.execute(_stats_query([r[0] for r in rows])).all()))


async def known_phone_numbers(database_url: str, limit: int = 200) -> list[str]:
    """Up to *limit* phone numbers of existing customers, at random (the PBX simulator calls them);
    empty when the store cannot be read. Only numbers of one customer each: a number several
    customers share (a company's switchboard) asks the agent who is calling instead of popping."""
    db = Database(database_url)
    try:
        async with db.session() as s:
            rows = await s.execute(select(Identity.value).where(Identity.kind == "phone").group_by(Identity.value)
                                   .having(func.count(func.distinct(Identity.customer_id)) == 1)
                                   .order_by(func.random()).limit(limit))
            return [r[0] for r in rows]
    except Exception:  # a simulator against a store it cannot read still plays unknown callers
        return []
    finally:
        await db.close()
