"""The websocket hub: every open agent/supervisor socket, each with a bounded queue and sender.

Fan-out never waits on the slowest reader: :meth:`Hub.send_to_user` and
:meth:`Hub.send_to_supervisors` serialise a frame once (orjson, straight to the UTF-8 bytes of
a TEXT frame: about a tenth of ``json.dumps`` plus ``str.encode`` on a screen pop) and put it
on each target socket's own bounded queue, from which that socket's sender task writes. A
socket whose queue is full (its browser stopped reading) is closed and dropped, never waited
for.

Writes go through aiohttp's public API only (``WebSocketResponse.send_frame``, awaited by the
socket's sender task); the transport is kept only to cut off a peer that reads nothing at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from contact_center.auth.roles import Principal
from contact_center.ports import encode_frame

log = logging.getLogger(__name__)

DEFAULT_QUEUE_SIZE = 256
SESSION_ENDED = 4401  # close code: the login session ended (logout, expiry, deactivation); log in again
_SEND_TIMEOUT = 10.0
FrameView = Callable[[Principal, Mapping[str, Any]], Mapping[str, Any]]  # a frame as one user may see it


__all__ = ["DEFAULT_QUEUE_SIZE", "SESSION_ENDED", "Connection", "Hub", "encode_frame"]


class Connection:
    """One open websocket: its user, its bounded send queue and its sender task."""

    def __init__(self, ws: web.WebSocketResponse, principal: Principal, *, supervisor: bool, queue_size: int,
                 transport: asyncio.Transport | None = None, session: str | None = None) -> None:
        self.ws = ws
        self.session = session  # the login session it was opened with (closed when that ends)
        self.transport = transport
        self.principal = principal
        self.supervisor = supervisor
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(queue_size)
        self.sender: asyncio.Task[None] | None = None
        self.dropped = False

    def offer(self, text: bytes) -> bool:
        """Queue encoded *text* for the sender; False when the queue is full (the reader is too slow)."""
        try:
            self.queue.put_nowait(text)
        except asyncio.QueueFull:
            return False
        return True

    async def run_sender(self) -> None:
        """Write queued frames one by one through aiohttp's public ``send_frame`` (a TEXT frame of the
        already encoded UTF-8 bytes), each within the send timeout."""
        while True:
            text = await self.queue.get()
            async with asyncio.timeout(_SEND_TIMEOUT):
                await self.ws.send_frame(text, WSMsgType.TEXT)


class Hub:
    """Open sockets by user; delivers frames without ever blocking on a socket.

    It is this instance's :class:`contact_center.ports.LocalDelivery`: :meth:`deliver` takes a
    frame straight from its producer (no bus hop), and ``UserNotified`` events carrying this
    hub's :attr:`instance` as their origin are skipped (:meth:`on_user_notified`).
    """

    def __init__(self, *, queue_size: int = DEFAULT_QUEUE_SIZE) -> None:
        self.instance = uuid.uuid4().hex
        self._queue_size = queue_size
        self._by_user: dict[int, set[Connection]] = {}
        self._supervisors: set[Connection] = set()
        self.dropped_total = 0

    def attach(self, ws: web.WebSocketResponse, principal: Principal, *, supervisor: bool = False,
               transport: asyncio.Transport | None = None, session: str | None = None) -> Connection:
        """Register an open socket and start its sender; returns the connection.

        *transport* (the request's) lets a peer that reads nothing at all be cut off; *session*
        (the login session's id) lets :meth:`end_sessions` close it when the session ends.
        """
        conn = Connection(ws, principal, supervisor=supervisor, queue_size=self._queue_size, transport=transport,
                          session=session)
        conn.sender = asyncio.create_task(self._send_loop(conn), name=f"ws-sender-{principal.username}")
        if supervisor:
            self._supervisors.add(conn)
        else:
            self._by_user.setdefault(principal.id, set()).add(conn)
        return conn

    async def detach(self, conn: Connection) -> None:
        """Forget a socket and stop its sender."""
        self._forget(conn)
        if conn.sender is not None and conn.sender is not asyncio.current_task():
            conn.sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await conn.sender

    def _forget(self, conn: Connection) -> None:
        if conn.supervisor:
            self._supervisors.discard(conn)
            return
        conns = self._by_user.get(conn.principal.id)
        if conns is not None:
            conns.discard(conn)
            if not conns:
                del self._by_user[conn.principal.id]

    def sockets_of(self, user_id: int) -> int:
        """How many agent sockets *user_id* has open on this instance."""
        return len(self._by_user.get(user_id, ()))

    def queued(self, user_id: int) -> int:
        """Frames waiting for their sender in *user_id*'s sockets on this instance."""
        return sum(conn.queue.qsize() for conn in self._by_user.get(user_id, ()))

    @property
    def connected_users(self) -> tuple[int, ...]:
        return tuple(self._by_user)

    def send_to_user(self, user_id: int, frame: Mapping[str, Any]) -> int:
        """Queue *frame* for every socket of *user_id* here; returns how many got it."""
        return self.deliver(user_id, frame)

    def deliver(self, user_id: int, frame: Mapping[str, Any], encoded: bytes | None = None) -> int:
        """Queue *frame* (already *encoded*, if given) for every socket of *user_id* here; how many got it."""
        conns = self._by_user.get(user_id)
        return self._fan_out(list(conns), frame, encoded) if conns else 0

    def on_user_notified(self, user_id: int, frame: Mapping[str, Any], origin: str | None) -> int:
        """A ``UserNotified`` from the bus: delivered here unless this instance already did (its origin)."""
        return 0 if origin == self.instance else self.deliver(user_id, frame)

    def send_to_supervisors(self, frame: Mapping[str, Any], view: FrameView | None = None) -> int:
        """Queue *frame* for every supervisor socket here; returns how many got it.

        *view* cuts the frame to what each socket's user may see; it is called (and the result
        encoded) once per distinct role and department set, not once per socket.
        """
        if not self._supervisors:
            return 0
        if view is None:
            return self._fan_out(list(self._supervisors), frame)
        groups: dict[tuple[str, tuple[str, ...]], list[Connection]] = {}
        for conn in self._supervisors:
            groups.setdefault((conn.principal.role, conn.principal.departments), []).append(conn)
        return sum(self._fan_out(conns, view(conns[0].principal, frame)) for conns in groups.values())

    def send(self, conn: Connection, frame: Mapping[str, Any]) -> bool:
        """Queue *frame* for one socket (a reply to its own command)."""
        return self._fan_out([conn], frame) == 1

    def _fan_out(self, conns: list[Connection], frame: Mapping[str, Any], encoded: bytes | None = None) -> int:
        text = encoded if encoded is not None else encode_frame(frame)
        sent = 0
        for conn in conns:
            if conn.offer(text):
                sent += 1
            else:
                self._drop(conn, "send queue full")
        return sent

    def _drop(self, conn: Connection, reason: str, *, code: int = WSCloseCode.POLICY_VIOLATION,
              message: bytes = b"too slow") -> None:
        if conn.dropped:
            return
        conn.dropped = True
        self.dropped_total += 1
        log.warning("dropping websocket of %s: %s", conn.principal.username, reason)
        self._forget(conn)
        if conn.sender is not None:
            conn.sender.cancel()
        asyncio.get_running_loop().create_task(self._close(conn, code, message))

    async def _close(self, conn: Connection, code: int, message: bytes) -> None:
        with contextlib.suppress(Exception):
            async with asyncio.timeout(2):
                await conn.ws.close(code=code, message=message)
        if conn.transport is not None and not conn.transport.is_closing():  # a peer that reads nothing at all
            conn.transport.abort()  # type: ignore[attr-defined]

    async def _send_loop(self, conn: Connection) -> None:
        try:
            await conn.run_sender()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the socket broke or a send timed out: drop it
            self._drop(conn, type(exc).__name__)

    def end_sessions(self, user_id: int, session: str | None) -> int:
        """Close *user_id*'s sockets opened with login session *session* (``None``: all of them) at once,
        with close code 4401; returns how many. Nothing more is sent to them."""
        conns = [c for c in (*self._by_user.get(user_id, ()), *self._supervisors)
                 if c.principal.id == user_id and (session is None or c.session == session)]
        for conn in conns:
            self._drop(conn, "session ended", code=SESSION_ENDED, message=b"session ended")
        return len(conns)

    async def close(self) -> None:
        """Close every socket (shutdown)."""
        conns = [c for cs in self._by_user.values() for c in cs] + list(self._supervisors)
        for conn in conns:
            await self.detach(conn)
            with contextlib.suppress(Exception):
                await conn.ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")
