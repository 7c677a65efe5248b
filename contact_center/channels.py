"""The channel registry: every channel the product speaks, described once.

Each :class:`Channel` says how a contact on it is recognised (its identity kinds, and what an
unknown or shared identity means: :class:`Identification`), how many of
its contacts an agent takes at once by default, which bus event announces a new inbound contact,
how agents' replies leave, and how the desk shows it. Every channel list elsewhere is derived
from :data:`CHANNELS`: the store's validation of ``channel`` columns, routing's configuration and
default capacities, identity kinds, the inbox's announcements, the screen pop, and (through
``GET /api/v1/channels``) the desk and the wallboard. Adding a channel is one entry here plus its
connector under ``connectors/``.

Pure: no I/O, nothing to await.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Reply(StrEnum):
    """How an agent's reply on a channel leaves."""

    NONE = "none"  # calls: notes only, the agent talks on the phone
    SMTP = "smtp"  # connectors/email: threaded mail over SMTP
    CHAT_WEBSOCKET = "chat_websocket"  # connectors/chat: the visitor's websocket
    SIGNED_WEBHOOK = "signed_webhook"  # connectors/api: an HMAC-signed POST to the bridge's URL


class Presentation(StrEnum):
    """How the desk shows a conversation of the channel."""

    VOICE = "voice"  # the screen pop leads; notes only
    MAIL = "mail"  # subjects, HTML in a sandboxed frame, threaded replies
    MESSAGING = "messaging"  # a live thread of short messages and a reply box
    TASK = "task"  # work for an agent (a callback): the customer panel, the task's actions, notes


class Announcement(StrEnum):
    """The bus event (:mod:`contact_center.events`) that announces a new inbound contact."""

    CALL_RANG = "CallRang"
    EMAIL_RECEIVED = "EmailReceived"
    MESSAGE_RECEIVED = "MessageReceived"
    TASK_QUEUED = "TaskQueued"


class Identification(StrEnum):
    """How a contact on the channel is tied to a customer (:func:`contact_center.customers.identity.who`)."""

    # Written channels: an unknown sender becomes a new customer (the message needs one); an identity
    # several customers share names the best-ranked of them.
    RECORD = "record"
    # Calls: an unknown caller stays unknown and a shared number names nobody; the agent links the
    # caller or picks from the ranked candidates on the screen pop.
    ASK = "ask"


@dataclass(frozen=True)
class Channel:
    """One channel and everything the rest of the product needs to know about it."""

    name: str
    label: str  # English name; the browser's catalogs hold it under ``channel.<name>``
    identity_kinds: tuple[str, ...]  # the first one a contact address normalises under names its customer
    default_capacity: int  # contacts at once per agent when the agent's profile does not say
    event: Announcement
    reply: Reply
    presentation: Presentation
    wrap_up_seconds: float = 0.0  # routing's built-in after-contact work time
    service_level_seconds: int = 60  # a new queue's default answer target
    offer_timeout_seconds: int = 30  # a new queue's default time to accept an offer
    identification: Identification = Identification.RECORD

    @property
    def identity_kind(self) -> str:
        """The main identity kind of the channel's contact addresses."""
        return self.identity_kinds[0]

    @property
    def can_reply(self) -> bool:
        return self.reply is not Reply.NONE

    def to_dict(self) -> dict[str, Any]:
        """The channel as ``GET /api/v1/channels`` serves it."""
        return {
            "name": self.name, "label": self.label, "identity_kinds": list(self.identity_kinds),
            "default_capacity": self.default_capacity, "event": self.event.value, "reply": self.reply.value,
            "presentation": self.presentation.value, "can_reply": self.can_reply,
        }


CHANNELS: tuple[Channel, ...] = (
    Channel("call", "Call", ("phone",), 1, Announcement.CALL_RANG, Reply.NONE, Presentation.VOICE,
            wrap_up_seconds=10.0, service_level_seconds=20, offer_timeout_seconds=20,
            identification=Identification.ASK),
    Channel("email", "Email", ("email",), 5, Announcement.EMAIL_RECEIVED, Reply.SMTP, Presentation.MAIL,
            service_level_seconds=4 * 3600, offer_timeout_seconds=120),
    Channel("chat", "Chat", ("chat",), 3, Announcement.MESSAGE_RECEIVED, Reply.CHAT_WEBSOCKET,
            Presentation.MESSAGING),
    # Messaging bridges (WhatsApp Business, Messenger, Telegram, Viber, SMS gateways): senders are
    # recognised by phone number (E.164) first, else by their messenger id ("<channel>:<user id>").
    Channel("api", "Messaging", ("phone", "messenger"), 3, Announcement.MESSAGE_RECEIVED, Reply.SIGNED_WEBHOOK,
            Presentation.MESSAGING),
    # Callbacks (contact_center.tasks): a missed or abandoned inbound call asks an agent of the call's
    # department to ring the caller back; the agent's outbound calls to that number are linked to it.
    Channel("callback", "Callback", ("phone",), 1, Announcement.TASK_QUEUED, Reply.NONE, Presentation.TASK,
            service_level_seconds=3600, offer_timeout_seconds=60, identification=Identification.ASK),
)

_BY_NAME = {c.name: c for c in CHANNELS}
NAMES: tuple[str, ...] = tuple(_BY_NAME)
#: Every identity kind some channel recognises customers by, in registry order.
IDENTITY_KINDS: tuple[str, ...] = tuple(dict.fromkeys(k for c in CHANNELS for k in c.identity_kinds))


def channel(name: str) -> Channel:
    """The registered channel *name*.

    Raises:
        KeyError: no such channel (the message lists the known ones).
    """
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown channel {name!r}; known: {', '.join(NAMES)}") from None


def is_channel(name: object) -> bool:
    """Whether *name* is a registered channel."""
    return isinstance(name, str) and name in _BY_NAME


def default_capacity() -> dict[str, int]:
    """An agent's capacity on every channel when their profile does not say otherwise."""
    return {c.name: c.default_capacity for c in CHANNELS}


def announced_by(event: Announcement) -> tuple[str, ...]:
    """The channels whose new contacts *event* announces."""
    return tuple(c.name for c in CHANNELS if c.event is event)


def pops_at_accept(name: str) -> bool:
    """Whether the screen pop of a contact on channel *name* is shown when the agent accepts it
    (every written channel) rather than when the call is answered at the phone."""
    return is_channel(name) and _BY_NAME[name].presentation is not Presentation.VOICE


def replied_by(reply: Reply) -> tuple[str, ...]:
    """The channels whose replies leave by *reply*."""
    return tuple(c.name for c in CHANNELS if c.reply is reply)
