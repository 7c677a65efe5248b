"""Where a fetched batch is parsed and stored: in the event loop, or in parser and writer processes.

Three set-ups, by configuration (``parse_workers``, ``writer_process``) and store:

* no parser process: parse and store in the loop (tests, tiny deployments);
* a parser process: it parses and builds the inbox's messages, the loop stores them
  (:meth:`InboxService.receive`; PostgreSQL, whose writes leave this machine's CPU anyway);
* a parser process and a writer process (a SQLite store): the parser leaves the batch pickled
  in shared memory, the loop passes its name on to the writer process, which stores the batch
  and the checkpoint in one transaction (:func:`contact_center.inbox.writer_process.write_batch`); the loop
  announces the stored messages. The loop itself then only speaks IMAP and publishes events, and
  the three stages of consecutive batches run on different cores.

Every set-up stores the same rows in the same single transaction per batch, in batch order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pickle
import secrets
from concurrent.futures import Executor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing.shared_memory import SharedMemory
from pathlib import Path
from typing import Any

from connectors.email.config import EmailConfig, MailboxConfig
from connectors.email.inbound import to_inbound
from connectors.email.lifeline import alive
from connectors.email.mime import parse_many
from contact_center.inbox.records import Checkpoint, InboundMessage, StoredMessage
from contact_center.inbox.service import InboxService
from contact_center.inbox.writer_process import write_batch

log = logging.getLogger(__name__)

#: Where Linux keeps POSIX shared memory segments (as files on a tmpfs).
SHM_DIR = Path("/dev/shm")
#: Segment names: ``cc-email-<app pid>-<random>``.
SEGMENT_PREFIX = "cc-email-"


def inbound_batch(
    raws: list[bytes], uids: list[int], *, mailbox: str, department: str | None, validity: int, limit: int
) -> list[InboundMessage]:
    """Parse *raws* (fetched with *uids*) into the inbox's messages. Pure."""
    return [to_inbound(p, raw, mailbox=mailbox, department=department, imap={"uidvalidity": validity, "uid": uid})
            for uid, p, raw in zip(uids, parse_many(raws, limit), raws, strict=True)]


@dataclass(frozen=True)
class SharedBatch:
    """A pickled batch left in shared memory by the parser process for the writer process.

    A batch is ~12 MB (raw bytes, text, attachments); through the pools' pipes it cost ~40 ms of
    copying and context switches per hop, twice (parser -> loop -> writer). Now only the name
    travels; the segment is unlinked by the writer once read, by :func:`discard` for a batch that
    will not be stored, or by the resource tracker when the app died.
    """

    name: str
    size: int

    def unlink(self) -> None:
        """Remove the segment (no error when the writer already did)."""
        with contextlib.suppress(FileNotFoundError):
            shm = SharedMemory(name=self.name)
            shm.close()
            shm.unlink()


def shared_inbound_batch(
    raws: list[bytes], uids: list[int], *, mailbox: str, department: str | None, validity: int, limit: int,
    owner: int,
) -> SharedBatch | list[InboundMessage]:
    """:func:`inbound_batch`, pickled into a new shared-memory segment for the writer process
    (named after the *owner* app's pid, see :func:`remove_orphaned_segments`).

    When shared memory refuses the batch (a full ``/dev/shm``: a container's is 64 MB by
    default, and a batch with large attachments can be bigger), the parsed batch itself is
    returned; :meth:`BatchPipeline.store` then stores it in the event loop. Slower, never lost.
    """
    batch = inbound_batch(raws, uids, mailbox=mailbox, department=department, validity=validity, limit=limit)
    data = pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL)
    shared = SharedBatch(f"{SEGMENT_PREFIX}{owner}-{secrets.token_hex(8)}", len(data))
    try:
        SharedMemory(shared.name, create=True, size=len(data)).close()
        # Written and read as a file, not through the mapping: one copy in the kernel instead of
        # a page fault per fresh 4 KB page (measured 2.4x cheaper for a 12 MB batch).
        with _segment_file(shared.name).open("r+b") as file:
            file.write(data)
    except OSError as exc:
        shared.unlink()
        log.warning("email: shared memory refused a %d-byte batch (%s); storing it from the event loop",
                    len(data), exc)
        return batch
    return shared


def _segment_file(name: str) -> Path:
    return SHM_DIR / name.lstrip("/")


