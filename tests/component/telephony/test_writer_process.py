"""The CTI writer's own process: killed mid-traffic it is replaced, and nothing is lost or stored twice."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from connectors.telephony.http import HOOK
from contact_center.settings import PbxSettings, Secret, Settings
from contact_center.store.tables import Call, CtiEvent
from tests.component.telephony.env import TOKEN, Pbx

LINES = 8
CALLS_PER_LINE = 12


async def _post_until_stored(pbx: Pbx, body: dict[str, str]) -> int:
    """Post *body* as a PBX does: again after a 5xx (the writer may be down for a moment). Returns the 5xx count."""
    failures = 0
    while True:
        status, _ = await pbx.post(body)
        if status == 200:
            return failures
        assert status >= 500, status
        failures += 1
        assert failures < 20


async def test_writer_killed_mid_traffic_is_replaced_and_keeps_every_event_once(
    start_app: Callable, settings_factory: Callable[..., Settings], tmp_path: Path,
) -> None:
    """SIGKILL of the writer process while 8 lines post: the next batch starts a new one, every event stored once."""
    app = await start_app(settings_factory(pbx=(PbxSettings(name="main", token=Secret(TOKEN)),)))
    writer = app.app[HOOK].writer
    assert writer.process is not None
    first = writer.process.pid
    assert first is not None
    acknowledged = 0
    killed = asyncio.Event()

    async def line(pbx: Pbx, n: int) -> None:
        nonlocal acknowledged
        for i in range(CALLS_PER_LINE):
            fields = {"callId": f"line{n}-call{i}", "from": f"+4930{n:02d}{i:05d}", "to": "+4940111",
                      "direction": "in"}
            for body in ({"event": "newCall", **fields}, {"event": "answer", **fields, "user": "nobody"},
                         {"event": "hangup", **fields, "cause": "normalClearing"}):
                await _post_until_stored(pbx, body)
                acknowledged += 1
                if acknowledged == LINES * CALLS_PER_LINE and not killed.is_set():
                    os.kill(first, signal.SIGKILL)
                    killed.set()

    async with aiohttp.ClientSession() as http:
        await asyncio.gather(*(line(Pbx(app, http), n) for n in range(LINES)))
    assert killed.is_set()
    second = writer.process.pid
    assert second is not None
    assert second != first
    async with app.db.session() as s:
        events = (await s.execute(select(func.count()).select_from(CtiEvent))).scalar_one()
        calls = (await s.execute(select(Call.state, func.count()).group_by(Call.state))).all()
    assert events == LINES * CALLS_PER_LINE * 3
    assert calls == [("ended", LINES * CALLS_PER_LINE)]


async def test_writer_process_ends_with_the_app(
    start_app: Callable, settings_factory: Callable[..., Settings],
) -> None:
    """Stopping the app stops its writer process (nothing is left holding the store)."""
    app = await start_app(settings_factory(pbx=(PbxSettings(name="main", token=Secret(TOKEN)),)))
    process = app.app[HOOK].writer.process
    assert process is not None
    pid = process.pid
    assert pid is not None
    await app.server.close()
    async with asyncio.timeout(10):
        while Path(f"/proc/{pid}").exists():  # noqa: ASYNC110, ASYNC240 - another process's state, no event
            await asyncio.sleep(0.02)


async def test_a_batch_the_store_refuses_fails_alone_and_the_process_stays(tmp_path: Path) -> None:
    """A batch rolled back in the process (here: a store without tables) raises BatchFailed naming the error."""
    from connectors.telephony.parse import digest, parse_cti
    from contact_center.ingest.call_batch import Post
    from contact_center.ingest.writer_process import BatchFailed, WriterProcess

    (tmp_path / "empty.db").touch()
    writer = WriterProcess(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    await writer.start()
    try:
        pid = writer.pid
        event = parse_cti({"event": "newCall", "callId": "c1", "from": "+4930111", "to": "+4930222", "direction": "in"})
        post = Post(pbx="main", event=event, digest=digest("main", event), reply={})
        for _ in range(2):  # the process answers every batch, failed or not
            with pytest.raises(BatchFailed, match="no such table"):
                await writer.apply([post], [])
        assert writer.pid == pid
    finally:
        await writer.close()
    assert writer.pid is None


async def test_a_store_that_cannot_be_opened_is_named_at_start(tmp_path: Path) -> None:
    """The process reports a store it cannot open before any batch, and start() raises WriterGone with the reason."""
    from contact_center.ingest.writer_process import WriterGone, WriterProcess

    writer = WriterProcess(f"sqlite+aiosqlite:///{tmp_path / 'no-such-dir' / 'cc.db'}")
    with pytest.raises(WriterGone, match="could not open the store"):
        await writer.start()
    assert writer.pid is None
