"""The event bus: one interface (:class:`Bus`), in-process and Redis implementations."""

from contact_center.bus.base import Bus
from contact_center.bus.memory import MemoryBus

__all__ = ["Bus", "MemoryBus"]
