"""The sweeper: fires due timers (offer expiry, end of wrap-up, overflow, offline grace).

Timers are kept with the routing state (in Redis when configured), and popping a due timer is
atomic, so exactly one instance handles each, including timers set by an instance that died.
"""

from __future__ import annotations

import asyncio
import logging

from contact_center.errors import Conflict, NotFound
from routing.presence import PresenceService
from routing.router import Router

log = logging.getLogger(__name__)


class TimerSweeper:
    """Polls for due timers and hands each to the router or the presence service."""

    def __init__(self, *, router: Router, presence: PresenceService) -> None:
        self._router = router
        self._presence = presence

    async def sweep(self) -> int:
        """Handle every timer due now; returns how many fired."""
        keys = await self._router.reservations.pop_due(self._router.clock())
        for key in keys:
            try:
                await self.fire(key)
            except (Conflict, NotFound):
                pass  # settled meanwhile (accepted, rejected, abandoned)
            except Exception:
                log.exception("timer %s failed", key)
        return len(keys)

    async def fire(self, key: str) -> None:
        """Run one due timer."""
        kind, _, rest = key.partition("|")
        parts = rest.split("|")
        if kind == "offer":
            _cid, offer_id, user_id = parts
            await self._router.decline(int(user_id), offer_id, timed_out=True)
        elif kind == "wrap":
            await self._router.wrap_up_over(int(parts[0]), int(parts[1]))
        elif kind in ("overflow", "widen"):
            await self._router.escalate(int(parts[0]), kind)
        elif kind == "grace":
            await self._presence.grace_over(int(parts[0]))
        else:
            log.warning("unknown timer %s", key)

    async def run(self, interval: float, kick_every: float = 1.0) -> None:
        """Sweep every *interval* seconds; also ask for a dispatch pass every *kick_every* seconds,
        which re-offers contacts whose decliners may be offered again."""
        since_kick = 0.0
        while True:
            await asyncio.sleep(interval)
            try:
                await self.sweep()
            except Exception:
                log.exception("timer sweep failed")
            since_kick += interval
            if since_kick >= kick_every:
                since_kick = 0.0
                self._router.nudge()
