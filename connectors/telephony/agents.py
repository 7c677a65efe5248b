"""Which agent a PBX means: by extension/number (``answeringNumber``), login or display name.

PBXs name agents the way they know them: sipgate.io and Zammad send the user's real name in
``user``, an extension or login in ``answeringNumber``. The directory keeps every active
user's login, display name and extension in memory (reloaded when a name misses, at most every
few seconds, and at least every minute), so mapping an event costs no store query.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable

from contact_center.auth.users import UserDirectory


class AgentDirectory:
    """Maps PBX names and numbers to user ids."""

    def __init__(self, users: UserDirectory, *, max_age: float = 60.0, miss_reload_after: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._users = users
        self._max_age = max_age
        self._miss_reload_after = miss_reload_after
        self._clock = clock
        self._by_number: dict[str, int] = {}
        self._by_name: dict[str, int] = {}
        self._loaded_at: float | None = None
        self._loading: asyncio.Task[None] | None = None  # the running reload, shared

    async def load(self) -> None:
        """Read every active user (login, display name, extension)."""
        by_number: dict[str, int] = {}
        by_name: dict[str, int] = {}
        for user in await self._users.active():
            if user.extension:
                by_number[user.extension.strip()] = user.id
            by_name.setdefault(user.username.lower(), user.id)
            by_name.setdefault(user.display_name.strip().lower(), user.id)
        self._by_number, self._by_name = by_number, by_name
        self._loaded_at = self._clock()

    async def close(self) -> None:
        """Stop a reload, if one is running."""
        if self._loading is not None and not self._loading.done():
            self._loading.cancel()
            await asyncio.gather(self._loading, return_exceptions=True)

    async def _fresh(self, miss: bool) -> None:
        age = self._clock() - self._loaded_at if self._loaded_at is not None else None
        if age is None or (miss and age > self._miss_reload_after):
            await self._reload()  # first use, or a name we do not know: read the users now
        elif age > self._max_age:
            # Merely old: answer from what we have and reload in the background (no wait on the hot path).
            self._start_reload()

    def _start_reload(self) -> asyncio.Task[None]:
        if self._loading is None or self._loading.done():
            self._loading = asyncio.create_task(self.load(), name="agent-directory-load")
        return self._loading

    async def _reload(self) -> None:
        """One read of the users for every post that needs it at once: posts that miss together
        (a PBX's lines naming an extension nobody has) share the read instead of each starting one."""
        await asyncio.shield(self._start_reload())

    def _lookup(self, number: str | None, names: Iterable[str]) -> int | None:
        if number:
            key = number.strip()
            found = self._by_number.get(key) or self._by_name.get(key.lower())
            if found is not None:
                return found
        for name in names:
            found = self._by_name.get(name.strip().lower()) or self._by_number.get(name.strip())
            if found is not None:
                return found
        return None

    def known(self, answering_number: str | None, users: Iterable[str]) -> int | None:
        """:meth:`answering` from what is loaded, without any reload: ``None`` when that is not enough.

        For a first, synchronous look before the event is processed; :meth:`answering` then has
        the final word (it reloads on a miss).
        """
        if self._loaded_at is None or self._clock() - self._loaded_at > self._max_age:
            return None
        names = list(users)
        return self._lookup(answering_number, names if len(names) == 1 else [])

    async def answering(self, answering_number: str | None, users: Iterable[str]) -> int | None:
        """The agent who answered: by ``answeringNumber`` first, then a single named ``user``.

        With several ``user`` names and no usable number the answerer is unknown (``None``).
        """
        names = list(users)
        names = names if len(names) == 1 else []
        if not answering_number and not names:
            return None
        await self._fresh(miss=False)
        found = self._lookup(answering_number, names)
        if found is None:
            await self._fresh(miss=True)
            found = self._lookup(answering_number, names)
        return found

    async def ringing(self, users: Iterable[str]) -> tuple[int, ...]:
        """The user ids of the named ringing agents that map to accounts, in the PBX's order."""
        names = list(users)
        if not names:
            return ()
        await self._fresh(miss=False)
        ids = [self._lookup(None, [n]) for n in names]
        if None in ids:
            await self._fresh(miss=True)
            ids = [self._lookup(None, [n]) for n in names]
        return tuple(dict.fromkeys(i for i in ids if i is not None))
