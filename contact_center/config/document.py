"""The live configuration document and its TOML form. Pure: no I/O.

A document is a plain dict of sections, shaped like the TOML file: ``{"routing": {...},
"pbx": [{...}], "email": {...}, ...}``. Only the sections a plugin registered live are in it.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Iterable, Mapping
from typing import Any

import tomli_w

from contact_center.errors import ValidationError

Document = dict[str, Any]


def overlay(base: Mapping[str, Any], stored: Mapping[str, Any], sections: Iterable[str]) -> Document:
    """The effective document: each of *sections* from *stored* when it has it, else from *base* (the file)."""
    out: Document = {}
    for name in sections:
        if name in stored:
            out[name] = copy.deepcopy(stored[name])
        elif name in base:
            out[name] = copy.deepcopy(base[name])
    return out


def changed_sections(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[str, ...]:
    """The names of the sections that differ between two documents, sorted."""
    return tuple(sorted(name for name in set(old) | set(new) if old.get(name) != new.get(name)))


def _drop_none(value: Any) -> Any:
    # TOML has no null: a key without a value is simply absent.
    if isinstance(value, Mapping):
        return {str(k): _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_drop_none(v) for v in value if v is not None]
    return value


def to_toml(document: Mapping[str, Any], *, version: int | None = None) -> str:
    """*document* as TOML text (``config export``); keys without a value are left out."""
    head = "# Contact Center live configuration"
    head += f", version {version}\n" if version is not None else "\n"
    head += "# Apply with: contact-center config import FILE (validated; all or nothing)\n\n"
    return head + tomli_w.dumps(_drop_none(dict(document)))


def from_toml(text: str) -> Document:
    """Parse TOML text into a document.

    Raises:
        ValidationError: not TOML (the message says where).
    """
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError("document", f"not valid TOML: {exc}") from exc
