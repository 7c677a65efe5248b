"""A screen pop composed ahead of the answer, and one shown to an agent (see :mod:`.service`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contact_center.screenpop.context import PopContext
from contact_center.store.tables import utcnow


@dataclass(frozen=True)
class ShownPop:
    """A prepared pop :meth:`ScreenPopService.pop_at_once` handed to an agent's sockets here."""

    call_id: str
    user_id: int
    frame: dict[str, Any]
    audit: dict[str, Any]  # its ``audit`` row, stamped when it was shown


@dataclass(frozen=True)
class Prepared:
    """A call's pop composed and encoded ahead, with what it was built from (to check it is current)."""

    call_id: str
    ctx: PopContext
    generation: float | None  # the federation's entry the sections came from
    frame: dict[str, Any]
    encoded: bytes
    statuses: dict[str, str]
    at: float


def pop_audit(user_id: int, ctx: PopContext, call_id: str | None, statuses: dict[str, str]) -> dict[str, Any]:
    """The ``audit`` row of one pop shown to *user_id* (who saw which customer's data, when)."""
    return {"user_id": user_id, "customer_id": ctx.customer.id if ctx.customer else None, "action": "screen_pop",
            "at": utcnow(), "detail": {"conversation_id": ctx.conversation_id, "call_id": call_id,
                                       "sections": statuses}}
