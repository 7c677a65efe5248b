"""The agent directory on a real SQLite store: who a PBX means, and how often it reads the users."""

from __future__ import annotations

import asyncio

from connectors.telephony.agents import AgentDirectory
from contact_center.auth.users import UserDirectory
from contact_center.store.session import Database
from contact_center.store.tables import User


class CountingDirectory(AgentDirectory):
    """The real directory, counting its reads of the user table."""

    loads = 0

    async def load(self) -> None:
        self.loads += 1
        await asyncio.sleep(0.01)  # a read that takes a moment, so that misses overlap with it
        await super().load()


async def add_user(db: Database, username: str, extension: str | None) -> int:
    async with db.session() as s:
        user = User(username=username, display_name=username.title(), password_hash="x", role="agent",
                    extension=extension)
        s.add(user)
        await s.flush()
        return user.id


async def test_misses_at_once_share_one_read_and_see_a_new_agent(sqlite_store: Database) -> None:
    anna = await add_user(sqlite_store, "anna", "201")
    now = [0.0]
    directory = CountingDirectory(UserDirectory(sqlite_store), miss_reload_after=5.0, clock=lambda: now[0])
    assert await directory.answering("201", []) == anna
    assert directory.loads == 1

    # Within the miss interval an unknown extension is answered from memory: no read.
    assert await directory.answering("999", []) is None
    assert directory.loads == 1

    # Later, sixteen lines name extensions the directory does not know, all at once: one read
    # serves them all, and it finds the agent added since.
    bert = await add_user(sqlite_store, "bert", "202")
    now[0] = 10.0
    found = await asyncio.gather(*(directory.answering("202" if i % 2 else "999", []) for i in range(16)))
    assert directory.loads == 2
    assert found == [bert if i % 2 else None for i in range(16)]
    await directory.close()


async def test_an_old_directory_answers_at_once_and_reloads_in_the_background(sqlite_store: Database) -> None:
    anna = await add_user(sqlite_store, "anna", "201")
    now = [0.0]
    directory = CountingDirectory(UserDirectory(sqlite_store), max_age=60.0, clock=lambda: now[0])
    await directory.load()
    now[0] = 61.0
    assert await asyncio.gather(*(directory.answering("201", []) for _ in range(8))) == [anna] * 8
    assert directory.loads == 2  # the first load, then one background reload for all eight
    await directory.close()
