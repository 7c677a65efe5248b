"""The bridge token cache: fresh tokens are answered from memory, wrong ones always asked, forget() clears."""

from __future__ import annotations

import pytest

from connectors.api.tokens import TokenCache
from contact_center.channel_instances import Instance
from contact_center.errors import AuthError
from contact_center.store.tables import utcnow

NOW = utcnow()
BRIDGE = Instance(id=1, channel="api", name="sms", department=None, webhook_url=None, token_hint="good",
                  active=True, created_at=NOW, updated_at=NOW)


class Store:
    """An in-memory authenticator that counts how often it was asked."""

    def __init__(self) -> None:
        self.token = "good-token"
        self.asked = 0

    async def authenticate(self, instance_id: int, token: str | None) -> Instance:
        self.asked += 1
        if instance_id != 1 or token != self.token:
            raise AuthError("no")
        return BRIDGE


async def test_tokens_are_trusted_for_the_ttl_then_checked_again() -> None:
    """A good token is asked once per lifetime; wrong tokens every time; forget() starts over."""
    store, now = Store(), [0.0]
    cache = TokenCache(store, ttl=2.0, clock=lambda: now[0])
    assert await cache.authenticate(1, "good-token") is BRIDGE
    now[0] = 1.9
    assert await cache.authenticate(1, "good-token") is BRIDGE
    assert store.asked == 1
    for _ in range(2):
        with pytest.raises(AuthError):
            await cache.authenticate(1, "wrong")
    assert store.asked == 3
    now[0] = 2.1
    store.token = "rotated"
    with pytest.raises(AuthError):
        await cache.authenticate(1, "good-token")  # expired: asked again, and the store says no
    assert await cache.authenticate(1, "rotated") is BRIDGE
    cache.forget()
    assert await cache.authenticate(1, "rotated") is BRIDGE
    assert store.asked == 6
