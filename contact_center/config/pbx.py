"""PBX connections in the live configuration: who may post CTI events, recognised by token hash.

The ``pbx`` section is a list of tables::

    [[pbx]]
    name = "main"
    default_department = "service"
    token = "..."            # clear text only in a bootstrap file; stored as its hash
    route_inbound = false    # and caller_id_routes, default_caller_id, voicemail_names: see
                             # contact_center.settings.PbxSettings (the same checks as the file)

    # stored form: tokens = [{sha256 = "…", hint = "AbC1", created_at = 1765000000.0,
    #                         expires_at = 1765086400.0}]   # an old token during a rotation

A rotation adds a new token and gives the previous ones an ``expires_at`` (the overlap window) so
the PBX can be switched over without losing a call. Pure apart from the clock passed in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from contact_center.config.secrets import hash_token
from contact_center.errors import ConfigError, ValidationError
from contact_center.settings import CallerIdRoute, PbxSettings, pbx_options

_NAME = re.compile(r"^[a-zA-Z0-9_.-]{1,64}$")
HINT_CHARS = 4


@dataclass(frozen=True)
class PbxToken:
    sha256: str
    hint: str
    created_at: float = 0.0
    expires_at: float | None = None

    def valid_at(self, now: float) -> bool:
        return self.expires_at is None or now < self.expires_at


@dataclass(frozen=True)
class PbxConnection:
    """One telephone system allowed to post CTI events, and how its calls are handled
    (the fields of :class:`~contact_center.settings.PbxSettings`, with token hashes for the token)."""

    name: str
    default_department: str | None = None
    tokens: tuple[PbxToken, ...] = ()
    route_inbound: bool = False
    caller_id_routes: tuple[CallerIdRoute, ...] = ()
    default_caller_id: str | None = None
    voicemail_names: frozenset[str] = frozenset({"voicemail"})

    def __repr__(self) -> str:
        return f"PbxConnection(name={self.name!r}, tokens={len(self.tokens)})"


def token_entry(token: str, *, now: float) -> dict[str, Any]:
    """The stored form of a new clear-text token."""
    return {"sha256": hash_token(token), "hint": token[:HINT_CHARS], "created_at": now}


def hash_clear_tokens(section: Sequence[Mapping[str, Any]], *, now: float) -> list[dict[str, Any]]:
    """The ``pbx`` list with any clear ``token`` moved into ``tokens`` as its hash."""
    out = []
    for item in section:
        entry = dict(item)
        clear = entry.pop("token", None)
        if clear:
            tokens = [t for t in entry.get("tokens", []) if t.get("sha256") != hash_token(str(clear))]
            entry["tokens"] = [token_entry(str(clear), now=now), *tokens]
        out.append(entry)
    return out


def bootstrap(pbxs: Iterable[PbxSettings]) -> list[dict[str, Any]]:
    """The ``pbx`` section of the bootstrap file, tokens already hashed."""
    return [{"name": p.name, "default_department": p.default_department,
             "tokens": [token_entry(p.token.reveal(), now=0.0)], "route_inbound": p.route_inbound,
             "caller_id_routes": [{"dest": r.dest, "caller_id": r.caller_id} for r in p.caller_id_routes],
             "default_caller_id": p.default_caller_id, "voicemail_names": sorted(p.voicemail_names)}
            for p in pbxs]


def rotate(section: Sequence[Mapping[str, Any]], name: str, token: str, *, now: float,
           overlap_seconds: float) -> list[dict[str, Any]]:
    """*section* with a new token for PBX *name*; its current tokens expire after the overlap.

    Raises:
        ValidationError: no PBX has that name.
    """
    out, found = [], False
    for item in section:
        entry = dict(item)
        if entry.get("name") == name:
            found = True
            old = [{**t, "expires_at": min(t.get("expires_at") or now + overlap_seconds, now + overlap_seconds)}
                   for t in entry.get("tokens", []) if (t.get("expires_at") or now + 1) > now]
            entry["tokens"] = [token_entry(token, now=now), *old]
        out.append(entry)
    if not found:
        raise ValidationError("name", f"no PBX is called {name!r}")
    return out


def parse_connections(raw: Any, *, departments: frozenset[str] | None) -> tuple[PbxConnection, ...]:
    """Validate the ``pbx`` section.

    Raises:
        ValidationError: naming the entry and key (``pbx[0].name`` …).
    """
    if not isinstance(raw, list | tuple):
        raise ValidationError("pbx", "pbx must be a list of tables ([[pbx]])")
    seen: set[str] = set()
    out = []
    for i, item in enumerate(raw):
        where = f"pbx[{i}]"
        if not isinstance(item, Mapping):
            raise ValidationError(where, f"{where} must be a table")
        name = str(item.get("name", ""))
        if not _NAME.match(name):
            raise ValidationError(f"{where}.name", f"{where}.name must be 1-64 letters, digits or . _ -")
        if name in seen:
            raise ValidationError(f"{where}.name", f"two PBXs are called {name!r}")
        seen.add(name)
        department = item.get("default_department") or None
        if department is not None and departments is not None and department not in departments:
            raise ValidationError(f"{where}.default_department", f"unknown department {department!r}")
        tokens = []
        for j, token in enumerate(item.get("tokens", [])):
            sha = str(token.get("sha256", "")) if isinstance(token, Mapping) else ""
            if not re.fullmatch(r"[0-9a-f]{64}", sha):
                raise ValidationError(f"{where}.tokens[{j}]", f"{where}.tokens[{j}] must hold a sha256 hash")
            expires = token.get("expires_at")
            tokens.append(PbxToken(sha, str(token.get("hint", "")), float(token.get("created_at", 0.0)),
                                   float(expires) if expires is not None else None))
        try:
            options = pbx_options(item, where)
        except ConfigError as exc:
            raise ValidationError(exc.message.split(" ")[0], exc.message) from exc
        out.append(PbxConnection(name, department, tuple(tokens), **options))
    return tuple(out)


class PbxTokens:
    """Finds the PBX a hook token belongs to (by its hash; expired rotation tokens no longer count)."""

    def __init__(self, connections: Iterable[PbxConnection]) -> None:
        self._by_hash = {t.sha256: (t, c) for c in connections for t in c.tokens}

    def find(self, token: str, *, now: float) -> PbxConnection | None:
        hit = self._by_hash.get(hash_token(token))
        if hit is None or not hit[0].valid_at(now):
            return None
        return hit[1]
