"""The PBX load generators of the hook-ingest benchmark (``bench/screenpop.py``): aiohttp, and a lean one.

Each PBX line is one keep-alive HTTP/1.1 connection that posts a JSON event and waits for the
reply before the next one, as a PBX's event hook does. Requests are written as bytes over a bare
asyncio protocol and replies are read by their ``Content-Length``, so a request costs the client
some 45-48 µs of CPU (measured from ``/proc``) instead of the ~140 µs of an aiohttp
``ClientSession``. On a 2-vCPU machine the client shares the CPUs with the server it measures; a
cheaper client leaves more of them to the server, for the bare baseline and the product alike
(both are driven by this same client).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from urllib.parse import urlsplit

import aiohttp


class HttpLine(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection: :meth:`post` sends a request and returns (status, body)."""

    def __init__(self, host: str, port: int) -> None:
        self._head = f"Host: {host}:{port}\r\nContent-Type: application/json\r\n".encode()
        self._transport: asyncio.Transport | None = None
        self._buf = bytearray()
        self._reply: asyncio.Future[tuple[int, bytes]] | None = None
        self._closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    @classmethod
    async def open(cls, url: str) -> HttpLine:
        parts = urlsplit(url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        _, line = await asyncio.get_running_loop().create_connection(lambda: cls(host, port), host, port)
        return line

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        if self._reply is not None and not self._reply.done():
            self._reply.set_exception(ConnectionError(f"server closed the connection: {exc}"))
        if not self._closed.done():
            self._closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        self._buf += data
        end = self._buf.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self._buf[:end]).split(b"\r\n")
        length = None
        for field in head[1:]:
            name, _, value = field.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length is None:
            raise RuntimeError(f"reply without Content-Length: {head[0]!r}")
        if len(self._buf) < end + 4 + length:
            return
        body = bytes(self._buf[end + 4:end + 4 + length])
        del self._buf[:end + 4 + length]
        if self._reply is not None and not self._reply.done():
            self._reply.set_result((int(head[0].split()[1]), body))

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        assert self._transport is not None
        self._reply = asyncio.get_running_loop().create_future()
        self._transport.write(b"POST %s HTTP/1.1\r\n%sContent-Length: %d\r\n\r\n%s"
                              % (path.encode(), self._head, len(body), body))
        return await self._reply

    async def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            await self._closed


def triplets(numbers: list[str], w: int, per_worker: int, agent: str) -> Iterator[dict[str, str]]:
    """PBX line *w*'s posts: a newCall, answer and hangup for each of its *per_worker* calls."""
    for i in range(per_worker):
        fields = {"callId": uuid.uuid4().hex, "from": numbers[(w * per_worker + i) % len(numbers)],
                  "to": "+4930123450", "direction": "in"}
        yield {"event": "newCall", **fields}
        yield {"event": "answer", **fields, "answeringNumber": agent}
        yield {"event": "hangup", **fields, "cause": "normalClearing"}


Post = Callable[[int, dict[str, str]], Awaitable[tuple[int, bytes]]]


@contextlib.asynccontextmanager
async def _poster(url: str, workers: int, client: str) -> AsyncIterator[Post]:
    """``post(line, body) -> (status, reply)`` over *workers* PBX lines of *client*'s kind."""
    if client == "lean":
        path = urlsplit(url).path
        lines = [await HttpLine.open(url) for _ in range(workers)]
        try:
            yield lambda w, body: lines[w].post(path, json.dumps(body).encode())
        finally:
            for line in lines:
                await line.close()
        return
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=workers)) as http:

        async def post(_w: int, body: dict[str, str]) -> tuple[int, bytes]:
            async with http.post(url, json=body) as resp:
                return resp.status, await resp.read()

        yield post


async def ingest_rate(url: str, numbers: list[str], *, events: int, workers: int, agent: str,
                      client: str) -> float:
    """Events per second posting newCall/answer/hangup triplets from *workers* concurrent PBX lines.

    ``client="lean"``: each line an :class:`HttpLine`; ``client="aiohttp"``: an aiohttp
    ``ClientSession`` with a connection per line (~3x the client CPU per request).
    """
    per_worker = events // workers // 3
    async with _poster(url, workers, client) as post:

        async def line(w: int) -> None:
            for body in triplets(numbers, w, per_worker, agent):
                status, reply = await post(w, body)
                if status != 200:
                    raise RuntimeError(f"{body['event']} -> {status} {reply[:200]!r}")

        started = time.perf_counter()
        await asyncio.gather(*(line(w) for w in range(workers)))
        return per_worker * workers * 3 / (time.perf_counter() - started)
