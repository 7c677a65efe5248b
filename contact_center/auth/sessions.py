"""Login sessions and the failed-login throttle, both kept in the store so every instance agrees."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from contact_center.auth.passwords import hash_password, needs_rehash, verify_password
from contact_center.auth.roles import Principal
from contact_center.errors import AuthError, LoginThrottled
from contact_center.store.session import Database
from contact_center.store.tables import AuthSession, LoginFailure, User, utcnow

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
    )


class SessionRepository:
    """Creates, resolves and ends login sessions; throttles repeated failures."""

    def __init__(self, db: Database, *, ttl_seconds: int, max_failures: int, window_seconds: int,
                 idle_seconds: int = 2 * 3600) -> None:
        self._db = db
        self._ttl = dt.timedelta(seconds=ttl_seconds)
        self._idle = dt.timedelta(seconds=idle_seconds)
        # Activity is written at most this often per session (not on every request).
        self._touch_every = min(dt.timedelta(seconds=60), self._idle / 4)
        self._max_failures = max_failures
        self._window = dt.timedelta(seconds=window_seconds)

    async def login(self, username: str, password: str, *, remote: str | None) -> tuple[str, Principal]:
        """Check credentials and open a session. Returns the cookie token and the user.

        Raises:
            LoginThrottled: too many failures for this username or address in the window.
            AuthError: wrong username or password (the same answer for both).
        """
        keys = [f"user:{username.lower()}"] + ([f"addr:{remote}"] if remote else [])
        async with self._db.session() as s:
            await self._check_throttle(s, keys)
            user = (await s.execute(select(User).where(User.username == username))).scalar_one_or_none()
            # argon2 takes tens of milliseconds: verify off the event loop (it releases the GIL).
            ok = await asyncio.to_thread(verify_password, user.password_hash if user else None, password)
            if ok and user is not None and user.active:
                if needs_rehash(user.password_hash):
                    user.password_hash = hash_password(password)
                await s.execute(delete(LoginFailure).where(LoginFailure.key == keys[0]))
                token = secrets.token_urlsafe(32)
                s.add(AuthSession(token_hash=_digest(token), user_id=user.id, last_seen_at=utcnow(),
                                  expires_at=utcnow() + self._ttl, remote=remote))
                return token, principal_of(user)
        # Recorded in a transaction of its own: raising inside the one above would roll it back.
        async with self._db.session() as s:
            s.add_all(LoginFailure(key=k) for k in keys)
        raise AuthError("wrong username or password")

    async def _check_throttle(self, s: AsyncSession, keys: list[str]) -> None:
        since = utcnow() - self._window
        for key in keys:
            limit = self._max_failures if key.startswith("user:") else self._max_failures * 4
            q = select(func.count(), func.min(LoginFailure.at)).where(LoginFailure.key == key, LoginFailure.at > since)
            count, oldest = (await s.execute(q)).one()
            if count >= limit:
                retry = int((oldest + self._window - utcnow()).total_seconds()) + 1 if oldest else 1
                raise LoginThrottled("too many failed logins; try again later", retry_after=max(retry, 1))

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
            await s.execute(delete(LoginFailure).where(LoginFailure.at <= utcnow() - self._window))
            return res.rowcount or 0  # type: ignore[attr-defined]
