"""The typed ``[routing]`` configuration, parsed once at start-up from ``settings.section("routing")``.

Per-queue policy is resolved in layers, most specific last: built-in defaults, the store's
``queue`` row (strategy, service level, offer timeout, overflow), then configuration when it
sets a key: top-level ``[routing]`` keys, ``[routing.channels.<channel>]``, then for calls the
department's wrap-up settings from the store (after-call work, required outcome; the admin
console edits them), and ``[routing.queues."<department>.<channel>"]``. See
``contact-center.example.toml``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from contact_center.channels import CHANNELS as REGISTERED
from contact_center.channels import NAMES
from contact_center.errors import ConfigError
from routing.defaults import DEFAULT_DEPARTMENTS, DEFAULT_RULES
from routing.rules import Rule, parse_rules
from routing.selection import STRATEGIES

CHANNELS = NAMES  # the channel registry's
# key in the config -> QueuePolicy attribute
_POLICY_KEYS = {
    "strategy": "strategy",
    "offer_timeout_seconds": "offer_timeout",
    "wrap_up_seconds": "wrap_up",
    "after_call_work_seconds": "wrap_up",  # the same, in call-center words
    "service_level_seconds": "service_level",
    "overflow_after_seconds": "overflow_after",
    "overflow_to": "overflow_to",
    "widen_after_seconds": "widen_after",
    "aging_seconds": "aging",
}
_BUILTIN_WRAP_UP = {c.name: c.wrap_up_seconds for c in REGISTERED}


@dataclass(frozen=True)
class QueuePolicy:
    """How one queue behaves."""

    strategy: str = "longest_idle"
    offer_timeout: float = 20.0
    wrap_up: float = 10.0
    service_level: float = 20.0
    overflow_after: float | None = None
    overflow_to: str | None = None  # another queue's slug
    widen_after: float | None = None  # drop the contact's skill requirements after this wait
    aging: float = 60.0  # seconds of waiting worth one priority step
    outcome_required: bool = False  # wrap-up lasts until the agent chooses an outcome (the department's)


@dataclass(frozen=True)
class StoreQueue:
    """The store's row for a queue (only what routing reads)."""

    id: int
    slug: str
    department: str
    channel: str
    strategy: str
    service_level_seconds: int
    offer_timeout_seconds: int
    overflow_after_seconds: int | None
    overflow_queue_slug: str | None


# Why a supervisor changes an agent's state (the built-in ones have catalog entries on the wallboard).
DEFAULT_STATE_REASONS = ("Coaching", "Meeting", "Break", "Shift ended", "Forgot to sign out")


