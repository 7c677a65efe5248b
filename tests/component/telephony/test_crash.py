"""A real ``contact-center serve`` SIGKILLed while PBX posts are in flight loses no acknowledged event."""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from contact_center.store.session import Database
from contact_center.store.tables import Call, CtiEvent
from tests.serving import crash_store_url, serving

__all__ = ["crash_store_url"]  # the fixture, imported for pytest

TOKEN = "crash-test-token-0123456789"
CONFIG = (f'[server]\nplugins = ["telephony"]\nlog_level = "WARNING"\n\n'
          f'[[pbx]]\nname = "main"\ntoken = "{TOKEN}"\n')


def _descendants(pid: int) -> list[int]:
    """The processes below *pid* (from /proc), children first."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            children.setdefault(int(stat.rpartition(")")[2].split()[1]), []).append(int(entry))
    found, todo = [], list(children.get(pid, []))
    while todo:
        found.append(todo.pop(0))
        todo.extend(children.get(found[-1], []))
    return found


def _running(pid: int) -> bool:
    """Whether *pid* is alive (a zombie, dead but not reaped by its parent, is not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


async def _stored(url: str) -> tuple[set[tuple[str, str]], list[str]]:
    """The (call id, event) pairs in cti_event, and the call ids of every stored call leg (a list: repeats show)."""
    db = Database(url)
    try:
        async with db.session() as s:
            events = {(r[0], r[1]) for r in await s.execute(select(CtiEvent.call_id, CtiEvent.event))}
            legs = [r[0] for r in await s.execute(select(Call.call_id))]
    finally:
        await db.close()
    return events, legs


@pytest.mark.timeout(240)  # a server start and a burst of posts: longer than the default on a busy machine
async def test_sigkill_mid_batch_loses_no_acknowledged_event(tmp_path: Path, crash_store_url: str) -> None:
    """Eight PBX lines post until the server is killed; every event answered 200 is in cti_event afterwards,
    and every call leg is stored once (on SQLite and on PostgreSQL)."""
    acknowledged: list[tuple[str, str]] = []
    enough = asyncio.Event()
    async with serving(tmp_path, CONFIG, crash_store_url) as (proc, port):

        async def line(http: aiohttp.ClientSession, n: int) -> None:
            while True:
                call_id = uuid.uuid4().hex
                fields = {"callId": call_id, "from": f"+4930{n:03d}{len(acknowledged):06d}", "to": "+4940111",
                          "direction": "in"}
                for body in ({"event": "newCall", **fields}, {"event": "answer", **fields, "user": "nobody"},
                             {"event": "hangup", **fields, "cause": "normalClearing"}):
                    async with http.post(f"http://127.0.0.1:{port}/api/v1/cti/{TOKEN}", json=body) as resp:
                        await resp.read()
                        assert resp.status == 200
                    acknowledged.append((call_id, body["event"]))
                    if len(acknowledged) >= 600:
                        enough.set()

        async with aiohttp.ClientSession() as http:
            lines = [asyncio.create_task(line(http, n)) for n in range(8)]
            async with asyncio.timeout(50):
                await enough.wait()
            helpers = _descendants(proc.pid)
            proc.send_signal(signal.SIGKILL)  # posts are in flight: some batches are mid-way
            await proc.wait()
            answered = list(acknowledged)
            results = await asyncio.gather(*lines, return_exceptions=True)
    assert all(isinstance(r, aiohttp.ClientError) for r in results)  # every line was cut off by the kill
    async with asyncio.timeout(20):  # helper processes (if any) end with the server, however it ended
        while any(_running(pid) for pid in helpers):  # noqa: ASYNC110 - other processes' state, no event
            await asyncio.sleep(0.05)
    stored, legs = await _stored(crash_store_url)
    assert len(answered) >= 600
    assert set(answered) <= stored
    assert len(legs) == len(set(legs))
    assert {call_id for call_id, _ in answered} <= set(legs)
