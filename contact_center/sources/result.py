"""What one source said about one customer: a plain value shared by the federation and the pop."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

OK, TIMEOUT, UNAVAILABLE, LOADING, NO_RECORD = "ok", "timeout", "unavailable", "loading", "no_record"
STATUSES = (OK, TIMEOUT, UNAVAILABLE, LOADING, NO_RECORD)


@dataclass(frozen=True)
class SectionResult:
    """One source's answer for one customer, or why there is none.

    ``status``: ``ok`` (``data`` holds the rows or the row), ``timeout`` (no answer by the
    deadline; the query may still finish), ``unavailable`` (the source failed), ``loading``
    (asked without waiting) or ``no_record`` (the customer has no key the sources know them by,
    e.g. a new customer or a chat visitor: nothing failed, there is nothing to ask). ``aux``
    holds the rows of the source's extra queries.
    """

    name: str
    title: str
    status: str
    data: Any = None
    fetched_at: float | None = None  # epoch seconds
    error: str | None = None
    aux: Mapping[str, list[dict[str, Any]]] = field(default_factory=dict)
