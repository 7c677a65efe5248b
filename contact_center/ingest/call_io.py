"""The statements one CTI batch runs: SQLAlchemy Core on a synchronous ``Connection``.

:class:`CoreIO` is the batch's only store access, the same on SQLite and PostgreSQL (through
``AsyncConnection.run_sync``). A second implementation as raw ``sqlite3`` SQL text, which ran in
the removed SQLite writer process, is gone with it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, Table, bindparam, insert, select, update

from contact_center.customers.identity import Match
from contact_center.store.tables import Audit, Call, Conversation
from contact_center.store.tables import CtiEvent as CtiEventRow

CALL: Table = Call.__table__  # type: ignore[assignment]
CONVERSATION: Table = Conversation.__table__  # type: ignore[assignment]
CTI_EVENT: Table = CtiEventRow.__table__  # type: ignore[assignment]
AUDIT: Table = Audit.__table__  # type: ignore[assignment]
TABLES = {t.name: t for t in (CALL, CONVERSATION, CTI_EVENT, AUDIT)}

Owners = Callable[[Connection, str, Iterable[str]], Mapping[str, tuple[int, ...]]]
Identify = Callable[[Connection, str, str], Match]
Row = dict[str, Any]


class CoreIO:
    """A batch's reads and writes as SQLAlchemy Core statements on *conn*."""

    def __init__(self, conn: Connection, *, owners: Owners, identify: Identify) -> None:
        self.conn = conn
        self._owners = owners
        self._identify = identify

    def stored_replies(self, digests: set[str]) -> dict[str, Any]:
        """Digest -> stored reply, for the digests already stored."""
        rows = self.conn.execute(select(CTI_EVENT.c.digest, CTI_EVENT.c.reply).where(CTI_EVENT.c.digest.in_(digests)))
        return {digest: reply for digest, reply in rows}

    def rows(self, table: str, key: str, values: set[Any], columns: tuple[str, ...]) -> list[Row]:
        """*columns* of the rows of *table* whose *key* is one of *values*."""
        t = TABLES[table]
        return [dict(r) for r in self.conn.execute(
            select(*(t.c[name] for name in columns)).where(t.c[key].in_(values))).mappings()]

    def owners(self, numbers: set[str]) -> Mapping[str, tuple[int, ...]]:
        """E.164 number -> the live customers that have it."""
        return self._owners(self.conn, "phone", numbers)

    def identify(self, number: str) -> Match:
        """Ranked candidates for a number several customers share."""
        return self._identify(self.conn, "phone", number)

    def insert_conversations(self, rows: list[Row]) -> dict[str, int]:
        """Insert new call conversations; external_ref -> id."""
        result = self.conn.execute(insert(CONVERSATION).returning(CONVERSATION.c.external_ref, CONVERSATION.c.id),
                                   rows)
        return {ref: conv_id for ref, conv_id in result.all()}

    def insert(self, table: str, rows: list[Row]) -> None:
        """One multi-row INSERT."""
        self.conn.execute(insert(TABLES[table]), rows)

    def update(self, table: str, names: tuple[str, ...], rows: list[Row]) -> None:
        """``UPDATE table SET names… WHERE id = :_row_id`` for every row (executemany)."""
        t = TABLES[table]
        stmt = update(t).where(t.c.id == bindparam("_row_id")).values({name: bindparam(name) for name in names})
        self.conn.execute(stmt, rows)
