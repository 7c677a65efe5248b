"""The in-process bus: for one instance, no external service."""

from __future__ import annotations

from contact_center.bus.base import Bus
from contact_center.events import Event, encode


class MemoryBus(Bus):
    """Delivers events to this process's subscribers only."""

    def __init__(self, *, queue_size: int = 10_000, check_serialisable: bool = True) -> None:
        super().__init__(queue_size=queue_size)
        self._check = check_serialisable

    async def publish(self, event: Event) -> None:
        if self._check:
            encode(event)  # fail here, not later on Redis, when an event cannot travel
        self._dispatch(event)

    async def healthy(self) -> None:
        """An in-process bus is up whenever the process is."""
