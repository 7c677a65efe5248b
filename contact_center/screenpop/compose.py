"""Pure composition of the frames an agent's browser receives about a contact.

::

    {"type": "screen_pop", "call_id": str | None, "conversation_id": int,
     "contact": {"channel": "call" | "email" | "chat", "address": str | None},
     "customer": {...} | None, "candidates": [...],
     "sections": {name: {"status": "ok" | "timeout" | "unavailable" | "loading",
                         "title": str, "data": ..., "fetched_at": ISO-8601 | None}},
     "timeline": [...], "suggestions": [...]}

    {"type": "screen_pop_section", "call_id", "conversation_id", "name", "section": {...},
     "suggestions": [...] (only when the late section feeds the suggestions)}

    {"type": "call_ringing", "call_id", "conversation_id", "from", "to", "direction", "queue",
     "customer", "candidates"}

    {"type": "call_ended", "call_id", "conversation_id", "cause", "missed"}
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from contact_center.sources.result import SectionResult


def iso(epoch: float | None) -> str | None:
    """Epoch seconds as ISO-8601 UTC text (``None`` stays ``None``)."""
    return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat() if epoch is not None else None


def section_view(result: SectionResult) -> dict[str, Any]:
    """One section as the pop shows it (errors stay on the server, in the log)."""
    return {"status": result.status, "title": result.title, "data": result.data, "fetched_at": iso(result.fetched_at)}


def compose_pop(
    *,
    call_id: str | None,
    conversation_id: int,
    channel: str,
    address: str | None,
    customer: Mapping[str, Any] | None,
    candidates: Sequence[Mapping[str, Any]],
    sections: Mapping[str, SectionResult],
    timeline: Sequence[Mapping[str, Any]],
    suggestions: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """The ``screen_pop`` frame. Candidates are listed only while the customer is undecided."""
    return {
        "type": "screen_pop",
        "call_id": call_id,
        "conversation_id": conversation_id,
        "contact": {"channel": channel, "address": address},
        "customer": dict(customer) if customer is not None else None,
        "candidates": [] if customer is not None else [dict(c) for c in candidates],
        "sections": {name: section_view(r) for name, r in sections.items()},
        "timeline": [dict(t) for t in timeline],
        "suggestions": [dict(s) for s in suggestions],
    }


def section_frame(
    *, call_id: str | None, conversation_id: int, result: SectionResult,
    suggestions: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The ``screen_pop_section`` follow-up frame for a section that answered late."""
    frame: dict[str, Any] = {
        "type": "screen_pop_section",
        "call_id": call_id,
        "conversation_id": conversation_id,
        "name": result.name,
        "section": section_view(result),
    }
    if suggestions is not None:
        frame["suggestions"] = [dict(s) for s in suggestions]
    return frame


def ringing_frame(
    *, call_id: str, conversation_id: int, from_number: str, to_number: str, direction: str, queue: str | None,
    customer: Mapping[str, Any] | None, candidates: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """The ``call_ringing`` frame shown to the agents a ringing call is offered to."""
    return {
        "type": "call_ringing",
        "call_id": call_id,
        "conversation_id": conversation_id,
        "from": from_number,
        "to": to_number,
        "direction": direction,
        "queue": queue,
        "customer": dict(customer) if customer is not None else None,
        "candidates": [] if customer is not None else [dict(c) for c in candidates],
    }


def ended_frame(*, call_id: str, conversation_id: int, cause: str, missed: bool) -> dict[str, Any]:
    """The ``call_ended`` frame: the desk clears the ringing or active call."""
    return {"type": "call_ended", "call_id": call_id, "conversation_id": conversation_id, "cause": cause,
            "missed": missed}
