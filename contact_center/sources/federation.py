"""The customer-data federation: every source fetched concurrently, each against its own deadline.

One :class:`SourceFederation` per application holds one ``AsyncEngine`` per source (created at
start, reused for every query, disposed at shutdown) and a per-customer cache:

* :meth:`prefetch` starts fetching every source for a customer key (at ``newCall``) and returns
  at once; a later :meth:`sections` for the same key (at ``answer``) shares those queries
  (in-flight de-duplication) instead of running them again.
* :meth:`sections` waits for each source until *its* deadline (fetch start + ``timeout_ms``)
  and no longer: a slow source is reported ``timeout`` while its query keeps running, and
  :meth:`pending` hands the caller the task to await for a follow-up. A source that fails is
  ``unavailable``; one source never delays or breaks another.
* Results live for ``ttl_seconds``; failed ones are retried on the next request. A query that
  outlives ``late_limit_seconds`` is cancelled.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import decimal
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from contact_center.errors import NotFound, Unavailable
from contact_center.sources.config import SourceSpec, read_only_engine_args
from contact_center.sources.result import LOADING, OK, TIMEOUT, UNAVAILABLE, SectionResult

log = logging.getLogger(__name__)

def jsonable(value: Any) -> Any:
    """A database value as JSON can carry it (decimals, dates and times become numbers/ISO text)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return None
    return str(value)


def _rows(result: Any, limit: int) -> list[dict[str, Any]]:
    return [{k: jsonable(v) for k, v in row.items()} for row in result.mappings().fetchmany(limit)]


class _Fetch:
    """One customer's fetch of every source: a task and a start time per source."""

    __slots__ = ("created", "started", "tasks")

    def __init__(self, created: float) -> None:
        self.created = created
        self.tasks: dict[str, asyncio.Task[SectionResult]] = {}
        self.started: dict[str, float] = {}


