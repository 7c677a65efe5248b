"""The audit log's writer: entries group-committed on the spine's :class:`GroupCommit`, never dropped unnoticed.

:meth:`AuditLog.record` (a read or change a request is about to serve) waits until its entry is
stored; :meth:`AuditLog.enqueue` (something already shown) returns at once. Entries go through the
one group-commit loop of the ingest spine (:class:`~contact_center.ingest.group_commit.GroupCommit`):
every entry waiting at that moment is written in one transaction, and a batch the store refuses is
written again entry by entry. An entry the store refuses even alone is tried again with a growing
pause: a waiting caller's until ``write_timeout``, when it is withdrawn and the read fails instead
(:class:`~contact_center.errors.Unavailable`); a queued entry until it is written.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from contact_center.auth.roles import Principal
from contact_center.errors import Unavailable
from contact_center.http.auth import known_user, remote_address
from contact_center.ingest.group_commit import GroupCommit
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


class AuditLog:
    """Writes audit entries durably; see the package docstring for how to call it."""

    def __init__(self, db: Database, *, write_timeout: float = 5.0, max_batch: int = MAX_BATCH) -> None:
        self._db = db
        self._timeout = write_timeout
        self._commit: GroupCommit[dict[str, Any], None] = GroupCommit(self._write, name="audit-log",
                                                                    max_batch=max_batch)
        self._queued: dict[int, dict[str, Any]] = {}  # enqueued entries not written yet, by ticket
        self._tickets = itertools.count()
        self._retries: dict[int, asyncio.TimerHandle] = {}  # refused queued entries waiting to be tried again
        self._all_written = asyncio.Event()
        self._all_written.set()
        self.failures = 0  # writes the store refused (each one retried)

    def start(self) -> None:
        self._commit.start()

    async def close(self) -> None:
        """Write what is waiting (for at most the write timeout), then stop."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._timeout):
                await self.flush()
        for handle in self._retries.values():
            handle.cancel()
        self._retries.clear()
        await self._commit.close(drain=False)
        if self._queued:
            log.error("audit log closed with %d entries unwritten: %s", len(self._queued), list(self._queued.values()))

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
        pause = RETRY_FIRST
        try:
            async with asyncio.timeout(self._timeout):
                while True:
                    try:
                        # Cancelled by the timeout while it waits: withdrawn (the writer skips a cancelled entry).
                        await self._commit.submit(row)
                        return
                    except Exception as exc:  # the store refused it even alone: again, until the timeout
                        self._refused(exc, pause)
                        await asyncio.sleep(pause)
                        pause = min(pause * 2, RETRY_MAX)
        except TimeoutError:
            raise Unavailable("the audit log cannot be written; try again") from None

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
        ticket = next(self._tickets)
        self._queued[ticket] = row
        self._all_written.clear()
        self._submit_queued(ticket, RETRY_FIRST)

    async def flush(self) -> None:
        """Wait until every entry queued before this call is written (recorded ones: written or withdrawn)."""
        await self._commit.flush()
        await self._all_written.wait()

    @staticmethod
    def _row(actor: Actor, *, action: str, object_type: str | None, object_id: object, customer_id: int | None,
             before: Any, after: Any, detail: Mapping[str, Any] | None) -> dict[str, Any]:
        if object_type is None and customer_id is not None:
            object_type, object_id = "customer", customer_id
        return {"user_id": actor.user_id, "ip": actor.ip, "action": action, "object_type": object_type,
                "object_id": None if object_id is None else str(object_id), "customer_id": customer_id,
                "before": _json_safe(before), "after": _json_safe(after), "detail": _json_safe(dict(detail or {})),
                "at": utcnow()}

    def _submit_queued(self, ticket: int, pause: float) -> None:
        self._retries.pop(ticket, None)
        self._commit.submit_nowait(self._queued[ticket]).add_done_callback(
            lambda fut: self._queued_done(ticket, fut, pause))

    def _queued_done(self, ticket: int, fut: asyncio.Future[None], pause: float) -> None:
        if fut.cancelled():  # the writer closed under it: close() reports it as unwritten
            return
        exc = fut.exception()
        if exc is None:
            del self._queued[ticket]
            if not self._queued:
                self._all_written.set()
            return
        self._refused(exc, pause)
        self._retries[ticket] = asyncio.get_running_loop().call_later(
            pause, self._submit_queued, ticket, min(pause * 2, RETRY_MAX))

    def _refused(self, exc: BaseException, pause: float) -> None:
        self.failures += 1
        log.warning("audit log: the store refused an entry (%s); retrying in %.2f s", type(exc).__name__, pause)

    async def _write(self, rows: list[dict[str, Any]]) -> list[None]:
        """One group-commit batch: the rows in one transaction."""
        async with self._db.session() as s:
            s.add_all(Audit(**row) for row in rows)
        return [None] * len(rows)
