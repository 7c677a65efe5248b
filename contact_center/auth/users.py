"""Creating and changing users (used by the CLI, the seed and the admin API)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from contact_center.auth.passwords import MIN_PASSWORD_LENGTH, hash_password
from contact_center.auth.roles import RANK
from contact_center.channels import default_capacity
from contact_center.errors import Conflict, ValidationError
from contact_center.store.session import Database
from contact_center.store.tables import Department, User

_USERNAME = re.compile(r"^[a-zA-Z0-9_.@-]{2,64}$")


async def create_user(
    db: Database,
    *,
    username: str,
    password: str,
    role: str,
    display_name: str | None = None,
    extension: str | None = None,
    departments: Iterable[str] = (),
    skills: Mapping[str, int] | None = None,
    capacity: Mapping[str, int] | None = None,
    password_hash: str | None = None,
) -> int:
    """Create a user and return its id.

    *password_hash* (an argon2 hash made earlier) replaces hashing *password* again; the seed
    uses it to create many users with one shared demo password quickly.

    Raises:
        ValidationError: bad username, short password, unknown role or department.
        Conflict: the username or extension is taken.
    """
    if not _USERNAME.match(username):
        raise ValidationError("username", "username must be 2-64 letters, digits or . _ @ -")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError("password", f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    if role not in RANK:
        raise ValidationError("role", f"role must be one of {', '.join(RANK)}")
    wanted = sorted(set(departments))
    async with db.session() as s:
        found = (await s.execute(select(Department).where(Department.slug.in_(wanted)))).scalars().all()
        missing = set(wanted) - {d.slug for d in found}
        if missing:
            raise ValidationError("departments", f"unknown departments: {', '.join(sorted(missing))}")
        user = User(
            username=username,
            display_name=display_name or username,
            password_hash=password_hash or hash_password(password),
            role=role,
            extension=extension or None,
            skills=dict(skills or {}),
            capacity=dict(capacity or default_capacity()),
            departments=list(found),
        )
        s.add(user)
        try:
            await s.flush()
        except IntegrityError as exc:
            raise Conflict(f"username {username!r} or extension {extension!r} is already taken") from exc
        return user.id


@dataclass(frozen=True)
class AgentEntry:
    """An active user as a PBX may name them: login, display name, extension."""

    id: int
    username: str
    display_name: str
    extension: str | None


class UserDirectory:
    """Read-only view of the active users for connectors (the PBX's agent directory)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def active(self) -> list[AgentEntry]:
        """Every active user, by id."""
        async with self._db.session() as s:
            rows = (await s.execute(select(User.id, User.username, User.display_name, User.extension)
                                    .where(User.active.is_(True)).order_by(User.id))).all()
        return [AgentEntry(*row) for row in rows]


async def set_language(db: Database, user_id: int, language: str | None) -> None:
    """Store the UI language *user_id* chose (``None`` goes back to negotiating from the browser)."""
    async with db.session() as s:
        user = await s.get(User, user_id)
        if user is not None:
            user.language = language
