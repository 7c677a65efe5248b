"""Ports: the few synchronous calls that cross from one plugin to another through the core.

Plugins never import each other. Where one needs an answer from another right away (the
telephony hook needs the router's "dial" decision before it replies to the PBX; the agent
websocket hands a frame to whichever plugin handles its ``type``), the core defines the shape
here and the providing plugin installs an implementation under an app key in ``register``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

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
