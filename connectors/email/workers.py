"""Email worker processes: they fetch and parse batches; they never write the store.

The email connector runs ``parse_workers`` one-process pools (on every store) and hands them
batches in turn. A worker parses a fetched batch into the inbox's messages (:func:`inbound_batch`)
and packs them into shared memory (:func:`parse_and_pack`, :mod:`contact_center.inbox.packed`):
only the batch's name goes back to the app, which hands it to the core's ingest spine
(:meth:`~contact_center.inbox.service.InboxService.receive`), batch after batch, each with the
mailbox's IMAP checkpoint in the same transaction. Whoever stores the batch reads it once (on a
SQLite file the spine's writer process, else the event loop).

During a bulk catch-up a worker also fetches its batches itself (:func:`fetch_and_parse`), over an
IMAP session of its own (``SELECT``, then ``BODY.PEEK`` as the app's session: no flag changes)
that it keeps until the mailbox has caught up (:func:`close_session`): the app's session only
searches and idles, the aioimaplib fetch of the mailbox runs in the workers at once, and the
raw bytes are read and parsed beside the event loop. The worker's session must see the app
session's UIDVALIDITY, or it fetches nothing; a failed session raises :class:`WorkerFetchFailed`,
and the app's session reconnects and reads on from the checkpoint.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from connectors.email.config import MailboxConfig
from connectors.email.imap_session import ImapError, ImapSession, open_session
from connectors.email.inbound import to_inbound
from connectors.email.mime import ParseOptions, parse_many
from contact_center.inbox.packed import PackedBatch, pack
from contact_center.inbox.records import InboundMessage

#: This worker's IMAP sessions by mailbox name, and the event loop they live on (made on first use;
#: it runs only while a call of this module runs). Only a worker process fills them.
_SESSIONS: dict[str, ImapSession] = {}
_LOOP: list[asyncio.AbstractEventLoop] = []


class WorkerFetchFailed(ImapError):
    """A worker's own IMAP session failed (refused, dropped, another UIDVALIDITY): nothing of the
    range is stored, and the app's session reconnects and reads on from the checkpoint."""


def inbound_batch(
    raws: list[bytes], uids: list[int], *, mailbox: str, department: str | None, validity: int,
    options: ParseOptions,
) -> list[InboundMessage]:
    """Parse *raws* (fetched with *uids*) into the inbox's messages. Pure."""
    return [to_inbound(p, raw, mailbox=mailbox, department=department, imap={"uidvalidity": validity, "uid": uid},
                       subject_window_seconds=options.subject_window_seconds)
            for uid, p, raw in zip(uids, parse_many(raws, options), raws, strict=True)]


def parse_and_pack(
    raws: list[bytes], uids: list[int], *, mailbox: str, department: str | None, validity: int,
    options: ParseOptions,
) -> PackedBatch:
    """:func:`inbound_batch` (of at least one mail), packed into shared memory for the store."""
    return pack(inbound_batch(raws, uids, mailbox=mailbox, department=department, validity=validity,
                              options=options))


def fetch_and_parse(
    box: MailboxConfig, validity: int, uids: list[int], *, options: ParseOptions
) -> tuple[list[int], PackedBatch | None]:
    """``UID FETCH`` *uids* of *box* over this worker's own session, then :func:`parse_and_pack`
    what came back; returns the UIDs fetched (expunged ones are missing) and their packed
    messages (None when none came back).

    Raises:
        WorkerFetchFailed: the session failed or sees another UIDVALIDITY than *validity*.
    """
    fetched = _run(_fetch(box, validity, uids), box.name)
    got = [uid for uid, _ in fetched]
    if not got:
        return got, None
    return got, parse_and_pack([raw for _, raw in fetched], got, mailbox=box.name, department=box.department,
                               validity=validity, options=options)


async def _fetch(box: MailboxConfig, validity: int, uids: list[int]) -> list[tuple[int, bytes]]:
    session = _SESSIONS.get(box.name)
    if session is None or session.lost.is_set():
        session = _SESSIONS[box.name] = await open_session(box)
    if session.selected.uidvalidity != validity:
        raise ImapError(f"UIDVALIDITY is {session.selected.uidvalidity}, the app's session read {validity}")
    return await session.fetch(uids)


def _run(fetching: Coroutine[Any, Any, list[tuple[int, bytes]]], name: str) -> list[tuple[int, bytes]]:
    if not _LOOP:
        _LOOP.append(asyncio.new_event_loop())
    try:
        return _LOOP[0].run_until_complete(fetching)
    except Exception as exc:  # (aioimaplib's own errors hold unpicklable commands: name them only)
        close_session(name)
        raise WorkerFetchFailed(f"{type(exc).__name__}: {exc}") from None


def close_session(name: str) -> None:
    """Log out of this worker's session on mailbox *name*, if it has one (the mailbox caught up)."""
    session = _SESSIONS.pop(name, None)
    if session is not None:
        _LOOP[0].run_until_complete(session.close())


def ready() -> bool:
    """A no-op a pool runs once so that its process starts and imports the parser ahead of mail."""
    parse_many([])
    return True
