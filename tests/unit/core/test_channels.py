"""The channel registry: one description per channel, and every derived list agrees with it."""

from __future__ import annotations

import pytest

from contact_center import channels
from contact_center.channels import Announcement, Presentation, Reply
from contact_center.customers.identity import KINDS, contact_identity, normalise
from contact_center.inbox.records import InboundMessage
from contact_center.store.tables import CHANNELS as TABLE_CHANNELS
from contact_center.store.tables import Conversation, Message, Queue
from routing.config import CHANNELS as ROUTING_CHANNELS
from routing.config import load_config


@pytest.mark.parametrize(("name", "kinds", "capacity", "event", "reply", "presentation"), [
    ("call", ("phone",), 1, Announcement.CALL_RANG, Reply.NONE, Presentation.VOICE),
    ("email", ("email",), 5, Announcement.EMAIL_RECEIVED, Reply.SMTP, Presentation.MAIL),
    ("chat", ("chat",), 3, Announcement.MESSAGE_RECEIVED, Reply.CHAT_WEBSOCKET, Presentation.MESSAGING),
    ("api", ("phone", "messenger"), 3, Announcement.MESSAGE_RECEIVED, Reply.SIGNED_WEBHOOK, Presentation.MESSAGING),
    ("callback", ("phone",), 1, Announcement.TASK_QUEUED, Reply.NONE, Presentation.TASK),
])
def test_registry_entries(name: str, kinds: tuple[str, ...], capacity: int, event: Announcement, reply: Reply,
                          presentation: Presentation) -> None:
    """Each channel names its identity kinds, default capacity, announcing event, reply path and look."""
    c = channels.channel(name)
    assert (c.identity_kinds, c.default_capacity, c.event, c.reply, c.presentation) == (
        kinds, capacity, event, reply, presentation)
    assert c.can_reply is (reply is not Reply.NONE)


def test_derived_lists_come_from_the_registry() -> None:
    """The store, routing, identity kinds and default capacities list exactly the registered channels."""
    assert channels.NAMES == ("call", "email", "chat", "api", "callback")
    assert TABLE_CHANNELS == ROUTING_CHANNELS == channels.NAMES
    assert KINDS == channels.IDENTITY_KINDS == ("phone", "email", "chat", "messenger")
    assert channels.default_capacity() == {"call": 1, "email": 5, "chat": 3, "api": 3, "callback": 1}
    assert channels.announced_by(Announcement.MESSAGE_RECEIVED) == ("chat", "api")
    assert channels.replied_by(Reply.SIGNED_WEBHOOK) == ("api",)


@pytest.mark.parametrize(("name", "known"), [("call", True), ("api", True), ("fax", False), ("", False), (3, False)])
def test_is_channel(name: object, known: bool) -> None:
    """Only registered names are channels."""
    assert channels.is_channel(name) is known


def test_unknown_channel_names_the_known_ones() -> None:
    """Asking for an unknown channel fails with the list of known ones."""
    with pytest.raises(KeyError, match="call, email, chat, api, callback"):
        channels.channel("fax")


@pytest.mark.parametrize(("name", "pops"), [("call", False), ("email", True), ("chat", True), ("api", True),
                                             ("callback", True), ("fax", False)])
def test_pops_at_accept(name: str, pops: bool) -> None:
    """Written channels show the pop when the offer is accepted; calls when answered at the phone."""
    assert channels.pops_at_accept(name) is pops


@pytest.mark.parametrize(("channel", "address", "expected"), [
    ("call", "030 1234567", ("phone", "+49301234567")),
    ("call", "anonymous", None),
    ("email", "Ann <Ann@Example.org>", ("email", "ann@example.org")),
    ("chat", " v-123 ", ("chat", "v-123")),
    ("api", "+49 151 2345 6789", ("phone", "+4915123456789")),
    ("api", "telegram:12345678", ("messenger", "telegram:12345678")),
    ("api", None, None),
    ("fax", "+49301234567", None),
])
def test_contact_identity(channel: str, address: str | None, expected: tuple[str, str] | None) -> None:
    """A contact address names the first identity kind of its channel it normalises under."""
    assert contact_identity(channel, address, "DE") == expected


@pytest.mark.parametrize(("kind", "raw", "value"), [
    ("messenger", " telegram:42 ", "telegram:42"),
    ("chat", "", None),
])
def test_opaque_kinds(kind: str, raw: str, value: str | None) -> None:
    """Kinds other than phone and email are opaque ids, trimmed."""
    assert normalise(kind, raw, "DE") == value


def test_tables_refuse_unregistered_channels() -> None:
    """Conversation, message and queue rows only take registered channels."""
    for model in (Conversation, Message, Queue):
        assert model(channel="api").channel == "api"
        with pytest.raises(ValueError, match="not a registered channel"):
            model(channel="fax")


def test_inbound_messages_need_a_registered_channel() -> None:
    """A connector cannot hand the inbox a message on a channel nobody registered."""
    with pytest.raises(ValueError, match="unknown channel 'fax'"):
        InboundMessage(channel="fax", external_id="1", identity=None)


def test_routing_config_takes_new_channels() -> None:
    """Routing's configuration accepts a section for every registered channel and refuses others."""
    config = load_config({"channels": {"api": {"offer_timeout_seconds": 45}}})
    assert config.policy("sales.api", "api", None).offer_timeout == 45
    assert config.policy("sales.call", "call", None).wrap_up == 10.0
    with pytest.raises(Exception, match="unknown channel"):
        load_config({"channels": {"fax": {}}})