@dataclass(frozen=True)
class DepartmentWrapUp:
    """A department's after-call work settings as the store has them (the admin console edits them)."""

    seconds: float | None = None  # None: the call queue's wrap_up_seconds
    outcome_required: bool = False
    outcomes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RoutingConfig:
    """Everything the router needs to know from configuration."""

    rules: tuple[Rule, ...]
    departments: tuple[str, ...] = DEFAULT_DEPARTMENTS
    default_department: str = "service"
    autopause_after: int = 3  # offers in a row that time out before the agent is set away
    reoffer_after: float = 60.0  # an agent who declined a contact is not offered it again for this long
    offline_grace: float = 15.0  # an agent with no websocket left anywhere goes offline after this
    available_on_connect: bool = True
    sweep_interval: float = 0.25  # how often timers (offer expiry, wrap-up end, overflow) are checked
    snapshot_interval: float = 1.0  # supervisor frames: at most this often, never staler
    customer_data_timeout: float = 0.05  # deadline for customer data used by rules
    call_dial: str = "agent"  # "agent": dial a free agent's extension; "department": always the department number
    # Capacity across channels: contacts at once per agent over all channels (0: no limit; a user's
    # own capacity "total" wins), and the channels a contact on one channel keeps away.
    total_capacity: int = 0
    blocks: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: {"call": ("chat", "email", "callback")})
    agent_refresh: float = 30.0  # reload agent profiles (skills, departments, capacity) from the store
    # Why a supervisor changes an agent's state or logs them out (the wallboard offers these; audited).
    state_reasons: tuple[str, ...] = DEFAULT_STATE_REASONS
    layers: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # "", "channel:x", "queue:slug"

    def policy(self, slug: str, channel: str, row: StoreQueue | None,
               wrap_up: DepartmentWrapUp | None = None) -> QueuePolicy:
        """The effective policy of queue *slug* (see the module docstring for the layers); *wrap_up*
        is its department's after-call work settings from the store (they apply to its calls)."""
        base = QueuePolicy(wrap_up=_BUILTIN_WRAP_UP.get(channel, 10.0))
        if row is not None:
            base = replace(base, strategy=row.strategy or base.strategy,
                           service_level=float(row.service_level_seconds or base.service_level),
                           offer_timeout=float(row.offer_timeout_seconds or base.offer_timeout),
                           overflow_after=float(row.overflow_after_seconds) if row.overflow_after_seconds else None,
                           overflow_to=row.overflow_queue_slug)
        for layer in ("", f"channel:{channel}", f"queue:{slug}"):
            if layer.startswith("queue:") and wrap_up is not None and channel == "call":
                # The department's own after-call work is more specific than the file's defaults for
                # every queue or channel; a [routing.queues."<department>.call"] section still wins.
                base = replace(base, outcome_required=wrap_up.outcome_required,
                               wrap_up=base.wrap_up if wrap_up.seconds is None else wrap_up.seconds)
            values = self.layers.get(layer)
            if values:
                base = replace(base, **values)
        return base


def _num(raw: Any, name: str, *, allow_none: bool = False) -> float | None:
    if allow_none and (raw is None or raw == ""):
        return None
    try:
        number = float(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"routing.{name} must be a number, not {raw!r}") from exc
    if number < 0:
        raise ConfigError(f"routing.{name} must not be negative")
    return number


def _bool(raw: Any, name: str) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"routing.{name} must be true or false, not {raw!r}")


