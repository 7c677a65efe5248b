"""The closed set of events the bus carries: frozen, past-tense dataclasses.

Every event is JSON-serialisable (ints, floats, strings, bools, tuples, plain dicts) so the Redis
bus can carry it between instances; :func:`encode` / :func:`decode` do that. Times are Unix epoch
seconds (``float``). Add a new event by defining a frozen dataclass here and adding it to
``Event`` — nothing else may travel on the bus.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, fields
from typing import Any, Union, get_args


def _now() -> float:
    return time.time()


# --------------------------------------------------------------------------- telephony


@dataclass(frozen=True)
class CallRang:
    """A call started ringing (CTI ``newCall``); the caller is identified where possible."""

    call_id: str
    pbx: str
    direction: str  # "in" | "out"
    from_number: str  # E.164 when it could be normalised, else as received ("anonymous", …)
    to_number: str
    conversation_id: int
    customer_id: int | None = None
    candidate_ids: tuple[int, ...] = ()
    users: tuple[str, ...] = ()
    queue: str | None = None
    orig_call_id: str | None = None
    at: float = field(default_factory=_now)
    # The agents among ``users`` (login, display name or extension) that mapped to a user account.
    ringing_user_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class CallAnswered:
    """Somebody picked up; ``user_id`` is the agent when the extension or login maps to one."""

    call_id: str
    conversation_id: int
    user_id: int | None
    answering_number: str | None = None
    customer_id: int | None = None
    at: float = field(default_factory=_now)


@dataclass(frozen=True)
class CallEnded:
    """The call hung up. ``missed`` when nobody answered."""

    call_id: str
    conversation_id: int
    cause: str
    missed: bool
    user_id: int | None = None
    at: float = field(default_factory=_now)


@dataclass(frozen=True)
class DtmfReceived:
    """The caller chose digits in the PBX's IVR."""

    call_id: str
    conversation_id: int
    digits: str
    at: float = field(default_factory=_now)


# --------------------------------------------------------------------------- inbox


@dataclass(frozen=True)
class EmailReceived:
    """An inbound email was stored (exactly once) on a conversation."""

    conversation_id: int
    message_id: int
    mailbox: str
    customer_id: int | None = None
    department: str | None = None
    subject: str = ""
    new_conversation: bool = True
    automated: bool = False  # auto-reply, bounce, list mail: never answered automatically
    at: float = field(default_factory=_now)


@dataclass(frozen=True)
class MessageReceived:
    """An inbound message on a messaging channel (web chat, a messaging bridge) was stored.

    ``sender_id`` is the sender's identity value on that channel (the chat visitor id, the
    bridge's phone number or messenger id).
    """

    conversation_id: int
    message_id: int
    channel: str
    sender_id: str
    text: str
    customer_id: int | None = None
    topic: str | None = None
    new_conversation: bool = False
    at: float = field(default_factory=_now)


@dataclass(frozen=True)
class ReplyQueued:
    """An agent wrote a reply (email or chat) that a channel sender must deliver."""

    conversation_id: int
    message_id: int
    channel: str
    user_id: int
    at: float = field(default_factory=_now)


@dataclass(frozen=True)
class ReplyDelivered:
    """A reply left (``ok``) or finally failed to leave (``error``) on its channel."""

    conversation_id: int
    message_id: int
    channel: str
    ok: bool
    error: str | None = None
    at: float = field(default_factory=_now)


@dataclass(frozen=True)
class ConversationUpdated:
    """A conversation changed status, owner or department; listeners refresh their views."""

    conversation_id: int
    status: str
    department: str | None = None
    user_id: int | None = None
    at: float = field(default_factory=_now)


@dataclass(frozen=True)
class CustomersMerged:
    """Two customer records turned out to be one person; ``merged_id`` now points at ``into_id``."""

    merged_id: int
    into_id: int
    by_user_id: int | None = None
    at: float = field(default_factory=_now)


@dataclass(frozen=True)
class CustomersUnmerged:
    """A merge was undone: ``merged_id`` is a customer of its own again, apart from ``into_id``."""

    merged_id: int
    into_id: int
    by_user_id: int | None = None
    at: float = field(default_factory=_now)


@dataclass(frozen=True)
class SessionsEnded:
    """A user's login session ended (logout, expiry) or all of them did (``session`` None: deactivation,
    password change): every instance closes the websockets opened with it at once."""

    user_id: int
    session: str | None  # the session's id (hex SHA-256 of its token); None: every session of the user
    reason: str  # logout | expired | deactivated | revoked
    at: float = field(default_factory=_now)


