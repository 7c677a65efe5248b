"""Users as an admin manages them: create, edit, deactivate, reset passwords, roles, skills, capacity.

Rules a mature product keeps: the password policy (:mod:`contact_center.auth.policy`) on every new
password; deactivating someone (or resetting their password) ends their sessions at once; the last
active admin can be neither deactivated nor demoted; every change is audited (passwords never
appear, only that one was set) and announced so routing reloads the agent on every instance.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from contact_center.auth.passwords import hash_password
from contact_center.auth.policy import check_password
from contact_center.auth.roles import RANK, Principal
from contact_center.auth.users import create_user
from contact_center.config.changes import record_change
from contact_center.config.service import LiveConfig
from contact_center.errors import Conflict, NotFound, ValidationError
from contact_center.store.session import Database
from contact_center.store.tables import CHANNELS, AuthSession, Department, User

EXTENSION = re.compile(r"^[0-9*#+]{1,32}$")
MAX_CAPACITY = 50
# Called with a user id and why after their sessions were deleted: closes their websockets on every
# instance (contact_center.http.auth.end_sessions).
SessionCloser = Callable[[int, str], Awaitable[None]]


def user_dict(user: User) -> dict[str, Any]:
    """A user as the API shows it (never the password hash)."""
    return {
        "id": user.id, "username": user.username, "display_name": user.display_name, "role": user.role,
        "active": user.active, "extension": user.extension, "phone": user.phone,
        "departments": sorted(d.slug for d in user.departments),
        "skills": dict(user.skills or {}), "capacity": dict(user.capacity or {}),
        "created_at": user.created_at.isoformat() if user.created_at else None,
    }


def clean_skills(raw: Any) -> dict[str, int]:
    """``{"lang:de": 5}`` with levels 1-10.

    Raises:
        ValidationError: naming ``skills`` (or ``skills.<name>``).
    """
    if not isinstance(raw, Mapping):
        raise ValidationError("skills", "skills must map a skill name to a level, e.g. {\"lang:de\": 5}")
    out = {}
    for name, level in raw.items():
        if not re.fullmatch(r"[a-zA-Z0-9_:.-]{1,64}", str(name)):
            raise ValidationError("skills", f"skill name {name!r} must be 1-64 letters, digits or _ : . -")
        if isinstance(level, bool) or not isinstance(level, int | str) or not str(level).isdigit() \
                or not 1 <= int(level) <= 10:
            raise ValidationError(f"skills.{name}", f"the level of {name} must be a whole number from 1 to 10")
        out[str(name)] = int(level)
    return out


def clean_capacity(raw: Any) -> dict[str, int]:
    """Contacts at once per channel (``{"call": 1, "chat": 3, "email": 5}``); 0 takes none of that channel.

    Raises:
        ValidationError: naming ``capacity.<channel>``.
    """
    if not isinstance(raw, Mapping):
        raise ValidationError("capacity", "capacity must map channels to numbers, e.g. {\"chat\": 3}")
    out = {}
    for channel, value in raw.items():
        if channel not in CHANNELS:
            raise ValidationError(f"capacity.{channel}", f"unknown channel {channel!r}; known: {', '.join(CHANNELS)}")
        if isinstance(value, bool) or not str(value).isdigit() or int(value) > MAX_CAPACITY:
            raise ValidationError(f"capacity.{channel}", f"capacity.{channel} must be 0-{MAX_CAPACITY}")
        out[str(channel)] = int(value)
    return out


class UserAdmin:
    """The admin's operations on users."""

    def __init__(self, db: Database, live: LiveConfig, *, normalise_phone: Callable[[str], str | None],
                 min_password_length: int, close_sessions: SessionCloser | None = None) -> None:
        self._db = db
        self._live = live
        self._normalise = normalise_phone
        self._min_length = min_password_length
        self._close_sessions = close_sessions

    async def list(self) -> list[dict[str, Any]]:
        async with self._db.session() as s:
            users = (await s.execute(select(User).order_by(User.username))).scalars().all()
        return [user_dict(u) for u in users]

    async def find(self, username: str) -> int | None:
        """The id of the user called *username*, or None."""
        async with self._db.session() as s:
            return (await s.execute(select(User.id).where(User.username == username))).scalar_one_or_none()

    async def get(self, user_id: int) -> dict[str, Any]:
        async with self._db.session() as s:
            return user_dict(await _user(s, user_id))

    async def create(self, body: Mapping[str, Any], *, principal: Principal | None,
                     remote: str | None = None) -> dict[str, Any]:
        """Create a user (the password checked against the policy).

        Raises:
            ValidationError (naming the field), Conflict (username or extension taken).
        """
        username = str(body.get("username") or "").strip()
        password = body.get("password")
        if not isinstance(password, str):
            raise ValidationError("password", "password is required")
        check_password(password, username=username, min_length=self._min_length)
        role = str(body.get("role") or "agent")
        fields = self._clean(body)
        hashed = await asyncio.to_thread(hash_password, password)
        user_id = await create_user(
            self._db, username=username, password=password, password_hash=hashed, role=role,
            display_name=fields.get("display_name"), extension=fields.get("extension"),
            departments=fields.get("departments", ()), skills=fields.get("skills"), capacity=fields.get("capacity"))
        async with self._db.session() as s:
            user = await _user(s, user_id)
            if "phone" in fields:
                user.phone = fields["phone"]
            after = user_dict(user)
            record_change(s, principal=principal, remote=remote, object_type="user", object_id=username,
                          verb="create", before=None, after=after)
        await self._live.announce_org("users")
        return after

    def _clean(self, body: Mapping[str, Any]) -> dict[str, Any]:
        if "role" in body and body["role"] not in RANK:
            raise ValidationError("role", f"role must be one of {', '.join(RANK)}")
        cleaners: dict[str, Callable[[Any], Any]] = {
            "display_name": _display_name, "extension": _extension, "phone": self._phone,
            "departments": _departments, "skills": clean_skills, "capacity": clean_capacity,
        }
        return {key: clean(body[key]) for key, clean in cleaners.items() if key in body}

    def _phone(self, raw: Any) -> str | None:
        text = str(raw or "").strip()
        phone = self._normalise(text) if text else None
        if text and phone is None:
            raise ValidationError("phone", f"{text!r} is not a phone number")
        return phone

    async def update(self, user_id: int, body: Mapping[str, Any], *, principal: Principal | None,
                     remote: str | None = None) -> dict[str, Any]:
        """Change a user's profile; ``active: false`` deactivates (their sessions end at once).

        Raises:
            NotFound, ValidationError (naming the field), Conflict (the last admin; a taken extension).
        """
        fields = {**self._clean(body), **_state(body)}
        async with self._db.session() as s:
            user = await _user(s, user_id)
            before = user_dict(user)
            await _keep_an_admin(s, user, active=fields.get("active"), role=fields.get("role"))
            if "departments" in fields:
                user.departments = await _find_departments(s, fields.pop("departments"))
            for key, value in fields.items():
                setattr(user, key, value)
            try:
                await s.flush()
            except IntegrityError as exc:
                raise Conflict(f"extension {user.extension!r} belongs to someone else", field="extension") from exc
            after = user_dict(user)
            ended = not user.active and before["active"]
            if ended:
                await s.execute(delete(AuthSession).where(AuthSession.user_id == user_id))
            if after != before:
                record_change(s, principal=principal, remote=remote, object_type="user", object_id=user.username,
                              verb="deactivate" if ended else "update", before=before, after=after)
        if ended and self._close_sessions is not None:
            await self._close_sessions(user_id, "deactivated")
        if after != before:
            await self._live.announce_org("users")
        return after

    async def set_password(self, user_id: int, password: Any, *, principal: Principal | None,
                           remote: str | None = None) -> None:
        """Reset a user's password; their sessions end.

        Raises:
            NotFound, ValidationError (the policy, naming ``password``).
        """
        if not isinstance(password, str):
            raise ValidationError("password", "password is required")
        async with self._db.session() as s:
            user = await _user(s, user_id)
            check_password(password, username=user.username, min_length=self._min_length)
            user.password_hash = await asyncio.to_thread(hash_password, password)
            await s.execute(delete(AuthSession).where(AuthSession.user_id == user_id))
            record_change(s, principal=principal, remote=remote, object_type="user", object_id=user.username,
                          verb="reset_password", before=None, after={"password": "changed"})
        if self._close_sessions is not None:
            await self._close_sessions(user_id, "password_changed")

    async def has_admin(self) -> bool:
        """Whether any active admin exists (the first-run page is offered only when none does)."""
        async with self._db.session() as s:
            return await _active_admins(s) > 0


