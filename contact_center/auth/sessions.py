"""Login sessions and the login throttle (:mod:`.throttle`), both kept in the store so every instance agrees."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete, select

from contact_center.auth.passwords import hash_password, needs_rehash, verify_password
from contact_center.auth.roles import Principal
from contact_center.auth.throttle import LoginThrottle
from contact_center.errors import AuthError
from contact_center.store.session import Database
from contact_center.store.tables import AuthSession, User, utcnow

COOKIE_NAME = "cc_session"


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def session_id(token: str) -> str:
    """The id a session goes by outside the store (hex SHA-256 of its token; never the token)."""
    return _digest(token).hex()


def session_alive(*, now: dt.datetime, expires_at: dt.datetime, last_seen_at: dt.datetime | None,
                  idle: dt.timedelta) -> bool:
    """Whether a session is still valid: before its absolute end and not idle for longer than *idle*."""
    return now < expires_at and (last_seen_at is None or now - last_seen_at < idle)


def principal_of(user: User) -> Principal:
    return Principal(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        extension=user.extension,
        departments=tuple(sorted(d.slug for d in user.departments)),
        language=user.language,
    )


class SessionRepository:
    """Creates, resolves and ends login sessions; throttles repeated failures."""

    def __init__(self, db: Database, *, ttl_seconds: int, max_failures: int, window_seconds: int,
                 idle_seconds: int = 2 * 3600, backoff_seconds: float = 30, backoff_max_seconds: float = 900) -> None:
        self._db = db
        self._throttle = LoginThrottle(free=max_failures, window_seconds=window_seconds,
                                       base_seconds=backoff_seconds, cap_seconds=backoff_max_seconds)
        self._ttl = dt.timedelta(seconds=ttl_seconds)
        self._idle = dt.timedelta(seconds=idle_seconds)
        # Activity is written at most this often per session (not on every request).
        self._touch_every = min(dt.timedelta(seconds=60), self._idle / 4)

    async def login(self, username: str, password: str, *, remote: str | None) -> tuple[str, Principal]:
        """Check credentials and open a session. Returns the cookie token and the user.

        Every attempt is recorded (see :mod:`contact_center.auth.throttle`).

        Raises:
            LoginThrottled: too many recent failures in one of the throttle's scopes; wait ``retry_after``.
            AuthError: wrong username or password (the same answer for both).
        """
        async with self._db.session() as s:
            await self._throttle.check(s, username, remote)
            user = (await s.execute(select(User).where(User.username == username))).scalar_one_or_none()
            # argon2 takes tens of milliseconds: verify off the event loop (it releases the GIL).
            ok = await asyncio.to_thread(verify_password, user.password_hash if user else None, password)
            if ok and user is not None and user.active:
                if needs_rehash(user.password_hash):
                    user.password_hash = hash_password(password)
                self._throttle.record(s, username, remote, ok=True)
                token = secrets.token_urlsafe(32)
                s.add(AuthSession(token_hash=_digest(token), user_id=user.id, last_seen_at=utcnow(),
                                  expires_at=utcnow() + self._ttl, remote=remote))
                return token, principal_of(user)
        # Recorded in a transaction of its own: raising inside the one above would roll it back.
        async with self._db.session() as s:
            self._throttle.record(s, username, remote, ok=False)
        raise AuthError("wrong username or password")

    async def resolve(self, token: str | None, *, touch: bool = True) -> Principal:
        """The user behind a session cookie; with *touch*, this counts as activity (idle timeout).

        Raises:
            AuthError: no cookie, unknown, expired or idle session, or a deactivated user.
        """
        if not token:
            raise AuthError("not logged in")
        now = utcnow()
        async with self._db.session() as s:
            row = (await s.execute(
                select(AuthSession, User).join(User, User.id == AuthSession.user_id)
                .where(AuthSession.token_hash == _digest(token))
            )).one_or_none()
            if row is None or not row[1].active or not session_alive(
                    now=now, expires_at=row[0].expires_at, last_seen_at=row[0].last_seen_at, idle=self._idle):
                raise AuthError("session expired or unknown; log in again")
            if touch and (row[0].last_seen_at is None or now - row[0].last_seen_at >= self._touch_every):
                row[0].last_seen_at = now
            return principal_of(row[1])

    async def logout(self, token: str | None) -> int | None:
        """End the session of *token*; returns its user's id (``None``: there was no such session)."""
        if not token:
            return None
        async with self._db.session() as s:
            res = await s.execute(delete(AuthSession).where(AuthSession.token_hash == _digest(token))
                                  .returning(AuthSession.user_id))
            return res.scalar_one_or_none()

    async def revoke_user(self, user_id: int) -> int:
        """End every session of *user_id* (deactivation, password change); returns how many."""
        async with self._db.session() as s:
            res = await s.execute(delete(AuthSession).where(AuthSession.user_id == user_id))
            return res.rowcount or 0  # type: ignore[attr-defined]

    async def purge_expired(self) -> int:
        """Delete expired and idle sessions and old failures; returns how many sessions went."""
        now = utcnow()
        async with self._db.session() as s:
            res = await s.execute(delete(AuthSession).where(
                (AuthSession.expires_at <= now) | (AuthSession.last_seen_at <= now - self._idle)))
            await self._throttle.purge(s)
            return res.rowcount or 0  # type: ignore[attr-defined]