def _policy_layer(raw: Mapping[str, Any], where: str, departments: tuple[str, ...]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, attr in _POLICY_KEYS.items():
        if key not in raw:
            continue
        value = raw[key]
        if key == "strategy":
            if value not in STRATEGIES:
                raise ConfigError(f"{where}.strategy {value!r} is unknown; known: {', '.join(STRATEGIES)}")
        elif key == "overflow_to":
            department = str(value).partition(".")[0]
            if department not in departments or str(value).partition(".")[2] not in CHANNELS:
                raise ConfigError(f"{where}.overflow_to {value!r} must be '<department>.<channel>'")
        else:
            value = _num(value, f"{where}.{key}", allow_none=key in ("overflow_after_seconds", "widen_after_seconds"))
        values[attr] = value
    return values


def _layers(raw: Mapping[str, Any], departments: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    layers = {"": _policy_layer(raw, "routing", departments)}
    for channel, section in dict(raw.get("channels", {})).items():
        if channel not in CHANNELS:
            raise ConfigError(f"routing.channels.{channel}: unknown channel; known: {', '.join(CHANNELS)}")
        layers[f"channel:{channel}"] = _policy_layer(section, f"routing.channels.{channel}", departments)
    for slug, section in dict(raw.get("queues", {})).items():
        department, _, channel = str(slug).partition(".")
        if department not in departments or channel not in CHANNELS:
            raise ConfigError(f"routing.queues.{slug}: a queue is '<department>.<channel>' of known ones")
        layers[f"queue:{slug}"] = _policy_layer(section, f"routing.queues.{slug}", departments)
    return layers


def default_rules(departments: Iterable[str]) -> list[dict[str, Any]]:
    """The shipped rule table, without the rules for departments this call center does not have."""
    known = set(departments)
    return [rule for rule in DEFAULT_RULES if rule.get("department") is None or rule["department"] in known]


def load_config(raw: Mapping[str, Any], *, store_departments: Iterable[str] | None = None) -> RoutingConfig:
    """Parse and validate the ``[routing]`` section.

    The departments are ``[routing] departments`` when set, else the store's active ones
    (*store_departments*; the admin creates them), else the demo's five. Without a rule table of
    its own, the shipped one is used for the departments that exist.

    Raises:
        ConfigError: an unknown department, field, operator, strategy or channel, or a bad number;
            rule errors name the rule's line in the table.
    """
    stored = tuple(sorted(store_departments or ()))
    departments = tuple(raw.get("departments") or stored or DEFAULT_DEPARTMENTS)
    default = str(raw.get("default_department") or ("service" if "service" in departments else departments[0]))
    if default not in departments:
        raise ConfigError(f"routing.default_department {default!r} is not one of {', '.join(departments)}")
    rules = parse_rules(raw["rules"] if "rules" in raw else default_rules(departments), departments=departments)
    call_dial = str(raw.get("call_dial", "agent"))
    if call_dial not in ("agent", "department"):
        raise ConfigError("routing.call_dial must be 'agent' or 'department'")
    return RoutingConfig(
        rules=rules,
        departments=departments,
        default_department=default,
        autopause_after=int(_num(raw.get("autopause_after", 3), "autopause_after") or 0),
        reoffer_after=_num(raw.get("reoffer_after_seconds", 60), "reoffer_after_seconds") or 0.0,
        offline_grace=_num(raw.get("offline_grace_seconds", 15), "offline_grace_seconds") or 0.0,
        available_on_connect=_bool(raw.get("available_on_connect", True), "available_on_connect"),
        sweep_interval=max(0.01, _num(raw.get("sweep_interval_seconds", 0.25), "sweep_interval_seconds") or 0.25),
        snapshot_interval=max(0.05, _num(raw.get("snapshot_interval_seconds", 1.0), "snapshot_interval_seconds")
                              or 1.0),
        customer_data_timeout=(_num(raw.get("customer_data_timeout_ms", 50), "customer_data_timeout_ms") or 0) / 1000,
        call_dial=call_dial,
        total_capacity=int(_num(raw.get("total_capacity", 0), "total_capacity") or 0),
        blocks=_blocks(raw.get("while_on_channel", {"call": ["chat", "email", "callback"]})),
        agent_refresh=_num(raw.get("agent_refresh_seconds", 30), "agent_refresh_seconds") or 30.0,
        layers=_layers(raw, departments),
        state_reasons=_state_reasons(raw.get("state_reasons", DEFAULT_STATE_REASONS)),
    )


def _state_reasons(raw: Any) -> tuple[str, ...]:
    """``routing.state_reasons``: a non-empty list of short texts, each given once."""
    if (not isinstance(raw, list | tuple) or not raw
            or any(not isinstance(r, str) or not r.strip() or len(r) > 64 for r in raw)):
        raise ConfigError("routing.state_reasons must be a non-empty list of texts of at most 64 characters")
    reasons = tuple(r.strip() for r in raw)
    if len(set(reasons)) != len(reasons):
        raise ConfigError("routing.state_reasons must not name a reason twice")
    return reasons


def _blocks(raw: Any) -> dict[str, tuple[str, ...]]:
    """``[routing.while_on_channel]``: channel -> the channels that get no new contacts meanwhile."""
    if not isinstance(raw, Mapping):
        raise ConfigError("routing.while_on_channel must be a table such as {call = [\"chat\", \"email\"]}")
    out: dict[str, tuple[str, ...]] = {}
    for busy, blocked in raw.items():
        if busy not in CHANNELS or not isinstance(blocked, list | tuple) or any(c not in CHANNELS for c in blocked):
            raise ConfigError(f"routing.while_on_channel.{busy}: channels must be among {', '.join(CHANNELS)}")
        out[str(busy)] = tuple(str(c) for c in blocked)
    return out
