"""A screen pop composed ahead of the answer (see :mod:`.service`); :class:`ShownPop` is the port's value."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contact_center.ports import ShownPop
from contact_center.screenpop.context import PopContext
from contact_center.store.tables import utcnow

__all__ = ["Prepared", "ShownPop", "pop_audit"]


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
