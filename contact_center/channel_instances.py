"""Channel instances: the configured bridges of a channel that has several (the API channel).

An instance has a name, a department its contacts usually belong to, an inbound token (only its
SHA-256 is stored; the token itself is returned once, when it is made), an outbound webhook URL
and the HMAC secret that signs what is sent there. :class:`ChannelInstanceRepository` creates,
changes, rotates and authenticates them, and keeps the delivery log: one row per attempt to
deliver an outbound message through an instance. The admin console and the API channel's
connector (``connectors/api``) use it; nothing else writes these tables.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from contact_center.channels import is_channel
from contact_center.errors import AuthError, Conflict, NotFound, ValidationError
from contact_center.store.session import Database
from contact_center.store.tables import ChannelInstance, DeliveryAttempt, Department, utcnow

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
MAX_URL = 2000
TOKEN_HINT_CHARS = 4
MAX_LOG_PAGE = 500


def new_secret() -> str:
    """A random token or HMAC secret: 256 bits, URL-safe."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> bytes:
    """What is stored of an inbound token: its SHA-256."""
    return hashlib.sha256(token.encode()).digest()


def check_name(name: object) -> str:
    """A valid instance name (``whatsapp``, ``sms-gateway``: lower-case letters, digits, ``-``, ``_``).

    Raises:
        ValidationError: on ``name``.
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValidationError("name", "'name' must be 1-64 lower-case letters, digits, '-' or '_'")
    return name


def check_webhook_url(url: object) -> str | None:
    """A valid outbound webhook URL (``http`` or ``https`` with a host), or ``None`` for none.

    Raises:
        ValidationError: on ``webhook_url``.
    """
    if url is None or url == "":
        return None
    if not isinstance(url, str) or len(url) > MAX_URL:
        raise ValidationError("webhook_url", f"'webhook_url' must be a URL of at most {MAX_URL} characters")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError("webhook_url", "'webhook_url' must be an http:// or https:// URL with a host")
    return url


@dataclass(frozen=True)
class Instance:
    """A channel instance as the connector and the admin API see it (never its token or secret)."""

    id: int
    channel: str
    name: str
    department: str | None
    webhook_url: str | None
    token_hint: str
    active: bool
    created_at: dt.datetime
    updated_at: dt.datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "channel": self.channel, "name": self.name, "department": self.department,
            "webhook_url": self.webhook_url, "token_hint": self.token_hint, "active": self.active,
            "inbound_path": f"/api/v1/channels/{self.id}/messages",
            "created_at": self.created_at.isoformat(), "updated_at": self.updated_at.isoformat(),
        }


@dataclass(frozen=True)
class Credentials:
    """What is shown once: an instance with its new inbound token and/or signing secret."""

    instance: Instance
    token: str | None = None
    secret: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"channel": self.instance.to_dict()}
        if self.token is not None:
            out["token"] = self.token
        if self.secret is not None:
            out["secret"] = self.secret
        return out


@dataclass(frozen=True)
class InstanceSpec:
    """An instance as configuration declares it (``[[api_channels]]``): made once, if missing."""

    name: str
    department: str | None
    webhook_url: str | None
    token: str
    secret: str


@dataclass(frozen=True)
class Attempt:
    """One delivery attempt to record in the log."""

    instance_id: int
    message_id: int
    attempt: int
    url: str
    ok: bool
    outcome: str  # sent | retry | failed
    duration_ms: int
    status_code: int | None = None
    error: str | None = None


class ChannelInstanceRepository:
    """Store access for channel instances and their delivery log."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def all(self, channel: str | None = None) -> list[Instance]:
        """Every instance (of *channel*), by id."""
        async with self._db.session() as s:
            query = select(ChannelInstance).order_by(ChannelInstance.id)
            if channel is not None:
                query = query.where(ChannelInstance.channel == channel)
            rows = (await s.execute(query)).scalars().all()
            slugs = await _slugs(s, {r.department_id for r in rows})
            return [_instance(r, slugs) for r in rows]

    async def get(self, instance_id: int) -> Instance:
        """One instance.

        Raises:
            NotFound: no such instance.
        """
        async with self._db.session() as s:
            row = await _require(s, instance_id)
            return _instance(row, await _slugs(s, {row.department_id}))

    async def secret(self, instance_id: int) -> str:
        """The instance's signing secret (for the sender only; never served).

        Raises:
            NotFound: no such instance.
        """
        async with self._db.session() as s:
            return (await _require(s, instance_id)).secret

    async def authenticate(self, instance_id: int, token: str | None) -> Instance:
        """The active instance *token* opens.

        Raises:
            AuthError: no token, a wrong one, or an unknown or inactive instance (one answer for
                all, so instance ids cannot be probed).
        """
        async with self._db.session() as s:
            row = await s.get(ChannelInstance, instance_id)
            valid = row is not None and row.active and token is not None \
                and hmac.compare_digest(row.token_hash, token_digest(token))
            if row is None or not valid:
                raise AuthError("a valid channel token is required (Authorization: Bearer <token>)")
            return _instance(row, await _slugs(s, {row.department_id}))

    async def create(self, channel: str, name: str, *, department: str | None = None,
                     webhook_url: str | None = None, token: str | None = None,
                     secret: str | None = None) -> Credentials:
        """Make an instance; returns it with its token and secret (made here unless given).

        Raises:
            ValidationError: a bad name, URL, channel or unknown department (naming the field).
            Conflict: the name is taken.
        """
        if not is_channel(channel):
            raise ValidationError("channel", f"unknown channel {channel!r}")
        token, secret = token or new_secret(), secret or new_secret()
        async with self._db.session() as s:
            row = ChannelInstance(
                channel=channel, name=check_name(name), department_id=await _department_id(s, department),
                token_hash=token_digest(token), token_hint=token[-TOKEN_HINT_CHARS:],
                webhook_url=check_webhook_url(webhook_url), secret=secret, active=True,
            )
            s.add(row)
            await _flush(s, name)
            instance = _instance(row, await _slugs(s, {row.department_id}))
        return Credentials(instance, token=token, secret=secret)

    async def update(self, instance_id: int, changes: dict[str, Any]) -> tuple[Instance, Instance]:
        """Change ``name``, ``department``, ``webhook_url`` or ``active``; returns ``(before, after)``.

        Raises:
            NotFound: no such instance.
            ValidationError: a bad or unknown field (named).
            Conflict: the new name is taken.
        """
        unknown = set(changes) - {"name", "department", "webhook_url", "active"}
        if unknown:
            field = sorted(unknown)[0]
            raise ValidationError(field, f"'{field}' cannot be changed here")
        async with self._db.session() as s:
            row = await _require(s, instance_id)
            before = _instance(row, await _slugs(s, {row.department_id}))
            if "name" in changes:
                row.name = check_name(changes["name"])
            if "department" in changes:
                row.department_id = await _department_id(s, changes["department"])
            if "webhook_url" in changes:
                row.webhook_url = check_webhook_url(changes["webhook_url"])
            if "active" in changes:
                if not isinstance(changes["active"], bool):
                    raise ValidationError("active", "'active' must be true or false")
                row.active = changes["active"]
            row.updated_at = utcnow()
            await _flush(s, row.name)
            return before, _instance(row, await _slugs(s, {row.department_id}))

    async def rotate_token(self, instance_id: int) -> Credentials:
        """Replace the inbound token (the old one stops working at once); returns the new one."""
        token = new_secret()
        async with self._db.session() as s:
            row = await _require(s, instance_id)
            row.token_hash, row.token_hint, row.updated_at = token_digest(token), token[-TOKEN_HINT_CHARS:], utcnow()
            await s.flush()
            return Credentials(_instance(row, await _slugs(s, {row.department_id})), token=token)

    async def rotate_secret(self, instance_id: int) -> Credentials:
        """Replace the signing secret (deliveries from now on are signed with the new one)."""
        secret = new_secret()
        async with self._db.session() as s:
            row = await _require(s, instance_id)
            row.secret, row.updated_at = secret, utcnow()
            await s.flush()
            return Credentials(_instance(row, await _slugs(s, {row.department_id})), secret=secret)

    async def bootstrap(self, channel: str, specs: Iterable[InstanceSpec]) -> list[Instance]:
        """Make the configured instances that do not exist yet (by name); existing ones are left
        as they are, so what admins changed or rotated since is kept across restarts."""
        existing = {i.name for i in await self.all()}
        made: list[Instance] = []
        for spec in specs:
            if spec.name in existing:
                continue
            try:
                made.append((await self.create(channel, spec.name, department=spec.department,
                                               webhook_url=spec.webhook_url, token=spec.token,
                                               secret=spec.secret)).instance)
            except Conflict:  # another instance made it at the same moment
                continue
        return made

    async def record_attempt(self, attempt: Attempt) -> None:
        """Append one delivery attempt to the log."""
        async with self._db.session() as s:
            s.add(DeliveryAttempt(
                instance_id=attempt.instance_id, message_id=attempt.message_id, attempt=attempt.attempt,
                url=attempt.url, status_code=attempt.status_code, ok=attempt.ok, outcome=attempt.outcome,
                error=(attempt.error or None) and attempt.error[:1000], duration_ms=attempt.duration_ms,
            ))

    async def attempts(self, instance_id: int, *, message_id: int | None = None, before_id: int | None = None,
                       limit: int = 100) -> list[dict[str, Any]]:
        """The instance's delivery log, newest first (keyset paged by ``before_id``).

        Raises:
            NotFound: no such instance.
        """
        async with self._db.session() as s:
            await _require(s, instance_id)
            query = select(DeliveryAttempt).where(DeliveryAttempt.instance_id == instance_id)
            if message_id is not None:
                query = query.where(DeliveryAttempt.message_id == message_id)
            if before_id is not None:
                query = query.where(DeliveryAttempt.id < before_id)
            rows = (await s.execute(query.order_by(DeliveryAttempt.id.desc())
                                    .limit(max(1, min(limit, MAX_LOG_PAGE))))).scalars().all()
            return [_attempt_view(r) for r in rows]


