"""Linking a chat visitor to a customer when they give a name and an email address.

The visitor's first message created an anonymous customer with only the ``chat`` identity. If
the email names a known customer, that anonymous record is merged into the known one (so the
chat, and its timeline entry, land on the right customer and the agent's pop shows them);
otherwise the email becomes an identity of the visitor's own customer. The address is what the
visitor typed, not verified: the chat identity is labelled ``unverified`` so agents can tell.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contact_center.customers.repository import CustomerRepository
from contact_center.errors import ValidationError
from contact_center.store.session import Database
from contact_center.store.tables import Customer, Identity

UNVERIFIED = "unverified"


async def identify_visitor(
    *, db: Database, customers: CustomerRepository, visitor_id: str, name: str | None, email: str | None
) -> tuple[int, int | None]:
    """Link visitor *visitor_id* to the customer *email* names (or record name and email).

    Returns ``(customer id, merged-away customer id or None)``; the caller publishes
    ``CustomersMerged`` when something was merged.

    Raises:
        ValidationError: *email* is given but not an email address.
    """
    address = customers.normalise("email", email) if email else None
    if email and address is None:
        raise ValidationError("email", f"{email!r} is not an email address")
    async with db.session() as s:
        visitor = (await customers.identify("chat", visitor_id, session=s)).candidates
        own = visitor[0].customer_id if visitor else None
        known = None
        if address:
            found = (await customers.identify("email", address, session=s)).candidates
            known = found[0].customer_id if found else None
        if known is not None and own is not None and known != own and await _anonymous(s, own):
            await customers.merge(own, known, session=s)
            await customers.link_identity(known, "chat", visitor_id, label=UNVERIFIED, session=s)
            return known, own
        if known is not None and own is None:
            await customers.link_identity(known, "chat", visitor_id, label=UNVERIFIED, session=s)
            return known, None
        if own is None:
            identities = [("chat", visitor_id, UNVERIFIED)] + ([("email", address, UNVERIFIED)] if address else [])
            record = await customers.create(name or address or "Chat visitor", identities=identities, session=s)
            return record.id, None
        if address and known is None:
            await customers.link_identity(own, "email", address, label=UNVERIFIED, session=s)
        if name:
            row = await s.get(Customer, own)
            if row is not None and await _anonymous(s, own, allow_email=True):
                row.display_name = name[:200]
        return own, None


async def _anonymous(s: AsyncSession, customer_id: int, *, allow_email: bool = False) -> bool:
    """A record created for a chat visitor: only chat identities (and, if allowed, an email)."""
    kinds = set((await s.execute(
        select(Identity.kind).where(Identity.customer_id == customer_id))).scalars().all())
    allowed = {"chat", "email"} if allow_email else {"chat"}
    return kinds <= allowed
