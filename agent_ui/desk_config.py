"""The desk's own settings, read from ``[desk]``: canned responses, wrap-up codes, away reasons.

Pure: no I/O. ::

    [desk]
    away_reasons = ["Break", "Lunch", "Meeting", "Training"]
    service_level_target = 0.8          # the wallboard flags queues below this share
    dispositions = [{code = "resolved", label = "Resolved"}, {code = "follow_up", label = "Follow-up needed"}]
    canned_responses = [
      {id = "greeting", title = "Greeting", text = "Hello {customer},\\n\\nthank you for contacting us."},
    ]

``{customer}`` and ``{agent}`` in a canned text are filled in by the desk when it is inserted. A
canned response with ``departments = ["sales"]`` is offered only to agents of those departments.
``desk`` is a live section: an admin changes it in the console and every desk picks it up.
Dispositions may also be plain strings (the code doubles as the label).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from contact_center.errors import ConfigError, ValidationError

_CODE = re.compile(r"^[a-z0-9_][a-z0-9_.-]{0,63}$")
MAX_TEXT = 10_000

DEFAULT_AWAY_REASONS = ("Break", "Lunch", "Meeting", "Training", "Coaching")
DEFAULT_DISPOSITIONS = (
    ("resolved", "Resolved"),
    ("follow_up", "Follow-up needed"),
    ("escalated", "Escalated"),
    ("sale", "Sale made"),
    ("complaint_logged", "Complaint logged"),
    ("no_action", "No action needed"),
)
DEFAULT_CANNED = (
    ("greeting", "Greeting", "Hello {customer},\n\nthank you for contacting us. "),
    ("looking_into_it", "Looking into it",
     "Thank you for your patience — I am looking into this for you right now and will get back to you shortly."),
    ("order_status", "Order status",
     "I have checked your order: it has left our warehouse and should arrive within two working days."),
    ("invoice_copy", "Invoice copy", "I have sent a copy of the invoice to the email address we have on file."),
    ("closing", "Closing", "Is there anything else I can help you with today?\n\nKind regards,\n{agent}"),
)


@dataclass(frozen=True)
class CannedResponse:
    """A ready-made reply text an agent can insert into the composer."""

    id: str
    title: str
    text: str
    departments: tuple[str, ...] = ()  # only for agents of these departments; empty: everyone

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "text": self.text, "departments": list(self.departments)}

    def for_departments(self, departments: tuple[str, ...] | None) -> bool:
        """Whether someone in *departments* (None: a supervisor, who sees all) is offered this text."""
        return departments is None or not self.departments or bool(set(self.departments) & set(departments))


@dataclass(frozen=True)
class Disposition:
    """A wrap-up code: what came of a contact."""

    code: str
    label: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "label": self.label}


@dataclass(frozen=True)
class DeskConfig:
    """Validated ``[desk]`` settings."""

    canned_responses: tuple[CannedResponse, ...]
    dispositions: tuple[Disposition, ...]
    away_reasons: tuple[str, ...]
    service_level_target: float = 0.8

    def disposition(self, code: str) -> Disposition | None:
        """The disposition with *code*, or ``None``."""
        return next((d for d in self.dispositions if d.code == code), None)

    def to_dict(self, departments: tuple[str, ...] | None = None) -> dict[str, Any]:
        """What the desk shows someone in *departments* (None: everything)."""
        return {
            "canned_responses": [c.to_dict() for c in self.canned_responses if c.for_departments(departments)],
            "dispositions": [d.to_dict() for d in self.dispositions],
            "away_reasons": list(self.away_reasons),
            "service_level_target": self.service_level_target,
        }


def outcome_choice(code: str | None, *, allowed: tuple[str, ...], required: bool) -> str | None:
    """The outcome to record when a contact is wrapped up: *code* if it is one of *allowed*; None
    when none was given and none is *required* (a call whose department asks for none).

    Raises:
        ValidationError: naming ``disposition``: missing though required, or not one of *allowed*.
    """
    if code is None or code == "":
        if required:
            raise ValidationError("disposition", f"'disposition' is required: one of {', '.join(allowed)}")
        return None
    if code not in allowed:
        raise ValidationError("disposition", f"'disposition' must be one of {', '.join(allowed)}")
    return code


def desk_config(raw: Mapping[str, Any]) -> DeskConfig:
    """Build the desk configuration from the raw ``[desk]`` section (defaults where absent).

    Raises:
        ConfigError: a malformed entry; the message names it (``desk.canned_responses[2].text``).
    """
    canned = raw.get("canned_responses")
    dispositions = raw.get("dispositions")
    reasons = raw.get("away_reasons")
    return DeskConfig(
        canned_responses=_canned(canned) if canned is not None else tuple(CannedResponse(*c) for c in DEFAULT_CANNED),
        dispositions=(_dispositions(dispositions) if dispositions is not None
                      else tuple(Disposition(*d) for d in DEFAULT_DISPOSITIONS)),
        away_reasons=_reasons(reasons) if reasons is not None else DEFAULT_AWAY_REASONS,
        service_level_target=_share(raw.get("service_level_target", 0.8), "desk.service_level_target"),
    )


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise ConfigError(f"{where} must be a list")
    return list(value)


def _text(value: Any, where: str, *, max_len: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where} must be a non-empty string")
    if len(value) > max_len:
        raise ConfigError(f"{where} is longer than {max_len} characters")
    return value


def _code(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _CODE.match(value):
        raise ConfigError(f"{where} must be a short lower-case code (letters, digits, _ . -)")
    return value


def _canned(value: Any) -> tuple[CannedResponse, ...]:
    out: list[CannedResponse] = []
    for i, item in enumerate(_list(value, "desk.canned_responses")):
        where = f"desk.canned_responses[{i}]"
        if not isinstance(item, Mapping):
            raise ConfigError(f"{where} must be a table with id, title and text")
        out.append(CannedResponse(
            id=_code(item.get("id"), f"{where}.id"),
            title=_text(item.get("title"), f"{where}.title", max_len=80),
            text=_text(item.get("text"), f"{where}.text", max_len=MAX_TEXT),
            departments=tuple(_code(d, f"{where}.departments[{j}]")
                              for j, d in enumerate(_list(item.get("departments", []), f"{where}.departments"))),
        ))
    _unique([c.id for c in out], "desk.canned_responses")
    return tuple(out)


def _dispositions(value: Any) -> tuple[Disposition, ...]:
    out: list[Disposition] = []
    for i, item in enumerate(_list(value, "desk.dispositions")):
        where = f"desk.dispositions[{i}]"
        if isinstance(item, str):
            out.append(Disposition(_code(item, where), item))
        elif isinstance(item, Mapping):
            code = _code(item.get("code"), f"{where}.code")
            out.append(Disposition(code, _text(item.get("label", code), f"{where}.label", max_len=80)))
        else:
            raise ConfigError(f"{where} must be a code or a table with code and label")
    if not out:
        raise ConfigError("desk.dispositions must name at least one code")
    _unique([d.code for d in out], "desk.dispositions")
    return tuple(out)


def _reasons(value: Any) -> tuple[str, ...]:
    return tuple(_text(r, f"desk.away_reasons[{i}]", max_len=64)
                 for i, r in enumerate(_list(value, "desk.away_reasons")))


def _share(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ConfigError(f"{where} must be a share between 0 and 1 (0.8 = 80 %)")
    try:
        share = float(value)
    except ValueError as exc:
        raise ConfigError(f"{where} must be a share between 0 and 1 (0.8 = 80 %)") from exc
    if not 0 < share <= 1:
        raise ConfigError(f"{where} must be a share between 0 and 1 (0.8 = 80 %)")
    return share


def _unique(codes: list[str], where: str) -> None:
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            raise ConfigError(f"{where}: {code!r} appears twice")
        seen.add(code)
