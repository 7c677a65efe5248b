"""Inbound batches stored by the spine's SQLite writer process store exactly the rows the plain
path stores (``run_sync`` in the event loop, what PostgreSQL runs): that path is the process's oracle."""

from __future__ import annotations

from collections.abc import AsyncIterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from connectors.email.mime import ParseOptions
from connectors.email.pipeline import inbound_batch
from contact_center.bus.memory import MemoryBus
from contact_center.inbox.packed import pack
from contact_center.inbox.records import Checkpoint
from contact_center.inbox.service import InboxService
from contact_center.ingest.writer_process import WriterProcess
from contact_center.store.migrate import upgrade
from contact_center.store.session import Database
from contact_center.store.tables import Department
from tests.integration.email.mails import mail

TABLES = ("customer", "identity", "conversation", "message", "attachment", "mailbox_checkpoint")
VARYING = {"created_at", "updated_at", "external_ref"}  # the clock and random subject tokens


def _with_files(n: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Zoë Ünal <zoe{n}@example.org>"
    msg["To"] = "support@example.test"
    msg["Subject"] = f"Invoice {n}"
    msg["Message-ID"] = f"<rows-files-{n}@example.org>"
    msg.set_content("Καλησπέρα, see the files.", charset="iso-8859-7")
    msg.add_alternative("<p>Hi <img src='cid:logo@x'></p><script>x()</script>", subtype="html")
    msg.add_attachment(bytes(range(256)) * 40, maintype="application", subtype="pdf", filename="invoice.pdf")
    msg.add_attachment(b"\x89PNG....", maintype="image", subtype="png", cid="<logo@x>", disposition="inline")
    return msg.as_bytes()


def _batches() -> list[tuple[list[bytes], list[int]]]:
    first = [_with_files(1), mail("Hello", "one", msgid="<rows-1@example.org>"),
             mail("Again", "two", msgid="<rows-2@example.org>"), b"not a mail at all\xff\r\n"]
    second = [mail("Re: Hello", "reply", msgid="<rows-3@example.org>", headers={"In-Reply-To": "<rows-1@example.org>"}),
              mail("Hello", "one", msgid="<rows-1@example.org>"), _with_files(2)]
    return [(first, [1, 2, 3, 4]), (second, [5, 6, 7])]


async def _dump(db: Database) -> dict[str, list[dict[str, Any]]]:
    out = {}
    async with db.session() as s:
        for table in TABLES:
            rows = (await s.execute(text(f'SELECT * FROM "{table}" ORDER BY 1'))).mappings().all()
            out[table] = [{k: v for k, v in r.items() if k not in VARYING} for r in rows]
    return out


@pytest.fixture
async def stores(tmp_path: Path) -> AsyncIterator[tuple[Database, Database]]:
    """Two migrated SQLite stores in files, each with the department the mailbox feeds."""
    dbs = []
    for name in ("core", "raw"):
        db = Database(f"sqlite+aiosqlite:///{tmp_path / name}.db")
        await upgrade(db)
        async with db.session() as s:
            s.add(Department(slug="service", name="Service"))
        dbs.append(db)
    yield dbs[0], dbs[1]
    for db in dbs:
        await db.close()


async def test_writer_process_rows_read_back_like_the_loop_path(stores: tuple[Database, Database]) -> None:
    """Customers, identities, conversations, messages (meta, raw), attachments and the checkpoint
    stored through the writer process equal, column by column, what the event loop's path stores,
    and both answer the same results, for messages handed over as they are and packed in shared memory."""
    core, raw = stores
    inbox = InboxService(db=core, bus=MemoryBus())
    process = WriterProcess(raw.url)
    via_process = InboxService(db=raw, bus=MemoryBus(), process=process)
    kwargs = {"mailbox": "support", "department": "service", "validity": 9,
              "options": ParseOptions(max_attachment_bytes=5_000)}
    for n, (raws, uids) in enumerate(_batches()):
        batch = inbound_batch(raws, uids, **kwargs)
        checkpoint = Checkpoint("support", 9, uids[-1])
        # The first batch as a chat message arrives (the messages themselves), the second packed as
        # the email workers hand it over (read from shared memory by the process, or by the loop).
        via_core = await inbox.receive(pack(batch) if n else batch, checkpoint=checkpoint)
        via_raw = await via_process.receive(pack(batch) if n else batch, checkpoint=checkpoint)
        assert via_raw == via_core
    assert process.pid is not None  # the batches did go through the process
    for service in (inbox, via_process):
        await service.close()
    await process.close()
    core_rows, raw_rows = await _dump(core), await _dump(raw)
    assert [len(core_rows[t]) for t in TABLES] == [3, 3, 5, 6, 2, 1]  # the PDFs are over the limit
    assert raw_rows == core_rows
