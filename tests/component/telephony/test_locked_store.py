"""The CTI hook facing a store it cannot write (a SQLite file another connection holds the write lock on):
a quick 503 with Retry-After instead of a 500 after the busy timeout, and nothing lost or stored twice."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from contact_center import keys
from contact_center.events import CallAnswered, CallRang
from contact_center.settings import Settings
from contact_center.store.tables import Call, CtiEvent
from tests.component.telephony.env import TOKEN, start_world, world_settings
from tests.conftest import RunningApp


@pytest.fixture
async def locked_world(start_app: Callable, settings_factory: Callable[..., Settings],
                       tmp_path: Path) -> tuple[RunningApp, list[object]]:
    """The app on a SQLite file, the hook waiting at most 300 ms for the store; the bus's call events recorded."""
    settings = world_settings(settings_factory, tmp_path, sections={"telephony": {"store_wait_ms": 300}})
    app, _ = await start_world(start_app, settings)
    events: list[object] = []

    async def record(event: object) -> None:
        events.append(event)

    app.app[keys.BUS].subscribe(record, CallRang, CallAnswered)
    return app, events


def _lock(app: RunningApp) -> sqlite3.Connection:
    """Another connection takes the store file's write lock (as a backup tool or a stuck process would)."""
    blocker = sqlite3.connect(app.db.url.removeprefix("sqlite+aiosqlite:///"), timeout=30, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    return blocker


async def _stored(app: RunningApp, call_id: str) -> tuple[int, int]:
    async with app.db.session() as s:
        calls = (await s.execute(select(func.count()).select_from(Call).where(Call.call_id == call_id))).scalar_one()
        events = (await s.execute(select(func.count()).select_from(CtiEvent)
                                  .where(CtiEvent.call_id == call_id))).scalar_one()
    return int(calls), int(events)


@pytest.mark.parametrize("path", [f"/api/v1/cti/{TOKEN}", f"/api/v1/sipgate/{TOKEN}"], ids=["cti", "sipgate"])
async def test_a_locked_store_answers_503_with_retry_after_and_loses_nothing(
    locked_world: tuple[RunningApp, list[object]], path: str,
) -> None:
    """While the store file is write-locked a newCall gets 503 + Retry-After (not a 500 after the 30 s busy
    timeout); a repeat meanwhile gets the same; once the lock goes, the PBX's retry is answered 200 and the call
    is stored, and announced on the bus, exactly once."""
    app, events = locked_world
    body = {"event": "newCall", "callId": "locked-1", "from": "+4930111222", "to": "+49301234500", "direction": "in"}
    async with app.session() as http:
        blocker = _lock(app)
        try:
            for _ in range(2):  # the first post, and the PBX's impatient repeat
                async with http.post(path, data=body) as resp:
                    text = await resp.text()
                    assert resp.status == 503, text
                    assert int(resp.headers["Retry-After"]) >= 1
                    assert "unavailable" in text
        finally:
            blocker.rollback()
            blocker.close()
        async with asyncio.timeout(60):
            while True:  # the PBX posts again, as Retry-After asks, until it gets its answer
                async with http.post(path, data=body) as resp:
                    if resp.status == 200:
                        break
                    assert resp.status == 503, await resp.text()
                await asyncio.sleep(1)
        async with asyncio.timeout(10):
            await app.app[keys.BUS].settle()
    assert await _stored(app, "locked-1") == (1, 1)
    assert [type(e).__name__ for e in events if getattr(e, "call_id", None) == "locked-1"] == ["CallRang"]


async def test_an_answer_to_a_known_call_on_a_locked_store_is_503_then_stored_once(
    locked_world: tuple[RunningApp, list[object]],
) -> None:
    """An answer to a call the hook has seen ringing (announced before it is stored) also gets a quick 503 while
    the store is locked; its retry is stored once and the answer announced once."""
    app, events = locked_world
    base = {"callId": "locked-2", "from": "+4930111333", "to": "+49301234500", "direction": "in"}
    async with app.session() as http:
        async with http.post(f"/api/v1/cti/{TOKEN}", json={"event": "newCall", **base}) as resp:
            assert resp.status == 200
        blocker = _lock(app)
        answer = {"event": "answer", "answeringNumber": "201", **base}
        try:
            async with http.post(f"/api/v1/cti/{TOKEN}", json=answer) as resp:
                assert resp.status == 503
                assert resp.headers["Retry-After"]
        finally:
            blocker.rollback()
            blocker.close()
        async with asyncio.timeout(60):
            while True:
                async with http.post(f"/api/v1/cti/{TOKEN}", json=answer) as resp:
                    if resp.status == 200:
                        break
                    assert resp.status == 503
                await asyncio.sleep(1)
        async with asyncio.timeout(10):
            await app.app[keys.BUS].settle()
    async with app.db.session() as s:
        answered = (await s.execute(select(func.count()).select_from(CtiEvent)
                                    .where(CtiEvent.call_id == "locked-2", CtiEvent.event == "answer"))).scalar_one()
    assert answered == 1
    assert [type(e).__name__ for e in events if getattr(e, "call_id", None) == "locked-2"] == ["CallRang",
                                                                                               "CallAnswered"]