def remove_orphaned_segments() -> int:
    """Remove batches left in shared memory by apps that are gone (their pid is in the name);
    returns how many. The resource tracker normally does this; this also covers its misses."""
    removed = 0
    for path in SHM_DIR.glob(f"{SEGMENT_PREFIX}*"):
        owner = path.name[len(SEGMENT_PREFIX):].split("-", 1)[0]
        if owner.isdigit() and not alive(int(owner)):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed += 1
    return removed


def write_shared_batch(
    url: str, shared: SharedBatch, checkpoint: Checkpoint
) -> tuple[list[InboundMessage], list[StoredMessage]]:
    """In the writer process: :func:`write_batch` of the batch in *shared*, then remove the segment."""
    try:
        with _segment_file(shared.name).open("rb") as file:
            payload = file.read(shared.size)
    finally:
        shared.unlink()  # (no error when the loop gave up on this batch and removed it meanwhile)
    return write_batch(url, payload, checkpoint)


class BatchPipeline:
    """Prepares (parses) and stores fetched batches for every mailbox of one instance."""

    def __init__(
        self,
        *,
        inbox: InboxService,
        config: EmailConfig,
        parser: Executor | None = None,
        writer: Executor | None = None,
        db_url: str | None = None,
    ) -> None:
        if writer is not None and (parser is None or db_url is None):
            raise ValueError("a writer process needs a parser process and the store's URL")
        self._inbox = inbox
        self._limit = config.max_attachment_bytes
        self._parser = parser
        self._writer = writer
        self._db_url = db_url

    def prepare(
        self, mailbox: MailboxConfig, uids: list[int], raws: list[bytes], validity: int
    ) -> asyncio.Future[Any]:
        """Start parsing a fetched batch; the future's result goes to :meth:`store`."""
        loop = asyncio.get_running_loop()
        args = (raws, uids)
        kwargs: dict[str, Any] = {"mailbox": mailbox.name, "department": mailbox.department, "validity": validity,
                  "limit": self._limit}
        if self._parser is None:
            future: asyncio.Future[Any] = loop.create_future()
            future.set_result(inbound_batch(*args, **kwargs))
            return future
        function: Any = inbound_batch
        if self._writer is not None:
            function, kwargs["owner"] = shared_inbound_batch, os.getpid()
        try:
            return asyncio.ensure_future(loop.run_in_executor(self._parser, _call, function, args, kwargs))
        except BrokenProcessPool:  # a pool whose process died refuses work at once
            self._in_loop_from_now_on("the parser process")
            return self.prepare(mailbox, uids, raws, validity)

    def _in_loop_from_now_on(self, which: str) -> None:
        """A worker process died (killed, out of memory): keep mail flowing, parsed and stored here."""
        log.error("email: %s died; parsing and storing in the event loop from now on", which)
        self._parser = self._writer = None

    def caught_up(self) -> None:
        """The mailbox has nothing more to store for now: let the WAL checkpoint catch up too."""
        wal = self._inbox.writer.wal
        if wal is not None:
            wal.flush()

    async def store(self, prepared: list[InboundMessage] | SharedBatch, checkpoint: Checkpoint) -> list[StoredMessage]:
        """Store a prepared batch with its *checkpoint* (one transaction), then announce what was new."""
        if not isinstance(prepared, SharedBatch):
            return await self._inbox.receive(prepared, checkpoint=checkpoint)
        assert self._writer is not None
        assert self._db_url is not None
        loop = asyncio.get_running_loop()
        try:
            announced, results = await loop.run_in_executor(self._writer, write_shared_batch, self._db_url,
                                                            prepared, checkpoint)
        except BrokenProcessPool:
            # The batch committed or not, with its checkpoint: the next session re-reads the
            # checkpoint and refetches, and dedupe keeps every message once.
            prepared.unlink()
            self._in_loop_from_now_on("the writer process")
            raise
        except BaseException:
            prepared.unlink()
            raise
        wal = self._inbox.writer.wal
        if wal is not None:
            wal.request(prepared.size)
        await self._inbox.announce(announced, results)
        return results


def discard(prepared: asyncio.Future[Any]) -> None:
    """Free what a prepared batch that will not be stored holds (its shared memory, if any)."""
    if not prepared.done():
        prepared.add_done_callback(discard)
    elif not prepared.cancelled() and prepared.exception() is None and isinstance(prepared.result(), SharedBatch):
        prepared.result().unlink()


def _call(function: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return function(*args, **kwargs)