def _attempt_view(r: DeliveryAttempt) -> dict[str, Any]:
    return {"id": r.id, "message_id": r.message_id, "attempt": r.attempt, "url": r.url,
            "status_code": r.status_code, "ok": r.ok, "outcome": r.outcome, "error": r.error,
            "duration_ms": r.duration_ms, "at": r.at.isoformat()}


def _instance(row: ChannelInstance, slugs: dict[int, str]) -> Instance:
    return Instance(id=row.id, channel=row.channel, name=row.name,
                    department=slugs.get(row.department_id) if row.department_id is not None else None,
                    webhook_url=row.webhook_url, token_hint=row.token_hint, active=row.active,
                    created_at=row.created_at, updated_at=row.updated_at)


async def _require(s: AsyncSession, instance_id: int) -> ChannelInstance:
    row = await s.get(ChannelInstance, instance_id)
    if row is None:
        raise NotFound(f"channel instance {instance_id} does not exist")
    return row


async def _slugs(s: AsyncSession, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await s.execute(select(Department.id, Department.slug).where(Department.id.in_(wanted)))
    return {r[0]: r[1] for r in rows}


async def _department_id(s: AsyncSession, slug: object) -> int | None:
    if slug is None or slug == "":
        return None
    if not isinstance(slug, str):
        raise ValidationError("department", "'department' must be a department's slug")
    found = (await s.execute(select(Department.id).where(Department.slug == slug))).scalar()
    if found is None:
        raise ValidationError("department", f"no department {slug!r}")
    return int(found)


async def _flush(s: AsyncSession, name: str) -> None:
    try:
        await s.flush()
    except IntegrityError as exc:
        raise Conflict(f"a channel instance named {name!r} exists already") from exc
