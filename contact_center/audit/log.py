"""The audit log's writer: entries group-committed, retried on failure, never dropped unnoticed.

:meth:`AuditLog.record` (a read or change a request is about to serve) waits until its entry is
stored; :meth:`AuditLog.enqueue` (something already shown) returns at once. One task writes every
entry waiting at that moment in one transaction. When the store refuses a batch the task tries
again with a growing pause; a waiting caller gives up after ``write_timeout`` and its entry is
withdrawn (the read fails instead), a queued entry stays until it is written.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from contact_center.auth.roles import Principal
from contact_center.errors import Unavailable
from contact_center.http.auth import known_user, remote_address
from contact_center.store.session import Database
from contact_center.store.tables import Audit, utcnow

log = logging.getLogger(__name__)

MAX_BATCH = 500
RETRY_FIRST = 0.05
RETRY_MAX = 2.0


@dataclass(frozen=True)
class Actor:
    """Who acted: a user id (``None``: the system) and the client's address when known."""

    user_id: int | None = None
    ip: str | None = None


ActorLike = web.Request | Principal | Actor | None


def actor_of(who: ActorLike) -> Actor:
    """The :class:`Actor` behind a request (its user and address), a principal, or the system."""
    if isinstance(who, Actor):
        return who
    if isinstance(who, Principal):
        return Actor(user_id=who.id)
    if isinstance(who, web.Request):
        user = known_user(who)
        return Actor(user_id=user.id if user else None, ip=remote_address(who))
    return Actor()


def _json_safe(value: Any) -> Any:
    """*value* with dates as ISO text and other odd leaves as strings, for the JSON columns."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_json_safe(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


@dataclass
class _Pending:
    row: dict[str, Any]
    done: asyncio.Future[None] | None  # None: queued, nobody waits


class AuditLog:
    """Writes audit entries durably; see the package docstring for how to call it."""

    def __init__(self, db: Database, *, write_timeout: float = 5.0, max_batch: int = MAX_BATCH) -> None:
        self._db = db
        self._timeout = write_timeout
        self._max_batch = max_batch
        self._pending: list[_Pending] = []
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self.failures = 0  # batches the store refused (each one retried)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="audit-log")

    async def close(self) -> None:
        """Write what is waiting (for at most the write timeout), then stop."""
        if self._task is None:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._timeout):
                await self.flush()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        if self._pending:
            log.error("audit log closed with %d entries unwritten: %s", len(self._pending),
                      [p.row for p in self._pending])

    async def record(
        self, who: ActorLike, *, action: str, object_type: str | None = None, object_id: object = None,
        customer_id: int | None = None, before: Any = None, after: Any = None,
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        """Store one entry and return when it is committed.

        Raises:
            Unavailable: the store did not take it within the write timeout (the entry is withdrawn).
        """
        row = self._row(actor_of(who), action=action, object_type=object_type, object_id=object_id,
                        customer_id=customer_id, before=before, after=after, detail=detail)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._push(_Pending(row, done))
        try:
            async with asyncio.timeout(self._timeout):
                await asyncio.shield(done)
        except TimeoutError:
            if not done.done():
                done.cancel()  # withdrawn: the writer skips it
                raise Unavailable("the audit log cannot be written; try again") from None
            await done  # written just in time

    def enqueue(
        self, *, action: str, user_id: int | None = None, customer_id: int | None = None,
        detail: Mapping[str, Any] | None = None, at: dt.datetime | None = None, ip: str | None = None,
        object_type: str | None = None, object_id: object = None, before: Any = None, after: Any = None,
    ) -> None:
        """Queue one entry (made *at* that moment, now by default) and return at once.

        For what was shown already (a pop on a socket). Its keywords are the ``audit`` table's
        columns, so a row prepared for another writer can be passed as ``enqueue(**row)``.
        """
        row = self._row(Actor(user_id=user_id, ip=ip), action=action, object_type=object_type,
                        object_id=object_id, customer_id=customer_id, before=before, after=after, detail=detail)
        if at is not None:
            row["at"] = at
        self._push(_Pending(row, None))

    async def flush(self) -> None:
        """Wait until every entry queued before this call is written (or withdrawn)."""
        while self._pending or not self._idle.is_set():
            self._wake.set()
            await self._idle.wait()
            await asyncio.sleep(0)

    @staticmethod
    def _row(actor: Actor, *, action: str, object_type: str | None, object_id: object, customer_id: int | None,
             before: Any, after: Any, detail: Mapping[str, Any] | None) -> dict[str, Any]:
        if object_type is None and customer_id is not None:
            object_type, object_id = "customer", customer_id
        return {"user_id": actor.user_id, "ip": actor.ip, "action": action, "object_type": object_type,
                "object_id": None if object_id is None else str(object_id), "customer_id": customer_id,
                "before": _json_safe(before), "after": _json_safe(after), "detail": _json_safe(dict(detail or {})),
                "at": utcnow()}

    def _push(self, item: _Pending) -> None:
        self._pending.append(item)
        self._idle.clear()
        self._wake.set()

    async def _run(self) -> None:
        pause = RETRY_FIRST
        while True:
            if not self._pending:
                self._idle.set()
                self._wake.clear()
                await self._wake.wait()
                continue
            self._pending = [p for p in self._pending if p.done is None or not p.done.done()]
            batch = self._pending[: self._max_batch]
            if not batch:
                continue
            try:
                async with self._db.session() as s:
                    s.add_all(Audit(**p.row) for p in batch)
            except Exception as exc:
                self.failures += 1
                log.warning("audit log: the store refused %d entries (%s); retrying in %.2f s",
                            len(batch), type(exc).__name__, pause)
                await asyncio.sleep(pause)
                pause = min(pause * 2, RETRY_MAX)
                continue
            pause = RETRY_FIRST
            written = {id(p) for p in batch}
            self._pending = [p for p in self._pending if id(p) not in written]
            for p in batch:
                if p.done is not None and not p.done.done():
                    p.done.set_result(None)
