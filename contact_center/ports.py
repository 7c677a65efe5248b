"""Ports: the few synchronous calls that cross from one plugin to another through the core.

Plugins never import each other. Where one needs an answer from another right away (the
telephony hook needs the router's "dial" decision before it replies to the PBX; the agent
websocket hands a frame to whichever plugin handles its ``type``), the core defines the shape
here and the providing plugin installs an implementation under an app key in ``register``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

import orjson

from contact_center.auth.roles import Principal
from contact_center.events import CallRang

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
