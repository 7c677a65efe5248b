"""A customer's recent contacts across every channel (calls, emails, chats), newest first."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.ext.asyncio import AsyncSession

from contact_center.auth.roles import Principal
from contact_center.store.tables import Conversation, Department, User

DEFAULT_LIMIT = 10


def timeline_entry(
    *,
    conversation_id: int,
    channel: str,
    status: str,
    subject: str | None,
    contact_address: str | None,
    department: str | None,
    disposition: str | None,
    created_at: dt.datetime,
    closed_at: dt.datetime | None,
    owner_id: int | None = None,
    owner_name: str | None = None,
) -> dict[str, Any]:
    """One timeline row as it travels in the screen pop and the customer view (JSON-ready).

    ``owner_id``/``owner_name``: the agent the conversation is (or was last) assigned to.
    """
    return {
        "conversation_id": conversation_id,
        "channel": channel,
        "status": status,
        "subject": subject,
        "contact_address": contact_address,
        "department": department,
        "disposition": disposition,
        "created_at": created_at.isoformat(),
        "closed_at": closed_at.isoformat() if closed_at else None,
        "owner_id": owner_id,
        "owner_name": owner_name,
    }


def visible_entries(entries: list[dict[str, Any]], principal: Principal) -> list[dict[str, Any]]:
    """The entries *principal* may see: their departments' (all for supervisors), unrouted ones,
    and every contact they handled themselves, wherever it was routed."""
    return [t for t in entries if principal.sees_department(t["department"]) or t.get("owner_id") == principal.id]


def _recent_query(customer_id: int, limit: int, exclude: int | None) -> Any:
    query = (
        select(Conversation.id, Conversation.channel, Conversation.status, Conversation.subject,
               Conversation.contact_address, Department.slug, Conversation.disposition,
               Conversation.created_at, Conversation.closed_at, Conversation.assigned_user_id, User.display_name)
        .outerjoin(Department, Department.id == Conversation.department_id)
        .outerjoin(User, User.id == Conversation.assigned_user_id)
        .where(Conversation.customer_id == customer_id)
        .order_by(Conversation.created_at.desc(), Conversation.id.desc())
        .limit(limit)
    )
    return query.where(Conversation.id != exclude) if exclude is not None else query


def _entries(rows: Any) -> list[dict[str, Any]]:
    return [
        timeline_entry(conversation_id=r[0], channel=r[1], status=r[2], subject=r[3], contact_address=r[4],
                       department=r[5], disposition=r[6], created_at=r[7], closed_at=r[8], owner_id=r[9],
                       owner_name=r[10])
        for r in rows
    ]


async def recent_conversations(
    session: AsyncSession, customer_id: int, *, limit: int = DEFAULT_LIMIT, exclude: int | None = None,
) -> list[dict[str, Any]]:
    """The customer's latest *limit* conversations on every channel, newest first.

    *exclude* leaves one conversation out (the contact the pop is about).
    """
    return _entries((await session.execute(_recent_query(customer_id, limit, exclude))).all())


def recent_conversations_sync(
    conn: Connection, customer_id: int, *, limit: int = DEFAULT_LIMIT, exclude: int | None = None,
) -> list[dict[str, Any]]:
    """:func:`recent_conversations` on a synchronous connection."""
    return _entries(conn.execute(_recent_query(customer_id, limit, exclude)).all())
