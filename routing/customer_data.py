"""Customer data for routing rules, read under a tight deadline so routing is never slow.

* ``customer.overdue`` and ``customer.lifetime_value`` come from the screen-pop source
  federation (:class:`contact_center.sources.federation.SourceFederation`), named in
  ``[routing.customer_data]`` as ``"<source>.<column>"`` (a ``row`` source's value) or
  ``"<source>.<column>/<unique column>"`` (the sum over a ``rows`` source, each distinct value of
  the unique column counted once, e.g. order totals over order lines). The federation caches per
  customer, so the fetch routing starts is the one the screen pop reuses at answer.
* ``customer.open_complaint`` comes from our own store: the customer has another conversation
  that is not closed in the complaints department.

Whatever is not there by the deadline is left out, and missing data never matches a rule.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from contact_center.sources.federation import SourceFederation
from contact_center.sources.result import OK, SectionResult
from contact_center.store.session import Database
from contact_center.store.tables import Conversation, Customer, Department

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CustomerDataSpec:
    """Where each customer fact comes from."""

    overdue: str | None = "accounting.overdue_amount"
    lifetime_value: str | None = "sales.order_total/order_id"
    complaints_department: str | None = "complaints"

    @classmethod
    def from_section(cls, raw: Mapping[str, Any]) -> CustomerDataSpec:
        def opt(name: str, default: str | None) -> str | None:
            value = raw.get(name, default)
            return str(value) if value else None

        return cls(opt("overdue", cls.overdue), opt("lifetime_value", cls.lifetime_value),
                   opt("complaints_department", cls.complaints_department))


def extract(spec: str, sections: Mapping[str, SectionResult]) -> float | None:
    """The number *spec* (``source.column[/unique]``) names in *sections*, or None. Pure."""
    path, _, unique = spec.partition("/")
    source, _, column = path.partition(".")
    section = sections.get(source)
    if section is None or section.status != OK or section.data is None:
        return None
    data = section.data
    if isinstance(data, Mapping):
        return _number(data.get(column))
    if not isinstance(data, list):
        return None
    seen: dict[Any, float] = {}
    for i, row in enumerate(data):
        value = _number(row.get(column)) if isinstance(row, Mapping) else None
        if value is not None:
            seen[row.get(unique) if unique else i] = value
    return sum(seen.values()) if seen else None


def _number(value: Any) -> float | None:
    try:
        return None if value is None or isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        return None


class CustomerDataReader:
    """Reads the ``customer.*`` facts for one customer within *timeout* seconds."""

    def __init__(self, *, db: Database, federation: SourceFederation | None, spec: CustomerDataSpec,
                 timeout: float) -> None:
        self._db = db
        self._federation = federation
        self._spec = spec
        self._timeout = timeout

    async def facts(self, customer_id: int | None, conversation_id: int) -> dict[str, Any]:
        """``customer.known`` always; the others when they arrive before the deadline."""
        if customer_id is None:
            return {"customer.known": False}
        out: dict[str, Any] = {"customer.known": True}
        try:
            async with asyncio.timeout(self._timeout):
                key, complaint = await self._own(customer_id, conversation_id)
                if complaint is not None:
                    out["customer.open_complaint"] = complaint
                if key and self._federation is not None:
                    await self._sources(key, out)
        except TimeoutError:
            log.debug("customer data for %s not complete within %.0f ms", customer_id, self._timeout * 1000)
            if self._federation is not None and (key := out.get("_key")):
                # The queries keep running (and stay cached for the screen pop); take what is in.
                self._fill(await self._federation.sections(str(key), wait=False), out)
        out.pop("_key", None)
        return out

    async def _own(self, customer_id: int, conversation_id: int) -> tuple[str | None, bool | None]:
        department = self._spec.complaints_department
        async with self._db.session() as s:
            key = (await s.execute(select(Customer.external_key).where(Customer.id == customer_id))).scalar()
            if not department:
                return key, None
            open_id = (await s.execute(
                select(Conversation.id).join(Department, Department.id == Conversation.department_id)
                .where(Conversation.customer_id == customer_id, Conversation.id != conversation_id,
                       Department.slug == department, Conversation.status != "closed").limit(1))).scalar()
        return key, open_id is not None

    async def _sources(self, key: str, out: dict[str, Any]) -> None:
        assert self._federation is not None
        out["_key"] = key
        sections = await self._federation.sections(key, wait=True)
        self._fill(sections, out)

    def _fill(self, sections: Mapping[str, SectionResult], out: dict[str, Any]) -> None:
        for name, spec in (("customer.overdue", self._spec.overdue),
                           ("customer.lifetime_value", self._spec.lifetime_value)):
            value = extract(spec, sections) if spec else None
            if value is not None:
                out[name] = value
