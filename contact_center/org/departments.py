"""Departments: create, rename, deactivate; numbers, address, SLA target, opening hours, wrap-up after
calls (after-call work time, a required outcome and the outcome codes); their queues.

A department is created with one queue per channel. Deactivating keeps its history (conversations
still name it) but takes it out of routing; it is refused while the live configuration (a routing
rule, a PBX's or mailbox's default department) still sends contacts there.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contact_center import channels
from contact_center.auth.roles import Principal
from contact_center.config.changes import record_change
from contact_center.config.service import LiveConfig
from contact_center.errors import Conflict, NotFound, ValidationError
from contact_center.org.hours import parse_hours
from contact_center.store.session import Database
from contact_center.store.tables import Department, Queue

SLUG = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# routing.selection.STRATEGIES (the core imports no plugin; a unit test keeps the two equal)
STRATEGIES = ("longest_idle", "round_robin", "least_occupied", "best_skill")
EDITABLE = ("name", "phone_number", "email_address", "numbers", "service_level_target", "hours",
            "after_call_work_seconds", "outcome_required", "outcomes")
OUTCOME = re.compile(r"^[a-z0-9_][a-z0-9_.-]{0,63}$")  # as agent_ui.desk_config's disposition codes
MAX_AFTER_CALL_WORK = 3600


def department_dict(d: Department, queues: list[Queue]) -> dict[str, Any]:
    """A department as the API shows it."""
    return {
        "id": d.id, "slug": d.slug, "name": d.name, "active": d.active, "phone_number": d.phone_number,
        "email_address": d.email_address, "numbers": list(d.numbers or []),
        "service_level_target": d.service_level_target, "hours": dict(d.hours or {}),
        "after_call_work_seconds": d.after_call_work_seconds, "outcome_required": bool(d.outcome_required),
        "outcomes": list(d.outcomes or []),
        "queues": [queue_dict(q, d.slug) for q in sorted(queues, key=lambda q: q.channel)],
    }


def queue_dict(q: Queue, department: str) -> dict[str, Any]:
    return {"slug": q.slug, "department": department, "channel": q.channel, "strategy": q.strategy,
            "service_level_seconds": q.service_level_seconds, "offer_timeout_seconds": q.offer_timeout_seconds,
            "overflow_after_seconds": q.overflow_after_seconds, "overflow_to": q.overflow_queue_slug}


def clean_fields(body: Mapping[str, Any], normalise_phone: Callable[[str], str | None]) -> dict[str, Any]:
    """The editable fields of *body*, checked and normalised.

    Raises:
        ValidationError: naming the field.
    """
    return {key: _CLEANERS[key](body[key], normalise_phone) for key in EDITABLE if key in body}


def _name(raw: Any, _normalise: Callable[[str], str | None]) -> str:
    name = str(raw or "").strip()
    if not 1 <= len(name) <= 120:
        raise ValidationError("name", "name must have 1-120 characters")
    return name


def _email(raw: Any, _normalise: Callable[[str], str | None]) -> str | None:
    address = str(raw or "").strip().lower() or None
    if address is not None and not EMAIL.match(address):
        raise ValidationError("email_address", f"{address!r} is not an email address")
    return address


def _numbers(raw: Any, normalise: Callable[[str], str | None]) -> list[str]:
    if isinstance(raw, str):
        raw = [n for n in re.split(r"[,\n]", raw) if n.strip()]
    if not isinstance(raw, list):
        raise ValidationError("numbers", "numbers must be a list of phone numbers")
    return sorted({_phone(n, f"numbers[{i}]", normalise) for i, n in enumerate(raw)})


def _hours(raw: Any, _normalise: Callable[[str], str | None]) -> dict[str, Any]:
    parse_hours(raw or {})  # raises naming hours.<key>
    return dict(raw or {})


def _phone(raw: Any, field: str, normalise_phone: Callable[[str], str | None]) -> str:
    number = normalise_phone(str(raw).strip())
    if number is None:
        raise ValidationError(field, f"{raw!r} is not a phone number")
    return number


def _target(raw: Any, _normalise: Callable[[str], str | None] | None = None) -> float | None:
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError) as exc:
        raise ValidationError("service_level_target", "service_level_target must be a share, e.g. 0.8") from exc
    if value > 1:
        value /= 100  # "80" means 80 %
    if not 0 < value <= 1:
        raise ValidationError("service_level_target", "service_level_target must be between 0 and 1 (or 1-100 %)")
    return value


def _after_call_work(raw: Any, _normalise: Callable[[str], str | None]) -> int | None:
    if raw is None or raw == "":
        return None  # the call queue's routing default
    if isinstance(raw, bool):
        raise ValidationError("after_call_work_seconds", "after_call_work_seconds must be a whole number of seconds")
    try:
        value = int(raw)
    except (TypeError, ValueError) as exc:
        raise ValidationError("after_call_work_seconds",
                              "after_call_work_seconds must be a whole number of seconds") from exc
    if not 0 <= value <= MAX_AFTER_CALL_WORK:
        raise ValidationError("after_call_work_seconds",
                              f"after_call_work_seconds must be between 0 and {MAX_AFTER_CALL_WORK}")
    return value


def _outcome_required(raw: Any, _normalise: Callable[[str], str | None]) -> bool:
    if not isinstance(raw, bool):
        raise ValidationError("outcome_required", "outcome_required must be true or false")
    return raw


def _outcomes(raw: Any, _normalise: Callable[[str], str | None]) -> list[str]:
    if isinstance(raw, str):
        raw = [c for c in re.split(r"[,\s]+", raw) if c]
    if not isinstance(raw, list):
        raise ValidationError("outcomes", "outcomes must be a list of outcome codes")
    codes: list[str] = []
    for i, code in enumerate(raw):
        if not isinstance(code, str) or not OUTCOME.match(code.strip()):
            raise ValidationError(f"outcomes[{i}]", "an outcome code is 1-64 lower-case letters, digits, _ . or -")
        if code.strip() not in codes:
            codes.append(code.strip())
    return codes


_CLEANERS: dict[str, Callable[[Any, Callable[[str], str | None]], Any]] = {
    "name": _name, "email_address": _email, "numbers": _numbers, "service_level_target": _target, "hours": _hours,
    "after_call_work_seconds": _after_call_work, "outcome_required": _outcome_required, "outcomes": _outcomes,
    "phone_number": lambda raw, normalise: _phone(raw, "phone_number", normalise) if raw else None,
}


class DepartmentRepository:
    """Departments and their queues in the store, every change audited and announced."""

    def __init__(self, db: Database, live: LiveConfig, normalise_phone: Callable[[str], str | None]) -> None:
        self._db = db
        self._live = live
        self._normalise = normalise_phone

    async def list(self, *, include_inactive: bool = True) -> list[dict[str, Any]]:
        async with self._db.session() as s:
            q = select(Department).order_by(Department.name)
            if not include_inactive:
                q = q.where(Department.active.is_(True))
            deps = (await s.execute(q)).scalars().all()
            queues = (await s.execute(select(Queue))).scalars().all()
        return [department_dict(d, [q for q in queues if q.department_id == d.id]) for d in deps]

    async def get(self, slug: str) -> dict[str, Any]:
        for item in await self.list():
            if item["slug"] == slug:
                return item
        raise NotFound(f"no department {slug!r}")

    async def create(self, body: Mapping[str, Any], *, principal: Principal | None,
                     remote: str | None = None) -> dict[str, Any]:
        """Create a department and its queues (one per registered channel, with the channel's default timing).

        Raises:
            ValidationError: a bad slug or field. Conflict: the slug is taken.
        """
        slug = str(body.get("slug") or "").strip().lower()
        if not SLUG.match(slug):
            raise ValidationError("slug", "slug must be 2-64 lower-case letters, digits or _, starting with a letter")
        fields = clean_fields(body, self._normalise)
        if "name" not in fields:
            raise ValidationError("name", "name is required")
        async with self._db.session() as s:
            if (await s.execute(select(Department.id).where(Department.slug == slug))).first():
                raise Conflict(f"a department {slug!r} exists already", field="slug")
            department = Department(slug=slug, active=True, **fields)
            s.add(department)
            await s.flush()
            queues = [Queue(slug=f"{slug}.{c.name}", department_id=department.id, channel=c.name,
                            strategy="longest_idle", service_level_seconds=c.service_level_seconds,
                            offer_timeout_seconds=c.offer_timeout_seconds) for c in channels.CHANNELS]
            s.add_all(queues)
            await s.flush()
            after = department_dict(department, queues)
            record_change(s, principal=principal, remote=remote, object_type="department", object_id=slug,
                          verb="create", before=None, after=after)
        await self._live.announce_org("departments")
        return after

    async def update(self, slug: str, body: Mapping[str, Any], *, principal: Principal | None,
                     remote: str | None = None) -> dict[str, Any]:
        """Change a department's fields; ``active: false`` deactivates it, ``true`` brings it back.

        Raises:
            NotFound, ValidationError (naming the field), Conflict (the configuration still needs it).
        """
        fields = clean_fields(body, self._normalise)
        active = body.get("active")
        if active is not None and not isinstance(active, bool):
            raise ValidationError("active", "active must be true or false")
        if active is False:
            remaining = (await self._live.departments()) - {slug}
            try:
                self._live.check(self._live.runtime_document(), remaining)
            except ValidationError as exc:
                raise Conflict(f"department {slug!r} is still used by the configuration: {exc.message}",
                               field="active") from exc
        async with self._db.session() as s:
            department = (await s.execute(select(Department).where(Department.slug == slug))).scalar_one_or_none()
            if department is None:
                raise NotFound(f"no department {slug!r}")
            queues = list((await s.execute(select(Queue).where(Queue.department_id == department.id))).scalars())
            before = department_dict(department, queues)
            for key, value in fields.items():
                setattr(department, key, value)
            if active is not None:
                department.active = active
            after = department_dict(department, queues)
            if after != before:
                verb = "deactivate" if active is False and before["active"] else "update"
                record_change(s, principal=principal, remote=remote, object_type="department", object_id=slug,
                              verb=verb, before=before, after=after)
        if after != before:
            await self._live.announce_org("departments")
        return after

    async def update_queue(self, slug: str, body: Mapping[str, Any], *, principal: Principal | None,
                           remote: str | None = None) -> dict[str, Any]:
        """Change a queue's strategy, service level, offer timeout or overflow.

        Raises:
            NotFound, ValidationError (naming the field).
        """
        changes: dict[str, Any] = {}
        if "strategy" in body:
            if body["strategy"] not in STRATEGIES:
                raise ValidationError("strategy", f"strategy must be one of {', '.join(STRATEGIES)}")
            changes["strategy"] = body["strategy"]
        for key in ("service_level_seconds", "offer_timeout_seconds", "overflow_after_seconds"):
            if key in body:
                changes[key] = _seconds(body[key], key, optional=key == "overflow_after_seconds")
        async with self._db.session() as s:
            queue = (await s.execute(select(Queue).where(Queue.slug == slug))).scalar_one_or_none()
            if queue is None:
                raise NotFound(f"no queue {slug!r}")
            if "overflow_to" in body:
                changes["overflow_queue_slug"] = await _overflow_target(s, slug, body["overflow_to"] or None)
            department = await s.get(Department, queue.department_id)
            assert department is not None
            before = queue_dict(queue, department.slug)
            for key, value in changes.items():
                setattr(queue, key, value)
            after = queue_dict(queue, department.slug)
            if after != before:
                record_change(s, principal=principal, remote=remote, object_type="queue", object_id=slug,
                              verb="update", before=before, after=after)
        if after != before:
            await self._live.announce_org("departments")
        return after


async def _overflow_target(s: AsyncSession, slug: str, target: str | None) -> str | None:
    if target is not None and (target == slug or not (await s.execute(select(Queue.id).where(Queue.slug == target)))
                               .first()):
        raise ValidationError("overflow_to", f"overflow_to must be another queue, not {target!r}")
    return target


def _seconds(raw: Any, field: str, *, optional: bool) -> int | None:
    if optional and (raw is None or raw == ""):
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError) as exc:
        raise ValidationError(field, f"{field} must be a whole number of seconds") from exc
    if not 1 <= value <= 7 * 86400:
        raise ValidationError(field, f"{field} must be between 1 second and 7 days")
    return value