@dataclass(frozen=True)
class TaskQueued:
    """A task's conversation wants an agent: a new callback, a callback or follow-up that is due.

    ``department`` is where it goes (``None``: the routing rules decide); ``user_id``, when set, is
    the agent it returns to first (the one who set the follow-up or rescheduled the callback).
    """

    conversation_id: int
    task_id: int
    kind: str  # callback | follow_up
    channel: str
    department: str | None = None
    user_id: int | None = None
    customer_id: int | None = None
    source_conversation_id: int | None = None  # a callback's call: its department when the task has none
    at: float = field(default_factory=_now)


# --------------------------------------------------------------------------- routing


@dataclass(frozen=True)
class ContactRouted:
    """Rules chose a department and queue for a contact, and said why (recorded on the conversation
    by the router before this is published)."""

    conversation_id: int
    channel: str
    department: str
    queue: str
    priority: int
    reason: str
    at: float = field(default_factory=_now)


@dataclass(frozen=True)
class OfferMade:
    """A contact was offered to one agent, who must accept before ``expires_at``."""

    conversation_id: int
    user_id: int
    offer_id: str
    channel: str
    expires_at: float
    at: float = field(default_factory=_now)


@dataclass(frozen=True)
class OfferAccepted:
    conversation_id: int
    user_id: int
    offer_id: str
    at: float = field(default_factory=_now)


@dataclass(frozen=True)
class OfferDeclined:
    """The agent rejected the offer, or it timed out (``timed_out``): ``outcome`` says which of
    ``rejected``, ``ignored`` (timed out while the agent could be reached) or ``unreachable``."""

    conversation_id: int
    user_id: int
    offer_id: str
    timed_out: bool = False
    at: float = field(default_factory=_now)
    outcome: str = "rejected"


@dataclass(frozen=True)
class AgentPresenceChanged:
    user_id: int
    presence: str  # available | away | offline | busy | wrap_up
    reason: str | None = None
    at: float = field(default_factory=_now)


# --------------------------------------------------------------------------- delivery to browsers


@dataclass(frozen=True)
class UserNotified:
    """A frame for one user's websockets, wherever (on whichever instance) they are connected."""

    user_id: int
    frame: dict[str, Any]
    at: float = field(default_factory=_now)
    # The instance that already handed the frame to this user's sockets there (ports.LocalDelivery);
    # that instance's hub skips the event, every other instance delivers it to its own sockets.
    origin: str | None = None


@dataclass(frozen=True)
class SupervisorsNotified:
    """A frame for every connected supervisor (already coalesced by its producer)."""

    frame: dict[str, Any]
    at: float = field(default_factory=_now)


# --------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class ConfigChanged:
    """The live configuration (or the organisation: departments, users) changed; reload *sections*.

    ``version`` is the configuration's new version (unchanged for organisation changes, which
    live in their own tables); ``sections`` name what changed (``routing``, ``pbx``, …,
    ``departments``, ``users``).
    """

    version: int
    sections: tuple[str, ...]
    at: float = field(default_factory=_now)


Event = Union[  # noqa: UP007 - a runtime union, iterated by get_args below
    CallRang,
    CallAnswered,
    CallEnded,
    DtmfReceived,
    EmailReceived,
    MessageReceived,
    ReplyQueued,
    ReplyDelivered,
    ConversationUpdated,
    CustomersMerged,
    CustomersUnmerged,
    SessionsEnded,
    TaskQueued,
    ContactRouted,
    OfferMade,
    OfferAccepted,
    OfferDeclined,
    AgentPresenceChanged,
    UserNotified,
    SupervisorsNotified,
    ConfigChanged,
]

EVENT_TYPES: dict[str, type] = {cls.__name__: cls for cls in get_args(Event)}


def encode(event: Event) -> bytes:
    """Serialise an event to JSON bytes tagged with its type name."""
    # Fields hold only JSON values (no nested dataclasses), so a shallow field dict serialises the
    # same as ``asdict`` without deep-copying every frame (``asdict`` cost more than the JSON).
    data = {f.name: getattr(event, f.name) for f in fields(event)}
    return json.dumps({"type": type(event).__name__, "data": data}, separators=(",", ":")).encode()


def decode(raw: bytes | str) -> Event:
    """Inverse of :func:`encode`.

    Raises:
        ValueError: unknown event type or fields that do not match it.
    """
    doc = json.loads(raw)
    kind = doc.get("type") if isinstance(doc, dict) else None
    cls = EVENT_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ValueError(f"unknown event type {kind!r}")
    data = doc.get("data")
    if not isinstance(data, dict):
        raise ValueError(f"{kind} without a data object")
    kwargs = {}
    for f in fields(cls):
        if f.name in data:
            value = data[f.name]
            kwargs[f.name] = tuple(value) if isinstance(value, list) else value
    try:
        return cls(**kwargs)  # type: ignore[no-any-return]
    except TypeError as exc:  # missing or unexpected fields
        raise ValueError(f"{kind}: {exc}") from exc
