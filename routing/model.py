"""The routing state as plain values: one agent, one tracked contact.

Both reservation stores (in memory and Redis) keep exactly these fields; Redis keeps each as a
JSON document that its Lua scripts read and write (plus a few fields in small hashes for the
claim, see :mod:`routing.redis_scripts`), so :meth:`to_dict` / :meth:`from_dict` are the wire
format. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

PRESENCES = ("available", "away", "offline")
# Contact status inside the router; the store's conversation status follows it
# (waiting -> queued, offered -> offered, assigned -> assigned).
WAITING, OFFERED, ASSIGNED = "waiting", "offered", "assigned"


def _int_map(raw: Any) -> dict[str, int]:
    # cjson turns an empty Lua table into {} or [] depending on how it was built.
    return {str(k): int(v) for k, v in raw.items()} if isinstance(raw, dict) else {}


def _float_map(raw: Any) -> dict[str, float]:
    return {str(k): float(v) for k, v in raw.items()} if isinstance(raw, dict) else {}


@dataclass(slots=True)
class AgentState:
    """One agent as routing sees them: profile (from the store) plus live state."""

    user_id: int
    username: str = ""
    display_name: str = ""
    extension: str | None = None
    departments: tuple[str, ...] = ()
    skills: dict[str, int] = field(default_factory=dict)
    capacity: dict[str, int] = field(default_factory=dict)
    # Across channels: at most this many contacts at once (0: no limit), and while the agent has a
    # contact on a channel named here, no new contacts on the channels it lists ({"call": ["chat"]}).
    total_capacity: int = 0
    blocks: dict[str, list[str]] = field(default_factory=dict)
    load: dict[str, int] = field(default_factory=dict)
    presence: str = "offline"
    reason: str | None = None
    presence_since: float = 0.0  # when the presence last changed (the wallboard's time in state)
    idle_since: float = 0.0
    last_offer_at: float = 0.0
    wrap_until: float = 0.0
    offer: int | None = None  # conversation id of the one pending offer
    missed: int = 0  # offers in a row the agent ignored (timed out while reachable): the autopause counter
    unreachable: int = 0  # offers in a row that timed out while the agent could not be reached
    last_offer: str | None = None  # what came of the last offer: accepted, rejected, ignored, unreachable
    # After-contact work: the contact it is for, and whether an outcome is still required (then
    # wrap-up lasts past wrap_until until the agent chooses one).
    wrap_conversation: int | None = None
    wrap_hold: bool = False

    def in_wrap_up(self, now: float) -> bool:
        """True while the agent does after-contact work: its time runs, or a required outcome is missing."""
        return self.wrap_hold or self.wrap_until > now

    def state(self, now: float) -> str:
        """What a supervisor sees: available, busy, wrap_up, away or offline."""
        if self.presence != "available":
            return self.presence
        if self.wrap_hold or self.wrap_until > now:
            return "wrap_up"
        if self.offer is not None or any(v > 0 for v in self.load.values()):
            return "busy"
        return "available"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> AgentState:
        offer = raw.get("offer")
        return cls(
            user_id=int(raw["user_id"]),
            username=str(raw.get("username") or ""),
            display_name=str(raw.get("display_name") or ""),
            extension=raw.get("extension") or None,
            departments=tuple(raw.get("departments") or ()),
            skills=_int_map(raw.get("skills")),
            capacity=_int_map(raw.get("capacity")),
            total_capacity=int(raw.get("total_capacity") or 0),
            blocks={str(k): [str(c) for c in v] for k, v in (raw.get("blocks") or {}).items()},
            load=_int_map(raw.get("load")),
            presence=str(raw.get("presence") or "offline"),
            reason=raw.get("reason") or None,
            presence_since=float(raw.get("presence_since") or 0),
            idle_since=float(raw.get("idle_since") or 0),
            last_offer_at=float(raw.get("last_offer_at") or 0),
            wrap_until=float(raw.get("wrap_until") or 0),
            offer=int(offer) if offer not in (None, False, "") else None,
            missed=int(raw.get("missed") or 0),
            unreachable=int(raw.get("unreachable") or 0),
            last_offer=raw.get("last_offer") or None,
            wrap_conversation=int(wrap) if (wrap := raw.get("wrap_conversation")) not in (None, False, "") else None,
            wrap_hold=bool(raw.get("wrap_hold", False)),
        )


@dataclass(slots=True)
class ContactState:
    """One contact the router tracks from routing until its agent finishes it."""

    conversation_id: int
    channel: str
    department: str
    queue: str
    priority: int = 0
    enqueued_at: float = 0.0
    rank: float = 0.0  # queue order: lower first (see selection.queue_rank)
    skills: dict[str, int] = field(default_factory=dict)
    reason: str = ""
    status: str = WAITING
    dispatch: bool = True  # False: the PBX routes this call; the router only tracks it
    offer_id: str | None = None
    offer_user: int | None = None
    offer_expires: float = 0.0
    user_id: int | None = None
    assigned_at: float = 0.0  # when its agent took it (accepted, or assigned by hand)
    declined: dict[str, float] = field(default_factory=dict)  # user id -> when they declined
    customer_id: int | None = None
    subject: str | None = None
    contact_address: str | None = None
    widened: bool = False
    overflowed: bool = False
    service_level: float = 20.0  # seconds: answered within this counts toward the service level

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> ContactState:
        def opt_int(name: str) -> int | None:
            value = raw.get(name)
            return int(value) if value not in (None, False, "") else None

        return cls(
            conversation_id=int(raw["conversation_id"]),
            channel=str(raw["channel"]),
            department=str(raw["department"]),
            queue=str(raw["queue"]),
            priority=int(raw.get("priority") or 0),
            enqueued_at=float(raw.get("enqueued_at") or 0),
            rank=float(raw.get("rank") or 0),
            skills=_int_map(raw.get("skills")),
            reason=str(raw.get("reason") or ""),
            status=str(raw.get("status") or WAITING),
            dispatch=bool(raw.get("dispatch", True)),
            offer_id=raw.get("offer_id") or None,
            offer_user=opt_int("offer_user"),
            offer_expires=float(raw.get("offer_expires") or 0),
            user_id=opt_int("user_id"),
            assigned_at=float(raw.get("assigned_at") or 0),
            declined=_float_map(raw.get("declined")),
            customer_id=opt_int("customer_id"),
            subject=raw.get("subject") or None,
            contact_address=raw.get("contact_address") or None,
            widened=bool(raw.get("widened", False)),
            overflowed=bool(raw.get("overflowed", False)),
            service_level=float(raw.get("service_level") or 20.0),
        )
