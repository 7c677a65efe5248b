"""A real ``contact-center serve`` SIGKILLed while PBX posts are in flight loses no acknowledged event."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import sys
import uuid
from pathlib import Path

import aiohttp

CLI = Path(sys.executable).with_name("contact-center")
TOKEN = "crash-test-token-0123456789"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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


async def _started(proc: asyncio.subprocess.Process) -> None:
    assert proc.stdout is not None
    async with asyncio.timeout(45):
        while b"listening on" not in (line := await proc.stdout.readline()):
            assert line, "the server exited before it listened"


async def test_sigkill_mid_batch_loses_no_acknowledged_event(tmp_path: Path) -> None:
    """Eight PBX lines post until the server is killed; every event answered 200 is in cti_event afterwards."""
    port = _free_port()
    config = tmp_path / "cc.toml"
    config.write_text(f'[server]\nplugins = ["telephony"]\nlog_level = "WARNING"\n\n'
                      f'[[pbx]]\nname = "main"\ntoken = "{TOKEN}"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CC_")}
    env.update(CC_CONFIG=str(config), CC_DATA_DIR=str(tmp_path), CC_PORT=str(port),
               CC_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'cc.db'}")
    with (tmp_path / "serve.log").open("wb") as log:
        proc = await asyncio.create_subprocess_exec(str(CLI), "serve", env=env, stdout=asyncio.subprocess.PIPE,
                                                    stderr=log)
        try:
            await _started(proc)
            acknowledged: list[tuple[str, str]] = []
            enough = asyncio.Event()

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
                helpers = _descendants(proc.pid)  # the forkserver and the CTI writer process
                proc.send_signal(signal.SIGKILL)  # posts are in flight: some batches are mid-way
                await proc.wait()
                answered = list(acknowledged)
                results = await asyncio.gather(*lines, return_exceptions=True)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    assert all(isinstance(r, aiohttp.ClientError) for r in results)  # every line was cut off by the kill
    assert helpers, "the server runs its CTI writer in a process of its own"
    async with asyncio.timeout(20):  # they end with the server, however it ended
        while any(_running(pid) for pid in helpers):  # noqa: ASYNC110 - other processes' state, no event
            await asyncio.sleep(0.05)
    with sqlite3.connect(tmp_path / "cc.db") as db:
        stored = set(db.execute("SELECT call_id, event FROM cti_event").fetchall())
    db.close()
    assert len(answered) >= 600
    assert set(answered) <= stored
