"""Inbound messages handed from the process that parsed them to the one that stores them, by name.

A parsed mail batch is ~12 MB (raw bytes, text, attachments). Handed back from a parser process
and on to the store's writer process through pipes and sockets, it was pickled, copied and
unpickled four times, and the app process, which only forwards it, paid for half of that. A
:class:`PackedBatch` instead holds the pickled messages in one POSIX shared-memory segment that
the parser process fills once (:func:`pack`); only its name crosses the app, and whoever stores
the batch reads it once (:func:`unpack`): the writer process on a SQLite file, the event loop
elsewhere. The app owns the segment from the moment it gets the name and frees it
(:func:`free`) once the batch's store has ended, committed or not, so a group commit that is
retried item by item can read it again. If the app dies, multiprocessing's resource tracker
removes what is left.
"""

from __future__ import annotations

import contextlib
import dataclasses
import pickle
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.shared_memory import SharedMemory

from contact_center.inbox.records import InboundMessage, StoredMessage

__all__ = ["PackedBatch", "announced", "free", "pack", "unpack"]


@dataclass(frozen=True)
class PackedBatch:
    """*count* inbound messages pickled into the shared-memory segment *name* (*size* bytes)."""

    name: str
    size: int
    count: int


def pack(messages: Sequence[InboundMessage]) -> PackedBatch:
    """Pickle *messages* (at least one) into a new shared-memory segment; its owner must :func:`free` it."""
    data = pickle.dumps(list(messages), protocol=pickle.HIGHEST_PROTOCOL)
    shm = SharedMemory(create=True, size=len(data))
    try:
        _buffer(shm)[:len(data)] = data
        return PackedBatch(shm.name, len(data), len(messages))
    finally:
        shm.close()


def unpack(packed: PackedBatch) -> list[InboundMessage]:
    """The messages in *packed* (the segment stays, for a retry, until :func:`free`)."""
    shm = SharedMemory(name=packed.name)
    try:
        view = _buffer(shm)[:packed.size]
        try:
            messages: list[InboundMessage] = pickle.loads(view)
        finally:
            view.release()
        return messages
    finally:
        shm.close()


def _buffer(shm: SharedMemory) -> memoryview:
    buf = shm.buf
    assert buf is not None  # (open until close())
    return buf


def free(packed: PackedBatch) -> None:
    """Remove *packed*'s segment (no error when it is gone already)."""
    with contextlib.suppress(FileNotFoundError):
        shm = SharedMemory(name=packed.name)
        shm.close()
        shm.unlink()


def announced(m: InboundMessage, r: StoredMessage) -> InboundMessage:
    """*m* as the writer process hands it back for :meth:`InboxService.announce`: without raw bytes
    and attachment data, and without the bodies unless the message goes to an assigned agent's desk."""
    if not r.duplicate and r.assigned_user_id is not None and not r.new_conversation:
        return dataclasses.replace(m, raw=None, attachments=())
    return dataclasses.replace(m, raw=None, attachments=(), body_text="", body_html=None, meta={})
