"""One logged-in IMAP session on a selected folder, over TLS, STARTTLS or plain TCP.

aioimaplib 2.0.3 has no STARTTLS command, so :func:`open_session` sends it itself and upgrades
the transport with ``loop.start_tls`` before logging in. The session also notices when the
server drops the connection (``lost``), which aioimaplib alone only reports as a timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Awaitable, Callable
from typing import TypeVar

import aioimaplib

from connectors.email.config import MailboxConfig
from connectors.email.imap_protocol import Selected, parse_fetch, parse_search, parse_select, uid_set

T = TypeVar("T")


class ImapError(Exception):
    """The server refused a command or the connection failed; the caller reconnects."""


class ConnectionDropped(ImapError):
    """The server closed the connection (``BYE``, EOF, ``doveadm kick``)."""


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    """A verifying client context; *ca_file* replaces the system trust store when given."""
    return ssl.create_default_context(cafile=ca_file) if ca_file else ssl.create_default_context()


class ImapSession:
    """A selected folder; every method raises :class:`ImapError` on failure."""

    def __init__(self, client: aioimaplib.IMAP4, selected: Selected, lost: asyncio.Event) -> None:
        self.client = client
        self.selected = selected
        self.lost = lost

    async def guarded(self, awaitable: Awaitable[T]) -> T:
        """Await *awaitable* unless the connection drops first (aioimaplib would wait for ever).

        Raises:
            ConnectionDropped: the connection closed before the command finished.
        """
        task = asyncio.ensure_future(awaitable)
        lost = asyncio.ensure_future(self.lost.wait())
        try:
            await asyncio.wait({task, lost}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            lost.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
            raise ConnectionDropped("connection closed by the server")
        return task.result()

    async def search_after(self, last_uid: int) -> list[int]:
        """UIDs above *last_uid* (one round trip; ``n:*`` always names the newest, filtered here)."""
        response = await self.guarded(self.client.uid_search(f"UID {last_uid + 1}:*", charset=None))
        _check(response, "UID SEARCH")
        return [uid for uid in parse_search(response.lines) if uid > last_uid]

    async def fetch(self, uids: list[int]) -> list[tuple[int, bytes]]:
        """``(uid, raw bytes)`` of *uids* (at most 200 per call), without setting \\Seen."""
        response = await self.guarded(self.client.uid("fetch", uid_set(uids), "(UID BODY.PEEK[])"))
        _check(response, "UID FETCH")
        return parse_fetch(response.lines)

    async def close(self) -> None:
        """Log out politely, then drop the connection whatever happens."""
        with contextlib.suppress(Exception):
            # Mid-IDLE (shutdown, cancellation) LOGOUT would wait for IDLE to end: just hang up.
            if not self.lost.is_set() and not self.client.has_pending_idle():
                await asyncio.wait_for(self.client.logout(), 2)
        transport = self.client.protocol.transport
        if transport is not None:
            transport.close()


def _check(response: aioimaplib.Response, what: str) -> None:
    if response.result != "OK":
        detail = b" ".join(bytes(line) for line in response.lines[-1:]).decode(errors="replace")
        raise ImapError(f"{what} failed: {response.result} {detail}")


async def _starttls(client: aioimaplib.IMAP4, host: str, context: ssl.SSLContext) -> None:
    protocol = client.protocol
    if "STARTTLS" not in protocol.capabilities:
        raise ImapError("server does not offer STARTTLS")
    response = await protocol.execute(aioimaplib.Command("STARTTLS", protocol.new_tag(), loop=protocol.loop))
    _check(response, "STARTTLS")
    loop = asyncio.get_running_loop()
    protocol.transport = await loop.start_tls(protocol.transport, protocol, context, server_hostname=host)
    await protocol.capability()  # capabilities may change after TLS (RFC 3501 6.2.1)


async def open_session(box: MailboxConfig, on_step: Callable[[str], None] | None = None) -> ImapSession:
    """Connect, secure, log in and select *box*'s folder.

    *on_step* is told each stage as it begins (``connect``, ``starttls``, ``login``, ``select``),
    so a connection test can say exactly which one failed.

    Raises:
        ImapError: refused login or folder, or a server without UIDVALIDITY.
        OSError, asyncio.TimeoutError, aioimaplib.AioImapException: network failures.
    """
    step = on_step or (lambda _name: None)
    lost = asyncio.Event()
    step("connect")
    context = tls_context(box.ca_file) if box.security != "none" else None
    if box.security == "tls":
        client: aioimaplib.IMAP4 = aioimaplib.IMAP4_SSL(box.host, box.port, timeout=box.timeout_seconds,
                                                        ssl_context=context)
    else:
        client = aioimaplib.IMAP4(box.host, box.port, timeout=box.timeout_seconds)
    client.protocol.conn_lost_cb = lambda _exc: lost.set()
    try:
        await client.wait_hello_from_server()
        if box.security == "starttls":
            assert context is not None
            step("starttls")
            await asyncio.wait_for(_starttls(client, box.host, context), box.timeout_seconds)
        step("login")
        _check(await client.login(box.user, box.password.reveal()), "LOGIN")
        step("select")
        response = await client.select(box.folder)
        _check(response, f"SELECT {box.folder}")
        try:
            selected = parse_select(response.lines)
        except ValueError as exc:
            raise ImapError(str(exc)) from exc
    except BaseException:
        transport = client.protocol.transport
        if transport is not None:
            transport.close()
        raise
    return ImapSession(client, selected, lost)
