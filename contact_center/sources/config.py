"""Source databases as configured: validated specs and read-only engine arguments.

A source is configuration, not code (``[[sources]]`` in the TOML file, see
:class:`contact_center.settings.SourceSettings`): a name, a section title, a SQLAlchemy URL, a
query with ``:customer_key`` bound to the customer's ``external_key``, a timeout and whether the
query returns one record (``row``) or a list (``rows``). The product never writes a source:
SQLite files are opened read-only and PostgreSQL sessions default to read-only transactions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import make_url

from contact_center.errors import ConfigError
from contact_center.settings import SourceSettings

KINDS = ("rows", "row")
KEY_PARAM = ":customer_key"


@dataclass(frozen=True)
class SourceSpec:
    """One source, checked. ``aux`` are extra keyed queries run on the same connection."""

    name: str
    title: str
    url: str
    query: str
    timeout_ms: int = 150
    kind: str = "rows"
    history_query: str | None = None
    aux: tuple[tuple[str, str], ...] = field(default=())
    max_rows: int = 50

    @property
    def timeout(self) -> float:
        return self.timeout_ms / 1000

    def __repr__(self) -> str:
        return f"SourceSpec(name={self.name!r}, timeout_ms={self.timeout_ms}, kind={self.kind!r})"


def spec_from_settings(item: SourceSettings, *, aux: Mapping[str, str] | None = None,
                       max_rows: int = 50) -> SourceSpec:
    """Validate one configured source.

    Raises:
        ConfigError: unknown kind, a query without ``:customer_key``, a non-positive timeout.
    """
    where = f"sources.{item.name}"
    if item.kind not in KINDS:
        raise ConfigError(f"{where}.kind must be one of {', '.join(KINDS)}, not {item.kind!r}")
    for label, query in (("query", item.query), ("history_query", item.history_query),
                         *((f"aux.{k}", q) for k, q in (aux or {}).items())):
        if query is not None and KEY_PARAM not in query:
            raise ConfigError(f"{where}.{label} must use the bound parameter {KEY_PARAM}")
    if item.timeout_ms <= 0:
        raise ConfigError(f"{where}.timeout_ms must be positive")
    try:
        make_url(item.url)
    except Exception as exc:  # SQLAlchemy raises ArgumentError and friends
        raise ConfigError(f"{where}.url is not a SQLAlchemy URL") from exc
    return SourceSpec(name=item.name, title=item.title, url=item.url, query=item.query,
                      timeout_ms=item.timeout_ms, kind=item.kind, history_query=item.history_query,
                      aux=tuple(sorted((aux or {}).items())), max_rows=max_rows)


def specs_from_settings(items: Iterable[SourceSettings], *, aux: Mapping[str, Mapping[str, str]] | None = None,
                        max_rows: int = 50) -> tuple[SourceSpec, ...]:
    """Validate every configured source; names must be unique.

    *aux* maps a source name to extra queries run with it (the screen pop's owned products).

    Raises:
        ConfigError: a bad source, a duplicate name, or *aux* naming no source.
    """
    specs = [spec_from_settings(i, aux=(aux or {}).get(i.name), max_rows=max_rows) for i in items]
    names = [s.name for s in specs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigError(f"source names must be unique; repeated: {', '.join(dupes)}")
    unknown = sorted(set(aux or {}) - set(names))
    if unknown:
        raise ConfigError(f"no source named {', '.join(unknown)}")
    return tuple(specs)


def read_only_engine_args(url: str) -> tuple[str, dict[str, Any]]:
    """The URL and engine keyword arguments that open *url* read-only.

    SQLite files open with ``mode=ro`` (a missing file is an error, never created); PostgreSQL
    sessions get ``default_transaction_read_only``. Other databases rely on the configured
    account's rights, and every query runs in a transaction that is rolled back.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:") or database.startswith("file:"):
            return url, {}
        ro = parsed.set(database=f"file:{database}", query={**parsed.query, "mode": "ro", "uri": "true"})
        return ro.render_as_string(hide_password=False), {"pool_size": 4, "max_overflow": 8}
    if backend == "postgresql":
        args: dict[str, Any] = {"pool_size": 4, "max_overflow": 8, "pool_pre_ping": False}
        if parsed.get_driver_name() == "asyncpg":
            args["connect_args"] = {"server_settings": {"default_transaction_read_only": "on"}}
        return url, args
    return url, {}
