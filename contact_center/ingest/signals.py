"""The call signal: what a telephony connector hands the core for one PBX event.

A connector parses its outside format (Zammad's generic CTI in its body forms, sipgate.io, …)
into one :class:`CallSignal`; the core stores it (:mod:`.calls`), folds it into the call's facts
(:mod:`.callstate`) and announces what changed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CallSignal:
    """One call event, validated; absent optional fields are ``None`` (``users`` empty)."""

    event: str  # newCall | answer | hangup | dtmf
    call_id: str
    direction: str | None = None
    from_raw: str | None = None
    to_raw: str | None = None
    users: tuple[str, ...] = ()
    queue: str | None = None
    diversion: str | None = None
    orig_call_id: str | None = None
    answering_number: str | None = None
    cause: str | None = None
    dtmf: str | None = None
    user_ids: tuple[str, ...] = ()  # the PBX's own user ids (sipgate.io's userId / fullUserId: "w0", "1234567w0")
    voicemail: bool = False  # an answer by a voicemail box: nobody answered, the call ends missed

    def customer_raw(self) -> str | None:
        """The customer's side of the call: the caller inbound, the callee outbound."""
        return self.to_raw if self.direction == "out" else self.from_raw
