"""Secrets in the live configuration: passwords encrypted at rest, PBX tokens hashed.

Mailbox passwords must be reused (the product logs in to IMAP and SMTP with them), so they are
encrypted with Fernet (AES-128-CBC + HMAC-SHA256) under the instance key: ``[server] secret_key``
(``CC_SERVER__SECRET_KEY``; every instance of one deployment needs the same), else a key file
``<data_dir>/secret.key`` created on first use with mode 0600. PBX tokens need only be
recognised, so only their SHA-256 is kept, with a short hint (the first characters) to tell
them apart. Neither is ever returned by the API: :func:`mask` replaces them with
``password_set`` / the token hints.

In a document, any ``password`` key is the clear text (from the TOML file or a form) and
``password_encrypted`` the sealed form; :func:`seal` turns the first into the second and
:func:`reveal` back.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from contact_center.errors import ConfigError, ValidationError
from contact_center.settings import Settings

CLEAR = "password"
SEALED = "password_encrypted"
PREFIX = "fernet:"


class SecretBox:
    """Encrypts and decrypts configuration secrets under one instance key."""

    def __init__(self, key_material: str) -> None:
        digest = hashlib.sha256(key_material.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    def __repr__(self) -> str:
        return "SecretBox(***)"

    @classmethod
    def for_settings(cls, settings: Settings) -> SecretBox:
        """The box of this deployment: ``[server] secret_key``, else the data directory's key file."""
        configured = str(settings.section("server").get("secret_key", "") or "")
        if configured:
            return cls(configured)
        path = settings.data_dir / "secret.key"
        return cls(_key_file(path))

    def encrypt(self, clear: str) -> str:
        return PREFIX + self._fernet.encrypt(clear.encode()).decode()

    def decrypt(self, sealed: str, *, where: str) -> str:
        """The clear text of *sealed*.

        Raises:
            ValidationError: not sealed by this deployment's key (named by *where*).
        """
        try:
            return self._fernet.decrypt(sealed.removeprefix(PREFIX).encode()).decode()
        except (InvalidToken, ValueError) as exc:
            raise ValidationError(where, f"{where} was encrypted with another key; enter the password again") from exc


def _key_file(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise ConfigError(f"cannot read the secret key file {path}: {exc}") from exc
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return key


def _walk(value: Any, change: Any, where: str) -> Any:
    if isinstance(value, Mapping):
        return change({k: _walk(v, change, f"{where}.{k}") for k, v in value.items()}, where)
    if isinstance(value, list | tuple):
        return [_walk(v, change, f"{where}[{i}]") for i, v in enumerate(value)]
    return value


def seal(document: Mapping[str, Any], box: SecretBox) -> dict[str, Any]:
    """*document* with every clear ``password`` encrypted (an empty one is dropped)."""

    def change(table: dict[str, Any], where: str) -> dict[str, Any]:
        if CLEAR in table:
            clear = table.pop(CLEAR)
            if clear:
                table[SEALED] = box.encrypt(str(clear))
        return table

    return {name: _walk(section, change, name) for name, section in document.items()}


def reveal(document: Mapping[str, Any], box: SecretBox) -> dict[str, Any]:
    """*document* with every sealed password decrypted back to ``password`` (for validators and services)."""

    def change(table: dict[str, Any], where: str) -> dict[str, Any]:
        if SEALED in table:
            table[CLEAR] = box.decrypt(str(table.pop(SEALED)), where=f"{where}.password")
        return table

    return {name: _walk(section, change, name) for name, section in document.items()}


def mask(document: Mapping[str, Any]) -> dict[str, Any]:
    """What the API shows: no password in any form (``password_set`` says whether one is there),
    PBX tokens as their hints only."""

    def change(table: dict[str, Any], where: str) -> dict[str, Any]:
        if CLEAR in table or SEALED in table:
            table["password_set"] = bool(table.pop(CLEAR, None) or table.pop(SEALED, None))
        if "token" in table:
            table.pop("token")
        if "sha256" in table:
            table.pop("sha256")
        return table

    return {name: _walk(section, change, name) for name, section in document.items()}


def keep_passwords(new: Mapping[str, Any], old: Mapping[str, Any], *, key: str = "name") -> dict[str, Any]:
    """*new* (a table or list of named tables from a form) keeping *old*'s sealed password where the
    form left the password out: an admin who edits a mailbox's host does not retype its password."""

    def merge(table: Mapping[str, Any], before: Mapping[str, Any] | None) -> dict[str, Any]:
        out = dict(table)
        if not out.get(CLEAR) and before is not None and SEALED in before and not out.pop("clear_password", False):
            out.pop(CLEAR, None)
            out[SEALED] = before[SEALED]
        out.pop("password_set", None)
        return out

    result: dict[str, Any] = {}
    for name, value in new.items():
        previous = old.get(name)
        if isinstance(value, list) and isinstance(previous, list):
            by_key = {str(p.get(key)): p for p in previous if isinstance(p, Mapping)}
            result[name] = [merge(v, by_key.get(str(v.get(key)))) if isinstance(v, Mapping) else v for v in value]
        elif isinstance(value, Mapping):
            result[name] = merge(value, previous if isinstance(previous, Mapping) else None)
        else:
            result[name] = value
    return result


def hash_token(token: str) -> str:
    """The hex SHA-256 a PBX token is stored and recognised as."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A fresh PBX token (URL-safe, 192 bits)."""
    return secrets.token_urlsafe(24)
