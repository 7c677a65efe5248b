"""Who sees what of a pop's timeline: each agent's departments, read once and kept briefly.

A live pop is composed once per call, before anyone answers; the agent who answers gets its
timeline cut to what they may see (:func:`contact_center.customers.timeline.visible_to`: their
departments' contacts, unrouted ones and every contact they handled themselves), the same rule as
a panel opened from the inbox. The answer path must not wait for the store, so the departments of
the agents a call rings (or is offered to) are read ahead, at ring and offer.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from contact_center.auth.roles import RANK
from contact_center.customers.timeline import visible_to
from contact_center.store.session import Database
from contact_center.store.tables import Department, User, UserDepartment

log = logging.getLogger(__name__)
_MAX_VIEWERS = 10_000


@dataclass(frozen=True)
class Viewer:
    """One user as the timeline rule needs them: ``departments`` None sees every department."""

    user_id: int
    departments: tuple[str, ...] | None

    def cut(self, timeline: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
        """*timeline* as this user may see it; None when they may see all of it (nothing to cut)."""
        if self.departments is None:
            return None
        kept = visible_to(timeline, user_id=self.user_id, departments=self.departments)
        return None if len(kept) == len(timeline) else kept


class Viewers:
    """Users' departments for cutting pops' timelines, read again every *ttl* seconds.

    A user read more than *ttl* ago is still used while a new read runs in the background (the
    answer must not wait for the store; with the entries simply expiring, the first pop after each
    *ttl* waited for a read, which is what a cold pop's p99 showed); one read more than
    *max_stale* ago is not used at all.
    """

    def __init__(self, db: Database, *, ttl: float = 30.0, max_stale: float = 300.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._db = db
        self._ttl = ttl
        self._max_stale = max_stale
        self._clock = clock
        self._known: OrderedDict[int, tuple[float, Viewer]] = OrderedDict()
        self._reading: dict[int, asyncio.Task[Viewer]] = {}

    def known(self, user_id: int) -> Viewer | None:
        """The user if read within *max_stale* seconds (no waiting; older than *ttl*: read again in
        the background), else None."""
        hit = self._known.get(user_id)
        if hit is None:
            return None
        age = self._clock() - hit[0]
        if age > self._max_stale:
            return None
        if age > self._ttl and user_id not in self._reading:
            self._reading[user_id] = task = asyncio.get_running_loop().create_task(self._read(user_id))
            task.add_done_callback(functools.partial(self._read_done, user_id))
        return hit[1]

    def _read_done(self, user_id: int, task: asyncio.Task[Viewer]) -> None:
        self._reading.pop(user_id, None)
        if not task.cancelled() and task.exception() is not None:  # the store is down: read again next time
            log.warning("reading a pop viewer's departments failed: %s", task.exception())

    async def get(self, user_id: int) -> Viewer:
        """The user (read from the store when not known); an unknown user sees only unrouted contacts
        and their own."""
        viewer = self.known(user_id)
        if viewer is not None:
            return viewer
        return await self._read(user_id)

    async def _read(self, user_id: int) -> Viewer:
        async with self._db.session() as s:
            role = (await s.execute(select(User.role).where(User.id == user_id))).scalar_one_or_none()
            slugs = (await s.execute(select(Department.slug).join(
                UserDepartment, UserDepartment.department_id == Department.id)
                .where(UserDepartment.user_id == user_id))).scalars().all()
        sees_all = role is not None and RANK.get(role, 0) >= RANK["supervisor"]
        viewer = Viewer(user_id, None if sees_all else tuple(sorted(slugs)))
        self._known[user_id] = (self._clock(), viewer)
        self._known.move_to_end(user_id)
        while len(self._known) > _MAX_VIEWERS:
            self._known.popitem(last=False)
        return viewer
