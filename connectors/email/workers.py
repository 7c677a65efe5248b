"""Ingest worker processes: each parses a fetched batch, keeps it, and later stores it itself.

For a store in a SQLite file the email connector runs two (or ``parse_workers``) one-process
pools and hands them batches in turn. A worker parses batch *n* into the inbox's messages
(:func:`parse_and_keep`) and keeps them in its own memory; when the loop has seen batch *n-1*
committed it asks the same worker to store batch *n* with its IMAP checkpoint in one
transaction (:func:`store_kept`). The parsed batch (~12 MB of raw bytes, text and
attachments) thus never leaves the process that built it: the earlier set-up, a parser process
and a writer process, pickled every batch into shared memory and unpickled it again, about a
fifth of the CPU the whole ingest spent per message. Parsing of one batch and storing of the
previous one still run at the same time, in the two workers, beside the event loop's fetching.

During a bulk catch-up a worker also fetches its batches itself (:func:`fetch_and_keep`), over
an IMAP session of its own (``SELECT``, then ``BODY.PEEK`` as the app's session: no flag
changes) that it keeps until the mailbox has caught up (:func:`close_session`): the app's
session only searches and idles, the aioimaplib fetch of the mailbox runs in both workers at
once, and the fetched bytes never cross a process boundary. The worker's session must see the
app session's UIDVALIDITY, or it fetches nothing; a failed session raises
:class:`WorkerFetchFailed`, and the app's session reconnects and reads on from the checkpoint.

The kept batches live in :data:`_KEPT`, which only a worker process fills (the app process
never calls these functions); a batch that will not be stored is dropped with :func:`forget`,
and a worker that dies takes its batches with it (they are fetched again, and dedupe keeps
every message once).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from connectors.email.config import MailboxConfig
from connectors.email.imap_session import ImapError, ImapSession, open_session
from connectors.email.inbound import to_inbound
from connectors.email.mime import ParseOptions, parse_many
from contact_center.inbox.records import Checkpoint, InboundMessage, StoredMessage
from contact_center.inbox.writer_process import write_batch

#: Parsed batches waiting to be stored, by key: this worker process's own (see the module docstring).
_KEPT: dict[str, list[InboundMessage]] = {}
#: This worker's IMAP sessions by mailbox name, and the event loop they live on (made on first use;
#: it runs only while a call of this module runs).
_SESSIONS: dict[str, ImapSession] = {}
_LOOP: list[asyncio.AbstractEventLoop] = []


class WorkerFetchFailed(ImapError):
    """A worker's own IMAP session failed (refused, dropped, another UIDVALIDITY): nothing of the
    range is kept, and the app's session reconnects and reads on from the checkpoint."""


def inbound_batch(
    raws: list[bytes], uids: list[int], *, mailbox: str, department: str | None, validity: int,
    options: ParseOptions,
) -> list[InboundMessage]:
    """Parse *raws* (fetched with *uids*) into the inbox's messages. Pure."""
    return [to_inbound(p, raw, mailbox=mailbox, department=department, imap={"uidvalidity": validity, "uid": uid},
                       subject_window_seconds=options.subject_window_seconds)
            for uid, p, raw in zip(uids, parse_many(raws, options), raws, strict=True)]


def parse_and_keep(
    key: str, raws: list[bytes], uids: list[int], *, mailbox: str, department: str | None, validity: int,
    options: ParseOptions,
) -> int:
    """:func:`inbound_batch`, kept under *key* until :func:`store_kept`; returns the batch's size
    in bytes (what the WAL checkpointer is told it wrote)."""
    batch = inbound_batch(raws, uids, mailbox=mailbox, department=department, validity=validity, options=options)
    _KEPT[key] = batch
    return sum(len(m.raw or b"") + len(m.body_text) + len(m.body_html or "") +
               sum(len(a.data) for a in m.attachments) for m in batch)


def fetch_and_keep(
    key: str, box: MailboxConfig, validity: int, uids: list[int], *, options: ParseOptions
) -> tuple[list[int], int]:
    """``UID FETCH`` *uids* of *box* over this worker's own session, then :func:`parse_and_keep`
    what came back; returns the UIDs fetched (expunged ones are missing) and the batch's size.

    Raises:
        WorkerFetchFailed: the session failed or sees another UIDVALIDITY than *validity*.
    """
    fetched = _run(_fetch(box, validity, uids), box.name)
    got = [uid for uid, _ in fetched]
    if not got:
        return got, 0
    size = parse_and_keep(key, [raw for _, raw in fetched], got, mailbox=box.name, department=box.department,
                          validity=validity, options=options)
    return got, size


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


def store_kept(
    url: str, key: str, checkpoint: Checkpoint
) -> tuple[list[InboundMessage], list[StoredMessage]]:
    """Store the batch kept under *key* (and *checkpoint*) on the SQLite store at *url*, then drop it;
    returns the messages as announced and one result per message."""
    return write_batch(url, _KEPT.pop(key), checkpoint)


def forget(key: str) -> None:
    """Drop the batch kept under *key* (it will not be stored: a stop or a failed session)."""
    _KEPT.pop(key, None)


def ready() -> bool:
    """A no-op a pool runs once so that its process starts and imports the parser and the store
    ahead of mail."""
    parse_many([])
    return True


def kept() -> int:
    """How many batches this worker keeps (tests check that nothing is left behind)."""
    return len(_KEPT)
