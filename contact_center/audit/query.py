"""Reading the audit log: the filter an admin's query string describes, and the CSV export.

:func:`parse_filter` is pure (query mapping in, :class:`AuditFilter` out, or a
:class:`~contact_center.errors.ValidationError` naming the parameter); :func:`search` and
:func:`export_rows` read the store.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select

from contact_center.errors import ValidationError
from contact_center.http.bodies import optional_int
from contact_center.store.session import Database
from contact_center.store.tables import Audit, User

MAX_PAGE = 1000
EXPORT_PAGE = 2000
COLUMNS = ("id", "at", "user_id", "username", "ip", "action", "object_type", "object_id", "customer_id",
           "before", "after", "detail")


@dataclass(frozen=True)
class AuditFilter:
    """Which entries to read: every field that is set must match; newest first, before *before_id*."""

    user_id: int | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    customer_id: int | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    before_id: int | None = None
    limit: int = 100


def _time(query: Mapping[str, str], name: str) -> dt.datetime | None:
    raw = query.get(name)
    if not raw:
        return None
    try:
        value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError as exc:
        raise ValidationError(name, f"'{name}' must be an ISO 8601 time such as 2026-01-31T08:00:00Z") from exc
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _text(query: Mapping[str, str], name: str, max_len: int) -> str | None:
    value = query.get(name) or None
    if value is not None and len(value) > max_len:
        raise ValidationError(name, f"'{name}' is longer than {max_len} characters")
    return value


def parse_filter(query: Mapping[str, str], *, default_limit: int = 100) -> AuditFilter:
    """The filter of ``GET /api/v1/audit``'s query string.

    Raises:
        ValidationError: a parameter is malformed (named in ``field``).
    """
    since, until = _time(query, "since"), _time(query, "until")
    if since and until and since > until:
        raise ValidationError("since", "'since' must not be after 'until'")
    big = 2**63 - 1
    return AuditFilter(
        user_id=optional_int(query, "user_id", low=1, high=big),
        action=_text(query, "action", 64),
        object_type=_text(query, "object_type", 32),
        object_id=_text(query, "object_id", 64),
        customer_id=optional_int(query, "customer_id", low=1, high=big),
        since=since, until=until,
        before_id=optional_int(query, "before_id", low=1, high=big),
        limit=optional_int(query, "limit", low=1, high=MAX_PAGE) or default_limit,
    )


def _statement(f: AuditFilter) -> Select[Audit, str]:
    q = select(Audit, User.username).outerjoin(User, User.id == Audit.user_id)
    for column, value in ((Audit.user_id, f.user_id), (Audit.action, f.action), (Audit.object_type, f.object_type),
                          (Audit.object_id, f.object_id), (Audit.customer_id, f.customer_id)):
        if value is not None:
            q = q.where(column == value)
    if f.since is not None:
        q = q.where(Audit.at >= f.since)
    if f.until is not None:
        q = q.where(Audit.at <= f.until)
    if f.before_id is not None:
        q = q.where(Audit.id < f.before_id)
    return q.order_by(Audit.id.desc()).limit(f.limit)


def entry_view(row: Audit, username: str | None) -> dict[str, Any]:
    """One entry as the API shows it."""
    return {"id": row.id, "at": row.at.isoformat(), "user_id": row.user_id, "username": username, "ip": row.ip,
            "action": row.action, "object_type": row.object_type, "object_id": row.object_id,
            "customer_id": row.customer_id, "before": row.before, "after": row.after, "detail": row.detail}


async def search(db: Database, f: AuditFilter) -> list[dict[str, Any]]:
    """The entries matching *f*, newest first."""
    async with db.session() as s:
        return [entry_view(row, name) for row, name in (await s.execute(_statement(f))).all()]


async def export_rows(db: Database, f: AuditFilter) -> AsyncIterator[list[dict[str, Any]]]:
    """Every entry matching *f* (its limit is the page size), newest first, page by page."""
    page = f
    while True:
        rows = await search(db, page)
        if rows:
            yield rows
        if len(rows) < page.limit:
            return
        page = AuditFilter(**{**page.__dict__, "before_id": rows[-1]["id"]})


def csv_text(rows: Iterable[Mapping[str, Any]], *, header: bool) -> str:
    """*rows* as CSV lines (JSON for the structured columns); with the column names first if *header*."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if header:
        writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_cell(row[name]) for name in COLUMNS])
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True) if isinstance(value, dict | list) else str(value)
    # A spreadsheet would run a cell starting with these as a formula (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
