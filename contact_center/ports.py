"""Ports: the few synchronous calls that cross from one plugin to another through the core.

Plugins never import each other. Where one needs an answer from another right away (the
telephony hook needs the router's "dial" decision before it replies to the PBX; the agent
websocket hands a frame to whichever plugin handles its ``type``), the core defines the shape
here and the providing plugin installs an implementation under an app key in ``register``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from contact_center.auth.roles import Principal
from contact_center.events import CallAnswered, CallRang

Frame = dict[str, Any]

# Handles one frame type sent by an agent's browser; returns a reply frame or None.
# The reserved types "_connected" and "_disconnected" are called when an agent's socket opens
# or closes (frame = {"sockets": n}, the user's open sockets on this instance after the change).
AgentCommand = Callable[[Principal, Frame], Awaitable[Frame | None]]


class CallDirector(Protocol):
    """Decides, at ``newCall``, where the PBX should send the call."""

    async def direct_call(self, event: CallRang) -> dict[str, str] | None:
        """A PBX action (``{"action": "dial", "number": …}`` or ``reject``), or None to let it ring."""
        ...


def encode_frame(frame: Mapping[str, Any]) -> bytes:
    """A frame as the UTF-8 JSON text sent on a websocket (compact; non-string keys become strings)."""
    return orjson.dumps(frame, option=orjson.OPT_NON_STR_KEYS)


class LocalDelivery(Protocol):
    """This instance's open agent sockets (filled by the agent UI): hand a frame over without the bus.

    A producer that delivers here first publishes ``UserNotified(..., origin=instance)`` afterwards,
    so the user's sockets on other instances get it too and this instance does not deliver it twice.
    """

    instance: str  # unique per running instance

    def deliver(self, user_id: int, frame: Mapping[str, Any], encoded: bytes | None = None) -> int:
        """Queue *frame* (*encoded* with :func:`encode_frame`, if given) for *user_id*'s sockets here; how many."""
        ...


@dataclass(frozen=True)
class ShownPop:
    """A prepared pop handed to an agent's sockets on this instance by :meth:`PopHandOff.pop_now`."""

    call_id: str
    user_id: int
    frame: dict[str, Any]
    audit: dict[str, Any]  # its ``audit`` row (the table's columns), stamped when it was shown


class PopHandOff(Protocol):
    """The answer → screen pop hand-off: how a call's pop reaches the agent who answered it.

    The screen-pop service implements it (``app[keys.SCREENPOP]``); the CTI hook drives it, on
    the instance that received the PBX's post, so exactly one instance pops. For one ``answer``:

    1. :meth:`pop_now`, before anything is awaited, when the answer is for a call ringing here
       and the agent is known: the pop prepared at ring goes to the agent's sockets here at once.
    2. :meth:`anticipate`, for an answer to a call never seen ringing here, before the store
       write: the caller's identification and source reads start in parallel with the write.
    3. :meth:`answered`, with the ``CallAnswered`` the call state announces: pops (or, after
       :meth:`pop_now`, tells the agent's sockets on the other instances) and returns the audit
       row of a pop shown now, which the hook stores in the same transaction as the answer.
    4. :meth:`record`, for an audit row the hook could not store with its call: the durable
       audit log writes it instead.
    """

    def pop_now(self, *, call_id: str, conversation_id: int, user_id: int) -> ShownPop | None:
        """Hand call *call_id*'s prepared, current pop to *user_id*'s sockets here without awaiting; or None."""
        ...

    def anticipate(self, address: str) -> None:
        """Start identifying the caller at normalised phone *address* and reading their sources; returns at once."""
        ...

    async def answered(self, event: CallAnswered, *, address: str | None = None, ambiguous: bool = False,
                       record: Callable[[dict[str, Any]], None] | None = None,
                       shown: ShownPop | None = None) -> dict[str, Any] | None:
        """Pop *event*'s call to the agent who answered; the audit row to store with the answer, or None."""
        ...

    def record(self, row: dict[str, Any]) -> None:
        """Write audit *row* (the ``audit`` table's columns) through the durable audit log."""
        ...
