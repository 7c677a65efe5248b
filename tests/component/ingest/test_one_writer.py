"""On a SQLite file the spine has one writer process, and it stores calls and inbound messages alike."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from connectors.telephony.http import HOOK
from contact_center import keys
from contact_center.inbox import INBOX
from contact_center.inbox.records import InboundMessage
from contact_center.settings import PbxSettings, Secret, Settings
from contact_center.store.tables import Message
from tests.component.telephony.env import TOKEN


async def test_calls_and_chat_messages_go_through_the_same_writer_process(
    start_app: Callable, settings_factory: Callable[..., Settings],
) -> None:
    """The call writer uses the app's one writer process, and a chat message is stored by that same process."""
    app = await start_app(settings_factory(pbx=(PbxSettings(name="main", token=Secret(TOKEN)),)))
    process = app.app[keys.STORE_WRITER]
    assert process is not None
    assert app.app[HOOK].writer.process is process
    pid = process.pid
    assert pid is not None  # started with the call writer, before the first post
    stored = await app.app[INBOX].receive_one(InboundMessage(
        channel="chat", external_id="one-writer-1", identity=("chat", "visitor-1"), body_text="hello",
        conversation_ref="visit-1"))
    assert not stored.duplicate
    assert process.pid == pid  # no second writer was started
    async with app.db.session() as s:
        assert (await s.execute(select(Message.body_text).where(Message.id == stored.message_id))).scalar() == "hello"


async def test_postgresql_has_no_writer_process(start_app: Callable, settings_factory: Callable[..., Settings],
                                                postgres_migrated_url: str) -> None:
    """On PostgreSQL the spine writes from the event loop: no writer process exists."""
    app = await start_app(settings_factory(database_url=postgres_migrated_url,
                                           pbx=(PbxSettings(name="main", token=Secret(TOKEN)),)))
    assert app.app[keys.STORE_WRITER] is None
    assert app.app[HOOK].writer.process is None
