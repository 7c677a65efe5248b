"""A direct socket write that has to wait is finished, in order, before the sender's next frame.

The websocket here is a hand-written stand-in whose ``send_frame`` waits before it writes, which
aiohttp's never does for an uncompressed frame on an idle transport (the component tests in
tests/component/agent_ui use real sockets); it pins what happens if that ever changes.
"""

from __future__ import annotations

import asyncio
from typing import Any

from agent_ui.hub import Connection
from contact_center.auth.roles import Principal


class _WaitingSocket:
    """A websocket whose every send waits a loop turn before it writes."""

    closed = False
    compress = False

    def __init__(self) -> None:
        self.sent: list[bytes] = []

    async def send_frame(self, data: bytes, opcode: Any) -> None:
        await asyncio.sleep(0)
        self.sent.append(data)


class _IdleTransport:
    def is_closing(self) -> bool:
        return False

    def get_write_buffer_size(self) -> int:
        return 0


async def test_a_direct_write_that_waits_is_finished_before_the_next_frame() -> None:
    """Frames offered while a direct write waits are queued and written after it, in order."""
    ws = _WaitingSocket()
    principal = Principal(id=1, username="ann", display_name="Ann", role="agent", extension="201",
                          departments=("sales",))
    conn = Connection(ws, principal, supervisor=False, queue_size=8, transport=_IdleTransport())  # type: ignore[arg-type]
    conn.sender = asyncio.create_task(conn.run_sender())
    assert conn.offer(b"1")
    assert conn.unfinished is not None  # it had to wait: a task finishes it
    assert conn.offer(b"2")
    assert conn.offer(b"3")
    assert conn.queue.qsize() == 2  # not written past the unfinished one
    async with asyncio.timeout(5):
        while len(ws.sent) < 3:  # noqa: ASYNC110 - the stand-in socket announces nothing
            await asyncio.sleep(0)
    assert ws.sent == [b"1", b"2", b"3"]
    conn.sender.cancel()
