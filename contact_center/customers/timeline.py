"""A customer's recent contacts across every channel (calls, emails, chats, API messages, callbacks),
newest first, each with its latest task (a callback's outcome, a follow-up's time) when it has one;
and the full timeline, which adds the internal notes and every task."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from contact_center.auth.roles import Principal
from contact_center.customers.access import visible_conversation
from contact_center.store.tables import Conversation, Department, Message, Task, User

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
    task: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One timeline row as it travels in the screen pop and the customer view (JSON-ready).

    ``owner_id``/``owner_name``: the agent the conversation is (or was last) assigned to;
    ``task``: its latest task (``kind``, ``status``, ``outcome``, ``due_at``, ``note``), or None.
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
        "task": task,
    }


def visible_entries(entries: list[dict[str, Any]], principal: Principal) -> list[dict[str, Any]]:
    """The entries *principal* may see: their departments' (all for supervisors), unrouted ones,
    and every contact they handled themselves, wherever it was routed."""
    if principal.at_least("supervisor"):
        return list(entries)
    return visible_to(entries, user_id=principal.id, departments=principal.departments)


def visible_to(entries: list[dict[str, Any]], *, user_id: int, departments: tuple[str, ...]) -> list[dict[str, Any]]:
    """The entries an agent of *departments* may see (the rule of :func:`visible_entries`)."""
    return [t for t in entries
            if t["department"] is None or t["department"] in departments or t.get("owner_id") == user_id]


def _latest_task() -> Any:
    return Task.id == select(func.max(Task.id)).where(Task.conversation_id == Conversation.id) \
        .correlate(Conversation).scalar_subquery()


def _recent_query(customer_id: int, limit: int, exclude: int | None, principal: Principal | None = None) -> Any:
    query = (
        select(Conversation.id, Conversation.channel, Conversation.status, Conversation.subject,
               Conversation.contact_address, Department.slug, Conversation.disposition,
               Conversation.created_at, Conversation.closed_at, Conversation.assigned_user_id, User.display_name,
               Task.kind, Task.status, Task.outcome, Task.due_at, Task.note)
        .outerjoin(Department, Department.id == Conversation.department_id)
        .outerjoin(User, User.id == Conversation.assigned_user_id)
        .outerjoin(Task, _latest_task())
        .where(Conversation.customer_id == customer_id)
        .order_by(Conversation.created_at.desc(), Conversation.id.desc())
        .limit(limit)
    )
    if principal is not None and not principal.at_least("supervisor"):
        query = query.where(visible_conversation(principal))
    return query.where(Conversation.id != exclude) if exclude is not None else query


def _task(kind: str | None, status: str | None, outcome: str | None, due_at: dt.datetime | None,
          note: str | None) -> dict[str, Any] | None:
    if kind is None:
        return None
    return {"kind": kind, "status": status, "outcome": outcome, "due_at": due_at.isoformat() if due_at else None,
            "note": note}


def _entries(rows: Any) -> list[dict[str, Any]]:
    return [
        timeline_entry(conversation_id=r[0], channel=r[1], status=r[2], subject=r[3], contact_address=r[4],
                       department=r[5], disposition=r[6], created_at=r[7], closed_at=r[8], owner_id=r[9],
                       owner_name=r[10], task=_task(*r[11:16]))
        for r in rows
    ]


async def recent_conversations(
    session: AsyncSession, customer_id: int, *, limit: int = DEFAULT_LIMIT, exclude: int | None = None,
    principal: Principal | None = None,
) -> list[dict[str, Any]]:
    """The customer's latest *limit* conversations on every channel, newest first.

    *exclude* leaves one conversation out (the contact the pop is about). With *principal*, only
    those they may see (:func:`visible_entries`' rule, applied before the limit).
    """
    return _entries((await session.execute(_recent_query(customer_id, limit, exclude, principal))).all())


def recent_conversations_sync(
    conn: Connection, customer_id: int, *, limit: int = DEFAULT_LIMIT, exclude: int | None = None,
) -> list[dict[str, Any]]:
    """:func:`recent_conversations` on a synchronous connection."""
    return _entries(conn.execute(_recent_query(customer_id, limit, exclude)).all())


async def customer_timeline(
    session: AsyncSession, customer_id: int, principal: Principal, *, limit: int = 50,
    before: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """The customer's whole timeline as *principal* may see it, newest first, at most *limit* items
    older than *before*: every conversation (calls, mails, chats, API messages, callbacks), every
    internal note and every task (callbacks and follow-ups with their outcomes or due times).

    Items are ``{"type": "conversation" | "note" | "task", "at", "conversation_id", …}``; a
    conversation item is a :func:`timeline_entry`.
    """
    seen = visible_conversation(principal) if not principal.at_least("supervisor") else None

    def scoped(query: Any, at: Any) -> Any:
        query = query.where(Conversation.customer_id == customer_id)
        if seen is not None:
            query = query.where(seen)
        if before is not None:
            query = query.where(at < before)
        return query.order_by(at.desc()).limit(limit)

    conversations = _entries((await session.execute(
        scoped(_recent_query(customer_id, limit, None).limit(None).order_by(None), Conversation.created_at))).all())
    notes = (await session.execute(scoped(
        select(Message.id, Message.conversation_id, Message.body_text, Message.created_at, User.display_name,
               Conversation.channel)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .outerjoin(User, User.id == Message.author_user_id)
        .where(Message.direction == "note"), Message.created_at))).all()
    tasks = (await session.execute(scoped(
        select(Task.id, Task.conversation_id, Task.kind, Task.status, Task.outcome, Task.due_at, Task.note,
               Task.number, Task.attempts, Task.missed_calls, Task.created_at, Task.closed_at, Conversation.channel)
        .join(Conversation, Conversation.id == Task.conversation_id), Task.created_at))).all()
    items: list[dict[str, Any]] = [{"type": "conversation", "at": c["created_at"], **c} for c in conversations]
    items += [{"type": "note", "at": n.created_at.isoformat(), "id": n.id, "conversation_id": n.conversation_id,
               "channel": n.channel, "text": n.body_text[:500], "author_name": n.display_name} for n in notes]
    items += [{"type": "task", "at": t.created_at.isoformat(), "id": t.id, "conversation_id": t.conversation_id,
               "channel": t.channel, "kind": t.kind, "status": t.status, "outcome": t.outcome,
               "due_at": t.due_at.isoformat() if t.due_at else None, "note": t.note, "number": t.number,
               "attempts": t.attempts, "missed_calls": t.missed_calls,
               "closed_at": t.closed_at.isoformat() if t.closed_at else None} for t in tasks]
    items.sort(key=lambda item: item["at"], reverse=True)
    return items[:limit]
