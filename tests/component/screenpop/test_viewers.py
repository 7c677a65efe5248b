"""Pop viewers (an agent's departments, for cutting the pop's timeline) on a real store: read ahead,
used stale while a new read runs, never used once too old."""

from __future__ import annotations

from sqlalchemy import delete

from contact_center.screenpop.viewers import Viewers
from contact_center.store.session import Database
from contact_center.store.tables import UserDepartment
from tests.component.routing.conftest import eventually
from tests.conftest import seed_org


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_stale_viewer_is_used_at_once_and_read_again_behind(sqlite_store: Database) -> None:
    """After *ttl* the answer still gets the agent at once (no store read on the pop's path) and a
    read in the background brings the change; after *max_stale* nothing old is used."""
    users = await seed_org(sqlite_store)
    clock = _Clock()
    viewers = Viewers(sqlite_store, ttl=30, max_stale=300, clock=clock)
    uid = users["agent_sales_1"]
    assert viewers.known(uid) is None
    assert (await viewers.get(uid)).departments == ("sales",)

    async with sqlite_store.session() as s:  # the admin takes the agent out of sales
        await s.execute(delete(UserDepartment).where(UserDepartment.user_id == uid))
    clock.now += 10
    assert viewers.known(uid).departments == ("sales",)  # fresh: no read
    clock.now += 30
    assert viewers.known(uid).departments == ("sales",)  # stale: used now, read again behind
    await eventually(lambda: viewers.known(uid).departments == (), within=10)

    clock.now += 301
    assert viewers.known(uid) is None  # too old to use: the pop's path reads it
    assert (await viewers.get(uid)).departments == ()