class SourceFederation:
    """Concurrent, deadline-bounded, cached reads of the configured source databases."""

    def __init__(
        self,
        specs: Iterable[SourceSpec],
        *,
        ttl_seconds: float,
        late_limit_seconds: float = 10.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.specs: dict[str, SourceSpec] = {s.name: s for s in specs}
        self._ttl = ttl_seconds
        self._late_limit = late_limit_seconds
        self._max_entries = max_entries
        self._clock = clock
        self._engines: dict[str, AsyncEngine] = {}
        self._files: dict[str, Path] = {}
        self._cache: OrderedDict[str, _Fetch] = OrderedDict()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.specs)

    async def start(self) -> None:
        """Create one engine per source (connections open lazily, on first query)."""
        for spec in self.specs.values():
            url, kwargs = read_only_engine_args(spec.url)
            self._engines[spec.name] = create_async_engine(url, **kwargs)
            parsed = make_url(spec.url)
            if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
                self._files[spec.name] = Path(parsed.database)  # type: ignore[arg-type]

    async def close(self) -> None:
        """Cancel running queries and dispose of every engine."""
        tasks = [t for f in self._cache.values() for t in f.tasks.values() if not t.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._cache.clear()
        for engine in self._engines.values():
            await engine.dispose()
        self._engines.clear()

    def prefetch(self, customer_key: str) -> None:
        """Start fetching every source for *customer_key* (or join the fetch under way)."""
        self._entry(customer_key)

    def forget(self, customer_key: str) -> None:
        """Drop the cached results for *customer_key* (its data changed)."""
        self._cache.pop(customer_key, None)

    async def sections(self, customer_key: str, *, wait: bool = True) -> dict[str, SectionResult]:
        """Every source's result for *customer_key*, in configuration order.

        With *wait*, waits for each running query until its own deadline; a query still
        running then is ``timeout`` (see :meth:`pending`). Without, it is ``loading``.
        """
        entry = self._entry(customer_key)
        if wait:
            await self._until_deadlines(entry)
        return {name: self._snapshot(name, entry, TIMEOUT if wait else LOADING) for name in self.specs}

    def ready(self, customer_key: str) -> bool:
        """True when every source already answered for *customer_key* (a pop needs no waiting)."""
        entry = self._cache.get(customer_key)
        if entry is None or self._clock() - entry.created > self._ttl or len(entry.tasks) < len(self.specs):
            return False
        return all(t.done() and not t.cancelled() and t.result().status == OK for t in entry.tasks.values())

    def generation(self, customer_key: str) -> float | None:
        """When the cached fetch for *customer_key* started (changes whenever it is fetched afresh)."""
        entry = self._cache.get(customer_key)
        return entry.created if entry is not None else None

    def pending(self, customer_key: str, name: str) -> asyncio.Task[SectionResult] | None:
        """The still-running query of source *name* for *customer_key*, to await a late result."""
        entry = self._cache.get(customer_key)
        task = entry.tasks.get(name) if entry else None
        return task if task is not None and not task.done() else None

    async def probe(self, name: str, customer_key: str) -> tuple[SectionResult, float]:
        """Run source *name*'s query for *customer_key* now, uncached, within its deadline (the
        admin console's "test"); returns the result and the milliseconds it took.

        Raises:
            KeyError: no source has that name.
        """
        spec = self.specs[name]
        started = time.perf_counter()
        try:
            async with asyncio.timeout(spec.timeout):
                result = await self._run(spec, customer_key)
        except TimeoutError:
            result = SectionResult(name=name, title=spec.title, status=TIMEOUT,
                                   error=f"no answer within the {spec.timeout * 1000:g} ms deadline")
        return result, (time.perf_counter() - started) * 1000

    async def history(self, name: str, customer_key: str) -> SectionResult:
        """Run source *name*'s ``history_query`` (never cached), bounded by the late limit.

        Raises:
            NotFound: no such source, or it has no history query.
        """
        spec = self.specs.get(name)
        if spec is None or not spec.history_query:
            raise NotFound(f"source {name!r} has no history")
        return await self._run(replace(spec, query=spec.history_query, kind="rows", aux=(), max_rows=10_000),
                               customer_key)

    async def query(self, name: str, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run a read-only query on source *name* (bounded by the late limit).

        Raises:
            NotFound: no such source.
            Unavailable: the query failed or ran out of time.
        """
        if name not in self._engines:
            raise NotFound(f"no source named {name!r}")
        try:
            async with asyncio.timeout(self._late_limit), self._connect(name) as conn:
                return _rows(await conn.execute(text(sql), dict(params or {})), 1_000_000)
        except TimeoutError as exc:
            raise Unavailable(f"source {name!r} did not answer in time") from exc
        except Exception as exc:
            raise Unavailable(f"source {name!r} failed: {type(exc).__name__}") from exc

    # ------------------------------------------------------------------ internals

    def _connect(self, name: str) -> AsyncConnection:
        """A connection to source *name*; a SQLite source whose file is gone fails at once.

        Checking the file first answers "unavailable" without a driver thread that could outlive
        the query (aiosqlite reports a failed open from its own thread, late).
        """
        path = self._files.get(name)
        if path is not None and not path.exists():
            raise FileNotFoundError(f"source database {path} does not exist")
        return self._engines[name].connect()

    def _entry(self, customer_key: str) -> _Fetch:
        now = self._clock()
        entry = self._cache.get(customer_key)
        if entry is None or now - entry.created > self._ttl:
            entry = _Fetch(now)
            self._cache[customer_key] = entry
            while len(self._cache) > self._max_entries:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(customer_key)
        for name, spec in self.specs.items():
            task = entry.tasks.get(name)
            if task is None or (task.done() and (task.cancelled() or task.result().status != OK)):
                entry.started[name] = now
                entry.tasks[name] = asyncio.create_task(self._run(spec, customer_key), name=f"source-{name}")
        return entry

    async def _until_deadlines(self, entry: _Fetch) -> None:
        while True:
            now = self._clock()
            waiting = {
                task: entry.started[name] + self.specs[name].timeout
                for name, task in entry.tasks.items()
                if not task.done() and entry.started[name] + self.specs[name].timeout > now
            }
            if not waiting:
                return
            await asyncio.wait(waiting, timeout=min(waiting.values()) - now, return_when=asyncio.FIRST_COMPLETED)

    def _snapshot(self, name: str, entry: _Fetch, running: str) -> SectionResult:
        task = entry.tasks[name]
        if task.cancelled():
            return SectionResult(name=name, title=self.specs[name].title, status=UNAVAILABLE, error="cancelled")
        if task.done():
            return task.result()
        return SectionResult(name=name, title=self.specs[name].title, status=running)

    async def _run(self, spec: SourceSpec, customer_key: str) -> SectionResult:
        params = {"customer_key": customer_key}
        try:
            async with asyncio.timeout(self._late_limit), self._connect(spec.name) as conn:
                rows = _rows(await conn.execute(text(spec.query), params), spec.max_rows)
                aux = {n: _rows(await conn.execute(text(q), params), spec.max_rows * 20) for n, q in spec.aux}
        except TimeoutError:
            return SectionResult(name=spec.name, title=spec.title, status=TIMEOUT,
                                 error=f"no answer within {self._late_limit:g} s")
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a source failing must never break the pop
            log.warning("source %s failed: %s: %s", spec.name, type(exc).__name__, exc)
            return SectionResult(name=spec.name, title=spec.title, status=UNAVAILABLE, error=type(exc).__name__)
        data: Any = rows if spec.kind == "rows" else (rows[0] if rows else None)
        return SectionResult(name=spec.name, title=spec.title, status=OK, data=data, fetched_at=time.time(), aux=aux)

