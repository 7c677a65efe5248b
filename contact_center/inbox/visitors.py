"""Recording what a chat visitor says about themselves: a name and an email address.

The visitor's first message created an anonymous customer with only the ``chat`` identity. The
email is what the visitor typed, never verified: it becomes an ``unverified`` identity of the
visitor's own record and nothing more. A visitor typing a known customer's address is *not* merged
into that customer and is not told anything about them (anyone can type anyone's address); the
agent sees the address shared with the known customer (an ambiguous match) and can merge the two
after checking, which is a supervisor's audited, reversible action.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contact_center.customers.identity import UNVERIFIED
from contact_center.customers.repository import CustomerRepository
from contact_center.errors import ValidationError
from contact_center.store.session import Database
from contact_center.store.tables import Customer, Identity


async def identify_visitor(
    *, db: Database, customers: CustomerRepository, visitor_id: str, name: str | None, email: str | None
) -> int:
    """Record *name* and *email* on visitor *visitor_id*'s own customer record; returns its id.

    Raises:
        ValidationError: *email* is given but not an email address.
    """
    address = customers.normalise("email", email) if email else None
    if email and address is None:
        raise ValidationError("email", f"{email!r} is not an email address")
    async with db.session() as s:
        visitor = (await customers.identify("chat", visitor_id, session=s)).candidates
        if not visitor:
            identities = [("chat", visitor_id, UNVERIFIED)] + ([("email", address, UNVERIFIED)] if address else [])
            record = await customers.create(name or address or "Chat visitor", identities=identities, session=s)
            return record.id
        own = visitor[0].customer_id
        if not await _anonymous(s, own, allow_email=True):
            return own  # an agent linked this visitor to a customer: what they type changes nothing
        if address:
            have = set((await s.execute(select(Identity.value).where(
                Identity.customer_id == own, Identity.kind == "email"))).scalars())
            if address not in have:
                await customers.link_identity(own, "email", address, label=UNVERIFIED, session=s)
        if name:
            row = await s.get(Customer, own)
            if row is not None:
                row.display_name = name[:200]
        return own


async def _anonymous(s: AsyncSession, customer_id: int, *, allow_email: bool = False) -> bool:
    """A record created for a chat visitor: only chat identities (and, if allowed, an email)."""
    kinds = set((await s.execute(
        select(Identity.kind).where(Identity.customer_id == customer_id))).scalars().all())
    allowed = {"chat", "email"} if allow_email else {"chat"}
    return kinds <= allowed
