"""Storing inbound batches from a process of its own, for a store in a SQLite file.

The event loop that fetches mail and the SQLite writer used to share one interpreter lock:
each of a batch's statements hopped to the driver's thread and back, and every hop waited for
the loop's fetching and parsing. :func:`write_batch` runs the very same transaction
(:func:`~contact_center.inbox.ingest.store_batch`: dedupe, threading, customers, messages,
attachments and the IMAP checkpoint, all or nothing) with plain ``sqlite3`` in whichever
process calls it: the email connector calls it in its ingest workers, each storing the batches
it parsed itself, one batch at a time and in order. The answer is what the caller needs to
announce the messages on the bus.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from contact_center.inbox.ingest import store_batch
from contact_center.inbox.records import Checkpoint, InboundMessage, StoredMessage
from contact_center.store.session import make_sync_sqlite_engine


def for_announcement(m: InboundMessage, r: StoredMessage) -> InboundMessage:
    """*m* without what :meth:`InboxService.announce` does not read (raw bytes, attachment data,
    and the bodies unless the message goes to an assigned agent's desk)."""
    if not r.duplicate and r.assigned_user_id is not None and not r.new_conversation:
        return dataclasses.replace(m, raw=None, attachments=())
    return dataclasses.replace(m, raw=None, attachments=(), body_text="", body_html=None, meta={})


def write_batch(
    url: str, batch: Sequence[InboundMessage], checkpoint: Checkpoint | None
) -> tuple[list[InboundMessage], list[StoredMessage]]:
    """Store *batch* (with *checkpoint*) in one transaction on the SQLite store at *url*;
    returns the messages as announced and one result per message.

    The commit skips SQLite's automatic WAL checkpoint; the caller's
    :class:`~contact_center.store.wal.WalCheckpointer` runs it.
    """
    engine = _engine(url)
    try:
        results = _transaction(engine, batch, checkpoint)
    except IntegrityError:  # another instance stored some of them meanwhile: they are duplicates now
        results = _transaction(engine, batch, checkpoint)
    return [for_announcement(m, r) for m, r in zip(batch, results, strict=True)], results


@functools.lru_cache(maxsize=4)
def _engine(url: str) -> Engine:
    """The calling process's engine for *url*, kept for the process's life: one open connection
    (closing the last connection to a SQLite file checkpoints its WAL, inside the batch) and
    SQLAlchemy's compiled statements, instead of both anew for every batch."""
    return make_sync_sqlite_engine(url, pool_size=1, max_overflow=0)


def _transaction(engine: Engine, batch: Sequence[InboundMessage], checkpoint: Checkpoint | None) -> list[StoredMessage]:
    with Session(engine) as s, s.begin():
        s.connection().exec_driver_sql("PRAGMA wal_autocheckpoint=0")
        return store_batch(s, batch, checkpoint)
