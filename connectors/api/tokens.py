"""Recently checked bridge tokens, so a busy bridge does not cost a store read per message.

A token that opened its bridge is trusted again for ``[api_channel] auth_cache_seconds`` without
asking the store; wrong tokens are never remembered (each one is checked against the store). An
admin's change or rotation on this instance forgets everything at once; other instances of a
cluster follow within the cache's lifetime.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from contact_center.channel_instances import Instance, token_digest

MAX_ENTRIES = 4096


class Authenticator(Protocol):
    async def authenticate(self, instance_id: int, token: str | None) -> Instance: ...


class TokenCache:
    """:meth:`authenticate` like the repository's, answered from memory while an entry is fresh."""

    def __init__(self, repository: Authenticator, *, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._repository = repository
        self._ttl = ttl
        self._clock = clock
        self._fresh: dict[tuple[int, bytes], tuple[float, Instance]] = {}

    async def authenticate(self, instance_id: int, token: str | None) -> Instance:
        """The active bridge *token* opens.

        Raises:
            AuthError: from the repository, for a missing or wrong token or an unknown bridge.
        """
        if not token:
            return await self._repository.authenticate(instance_id, token)
        key = (instance_id, token_digest(token))
        now = self._clock()
        hit = self._fresh.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        instance = await self._repository.authenticate(instance_id, token)
        if len(self._fresh) >= MAX_ENTRIES:
            self._fresh.clear()
        self._fresh[key] = (now + self._ttl, instance)
        return instance

    def forget(self) -> None:
        """Drop every remembered token (after a bridge changed or got new credentials)."""
        self._fresh.clear()
