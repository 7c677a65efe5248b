"""The statements one CTI batch runs, behind one small interface with two implementations.

:class:`CoreIO` issues SQLAlchemy Core statements on a synchronous ``Connection`` (PostgreSQL
through ``run_sync``, or any store). :class:`SqliteIO` runs the same statements as fixed SQL
text straight on the ``sqlite3`` connection underneath the SQLAlchemy one (same transaction,
committed by SQLAlchemy): ``IN`` lists travel as one JSON array (``json_each``), so every
statement is prepared once and cached by ``sqlite3``; values are converted with the column
types' own SQLAlchemy processors, so what is stored reads back exactly as before. That takes the
per-statement Python cost of a batch from hundreds of microseconds to a few.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy import Column, Connection, Dialect, Table, bindparam, insert, select, update

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


class SqliteStatements:
    """Per-dialect SQL text and value converters for :class:`SqliteIO` (built once per writer)."""

    def __init__(self, dialect: Dialect) -> None:
        self.bind: dict[tuple[str, str], Callable[[Any], Any] | None] = {}
        self.result: dict[tuple[str, str], Callable[[Any], Any] | None] = {}
        self.defaults: dict[tuple[str, str], Callable[[], Any]] = {}
        for table in TABLES.values():
            for col in table.columns:
                self.bind[(table.name, col.name)] = col.type._cached_bind_processor(dialect)
                self.result[(table.name, col.name)] = col.type._cached_result_processor(dialect, None)
                self.defaults[(table.name, col.name)] = _default(col)
        self.insert_columns = {name: tuple(c.name for c in t.columns if not c.primary_key or name == "cti_event")
                               for name, t in TABLES.items()}
        self.insert_sql = {name: f'INSERT INTO "{name}" ({", ".join(cols)}) VALUES ({", ".join("?" * len(cols))})'
                           for name, cols in self.insert_columns.items()}
        # Per table, per inserted column: (name, default, bind processor), looked up once here.
        self.insert_plan = {name: tuple((col, self.defaults[(name, col)], self.bind[(name, col)]) for col in cols)
                            for name, cols in self.insert_columns.items()}

    def to_db(self, table: str, name: str, value: Any) -> Any:
        convert = self.bind[(table, name)]
        return convert(value) if convert is not None and value is not None else value

    def from_db(self, table: str, name: str, value: Any) -> Any:
        convert = self.result[(table, name)]
        return convert(value) if convert is not None else value


def _default(col: Column[Any]) -> Callable[[], Any]:
    """The column's Python-side default as a function (a callable one is called per row: utcnow, dict)."""
    default = col.default
    if default is None:
        return lambda: None
    arg = default.arg  # type: ignore[attr-defined]
    if default.is_scalar:  # type: ignore[attr-defined]
        return lambda: arg
    return lambda: arg(None)


class SqliteIO(CoreIO):
    """:class:`CoreIO` with the hot statements as prepared SQL on the underlying ``sqlite3`` connection."""

    def __init__(self, conn: Connection, statements: SqliteStatements, *, owners: Owners, identify: Identify) -> None:
        super().__init__(conn, owners=owners, identify=identify)
        self._st = statements
        raw = conn.connection.driver_connection  # same connection, same transaction
        assert raw is not None
        self._raw: Any = raw

    def stored_replies(self, digests: set[str]) -> dict[str, Any]:
        rows = self._raw.execute(
            'SELECT digest, reply FROM cti_event WHERE digest IN (SELECT value FROM json_each(?))',
            (json.dumps(list(digests)),))
        return {digest: self._st.from_db("cti_event", "reply", reply) for digest, reply in rows}

    def rows(self, table: str, key: str, values: set[Any], columns: tuple[str, ...]) -> list[Row]:
        sql = (f'SELECT {", ".join(columns)} FROM "{table}" '
               f"WHERE {key} IN (SELECT value FROM json_each(?))")
        converters = [(i, name, self._st.result[(table, name)]) for i, name in enumerate(columns)
                      if self._st.result[(table, name)] is not None]
        out = []
        for r in self._raw.execute(sql, (json.dumps(list(values)),)):
            row = dict(zip(columns, r, strict=True))
            for i, name, convert in converters:
                row[name] = convert(r[i])  # type: ignore[misc]
            out.append(row)
        return out

    def owners(self, numbers: set[str]) -> Mapping[str, tuple[int, ...]]:
        out: dict[str, tuple[int, ...]] = {}
        for value, customer_id in self._raw.execute(
                "SELECT identity.value, identity.customer_id FROM identity JOIN customer "
                "ON customer.id = identity.customer_id WHERE identity.kind = 'phone' "
                "AND identity.value IN (SELECT value FROM json_each(?)) AND customer.merged_into_id IS NULL "
                "ORDER BY identity.customer_id", (json.dumps(sorted(numbers)),)):
            out[value] = (*out.get(value, ()), customer_id)
        return out

    def _values(self, table: str, row: Row) -> list[Any]:
        values = []
        for name, default, convert in self._st.insert_plan[table]:
            value = row[name] if name in row else default()
            values.append(convert(value) if convert is not None and value is not None else value)
        return values

    def insert_conversations(self, rows: list[Row]) -> dict[str, int]:
        sql = self._st.insert_sql["conversation"]
        ids = {}
        for row in rows:
            ids[row["external_ref"]] = int(self._raw.execute(sql, self._values("conversation", row)).lastrowid)
        return ids

    def insert(self, table: str, rows: list[Row]) -> None:
        self._raw.executemany(self._st.insert_sql[table], [self._values(table, row) for row in rows])

    def update(self, table: str, names: tuple[str, ...], rows: list[Row]) -> None:
        sql = f'UPDATE "{table}" SET {", ".join(f"{n} = ?" for n in names)} WHERE id = ?'
        to_db = self._st.to_db
        self._raw.executemany(sql, [[*(to_db(table, n, row[n]) for n in names), row["_row_id"]] for row in rows])
