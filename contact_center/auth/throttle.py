"""Login throttling that slows attackers down without locking the real user out.

Every login attempt is kept (``login_attempt``: name, address, success, time), so admins can
read the failures (``GET /api/v1/auth/login-attempts``) and every instance sharing the store
agrees. Three scopes are throttled, each with exponential back-off once its free failures are
used up: after the *n*-th failure beyond them the next attempt waits ``base * 2**n`` seconds
(at most ``cap``) after the last failure. Nothing is ever locked for good.

* **this account from this address**: ``free`` failures since the last success;
* **this address**, whatever the account: ``4 * free`` failures in the window (a password sprayer);
* **this account**, from any address: ``free`` failures since its last success, *except* from an
  address the account logged in from successfully within ``known_days`` (its usual desk). Someone
  guessing from elsewhere slows down the guessing, not the real user at their own desk.

:func:`wait_seconds` decides (pure); :class:`LoginThrottle` reads the store and records attempts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from contact_center.errors import LoginThrottled
from contact_center.store.tables import LoginAttempt, utcnow

KNOWN_DAYS = 30


@dataclass(frozen=True)
class Failures:
    """Failures counted in one scope, and when the last one was."""

    count: int
    last: dt.datetime | None


@dataclass(frozen=True)
class Backoff:
    """The back-off rule: *free* failures, then ``base * 2**n`` seconds, at most *cap*."""

    free: int
    base: float
    cap: float


def wait_seconds(failures: Failures, rule: Backoff, *, now: dt.datetime) -> float:
    """How long the next attempt in this scope must still wait (0: it may go now)."""
    over = failures.count - rule.free
    if over < 0 or failures.last is None:
        return 0.0
    delay = min(rule.cap, rule.base * 2 ** min(over, 30))
    return max(0.0, (failures.last + dt.timedelta(seconds=delay) - now).total_seconds())


class LoginThrottle:
    """Records login attempts and refuses the ones that must wait."""

    def __init__(self, *, free: int, window_seconds: int, base_seconds: float, cap_seconds: float) -> None:
        self._free = free
        self._window = dt.timedelta(seconds=window_seconds)
        self._base, self._cap = base_seconds, cap_seconds

    def _rule(self, factor: int) -> Backoff:
        return Backoff(free=self._free * factor, base=self._base, cap=self._cap)

    async def check(self, s: AsyncSession, username: str, remote: str | None) -> None:
        """Raise :class:`LoginThrottled` (with the seconds to wait) when any scope must still wait."""
        now = utcnow()
        name = username.lower()[:64]
        since = now - self._window
        waits = [wait_seconds(await _failures(s, _pair(name, remote), since), self._rule(1), now=now)]
        if remote:
            waits.append(wait_seconds(await _failures(s, LoginAttempt.remote == remote, since, resets=False),
                                      self._rule(4), now=now))
        if not await self._known(s, name, remote, now):
            waits.append(wait_seconds(await _failures(s, LoginAttempt.username == name, since), self._rule(1),
                                      now=now))
        wait = max(waits)
        if wait > 0:
            raise LoginThrottled("too many failed logins; try again later", retry_after=int(wait) + 1)

    async def _known(self, s: AsyncSession, name: str, remote: str | None, now: dt.datetime) -> bool:
        if not remote:
            return False
        q = select(func.count()).where(_pair(name, remote), LoginAttempt.ok.is_(True),
                                       LoginAttempt.at > now - dt.timedelta(days=KNOWN_DAYS))
        return bool((await s.execute(q)).scalar())

    @staticmethod
    def record(s: AsyncSession, username: str, remote: str | None, *, ok: bool) -> None:
        """Add one attempt to the session's transaction."""
        s.add(LoginAttempt(username=username.lower()[:64], remote=remote, ok=ok))

    async def purge(self, s: AsyncSession) -> None:
        """Forget attempts older than the window and the known-address period."""
        keep = max(self._window, dt.timedelta(days=KNOWN_DAYS))
        await s.execute(delete(LoginAttempt).where(LoginAttempt.at <= utcnow() - keep))


async def recent_attempts(s: AsyncSession, *, username: str | None = None, remote: str | None = None,
                          ok: bool | None = None, before_id: int | None = None,
                          limit: int = 100) -> list[dict[str, object]]:
    """Login attempts, newest first, for admins (filters optional)."""
    q = select(LoginAttempt).order_by(LoginAttempt.id.desc()).limit(limit)
    for column, value in ((LoginAttempt.username, username.lower() if username else None),
                          (LoginAttempt.remote, remote), (LoginAttempt.ok, ok)):
        if value is not None:
            q = q.where(column == value)
    if before_id is not None:
        q = q.where(LoginAttempt.id < before_id)
    return [{"id": a.id, "username": a.username, "remote": a.remote, "ok": a.ok, "at": a.at.isoformat()}
            for a in (await s.execute(q)).scalars()]


def _pair(name: str, remote: str | None) -> ColumnElement[bool]:
    return and_(LoginAttempt.username == name, LoginAttempt.remote == remote if remote else
                LoginAttempt.remote.is_(None))


async def _failures(s: AsyncSession, scope: ColumnElement[bool], since: dt.datetime, *,
                    resets: bool = True) -> Failures:
    """Failures in *scope* within the window (and, if *resets*, after its last success)."""
    start = since
    if resets:
        last_ok = (await s.execute(select(func.max(LoginAttempt.at)).where(scope, LoginAttempt.ok.is_(True))))\
            .scalar()
        start = max(since, last_ok) if last_ok else since
    q: Select[int, dt.datetime] = select(func.count(), func.max(LoginAttempt.at)).where(
        scope, LoginAttempt.ok.is_(False), LoginAttempt.at > start)
    count, last = (await s.execute(q)).one()
    return Failures(count=count, last=last)