def _state(body: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "active" in body:
        if not isinstance(body["active"], bool):
            raise ValidationError("active", "active must be true or false")
        out["active"] = body["active"]
    if body.get("role"):
        out["role"] = str(body["role"])
    return out


def _display_name(raw: Any) -> str:
    name = str(raw or "").strip()
    if not 1 <= len(name) <= 120:
        raise ValidationError("display_name", "display_name must have 1-120 characters")
    return name


def _extension(raw: Any) -> str | None:
    ext = str(raw or "").strip() or None
    if ext is not None and not EXTENSION.match(ext):
        raise ValidationError("extension", "extension must be 1-32 digits (or * # +)")
    return ext


def _departments(raw: Any) -> list[str]:
    if isinstance(raw, str):
        raw = [d.strip() for d in raw.split(",") if d.strip()]
    if not isinstance(raw, list):
        raise ValidationError("departments", "departments must be a list of department slugs")
    return [str(d) for d in raw]


async def _find_departments(s: AsyncSession, slugs: list[str]) -> list[Department]:
    wanted = sorted(set(slugs))
    found = list((await s.execute(select(Department).where(Department.slug.in_(wanted)))).scalars())
    missing = set(wanted) - {d.slug for d in found}
    if missing:
        raise ValidationError("departments", f"unknown departments: {', '.join(sorted(missing))}")
    return found


async def _keep_an_admin(s: AsyncSession, user: User, *, active: bool | None, role: Any) -> None:
    leaves = user.role == "admin" and user.active and (active is False or (role and role != "admin"))
    if leaves and await _active_admins(s) <= 1:
        raise Conflict("this is the last active admin: make someone else admin first",
                       field="active" if active is False else "role")


async def _user(s: AsyncSession, user_id: int) -> User:
    user = await s.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


async def _active_admins(s: AsyncSession) -> int:
    q = select(func.count()).select_from(User).where(User.role == "admin", User.active.is_(True))
    return int((await s.execute(q)).scalar() or 0)
