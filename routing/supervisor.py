"""The supervisor's live view: one snapshot function, and coalesced frames at most once a second.

Changes (offers, accepts, presence, new contacts …) only mark the view dirty; a single task
publishes a full ``queue_snapshot`` frame as ``SupervisorsNotified`` at most every
``snapshot_interval`` seconds and never later than that after a change, plus one every
interval while contacts wait (their waiting time grows). With several instances, only the one
holding the short Redis lease publishes, so each supervisor gets one frame per interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from contact_center.bus.base import Bus
from contact_center.events import SupervisorsNotified
from routing.model import WAITING
from routing.router import Router
from routing.stats import QueueInfo, snapshot

log = logging.getLogger(__name__)


class SupervisorFeed:
    """Builds snapshots and publishes the coalesced stream."""

    def __init__(self, *, router: Router, bus: Bus, instance: str) -> None:
        self._router = router
        self._bus = bus
        self._instance = instance
        self.published = 0

    def _queues(self) -> dict[str, QueueInfo]:
        router = self._router
        return {slug: QueueInfo(slug, q.department, q.channel, router.policy(slug, q.channel).service_level)
                for slug, q in router.org.queues.items()}

    async def snapshot(self) -> dict[str, Any]:
        """The full ``queue_snapshot`` frame (see :mod:`routing.stats`), with the names of the
        customers the agents are serving."""
        now = self._router.clock()
        live = await self._router.reservations.live(now)
        held = {c.customer_id for c in live.contacts if c.status != WAITING and c.customer_id is not None}
        names = await self._router.repository.customer_names(held) if held else {}
        return snapshot(live, self._queues(), now=now, names=names)

    async def run(self) -> None:
        """Publish coalesced frames until cancelled."""
        interval = self._router.config.snapshot_interval
        changed = self._router.changed
        loop = asyncio.get_running_loop()
        last, busy = 0.0, False
        while True:
            if not busy:
                await changed.wait()
            else:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(interval):
                        await changed.wait()
            wait = last + interval - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            changed.clear()
            last = loop.time()
            try:
                busy = await self._publish(interval)
            except Exception:
                log.exception("supervisor snapshot failed")
                busy = True

    async def _publish(self, interval: float) -> bool:
        if not await self._router.reservations.lead(self._instance, ttl=max(3 * interval, 2.0)):
            return True  # another instance publishes; look again next interval
        frame = await self.snapshot()
        await self._bus.publish(SupervisorsNotified(frame))
        self.published += 1
        return bool(frame["totals"]["waiting"] or frame["totals"]["offered"])
