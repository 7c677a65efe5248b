"""Reading request bodies: JSON or form data, size-limited, with errors that name the field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

import orjson
from aiohttp import web

from contact_center.errors import MalformedBody, PayloadTooLarge, UnsupportedMediaType, ValidationError

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def read_body(request: web.Request, *, allow_form: bool = False) -> dict[str, Any]:
    """Parse a JSON object (or, when allowed, form data) from the request.

    Form fields that repeat or end in ``[]`` (``user[]=a&user[]=b``) become lists under the
    bare name.

    Raises:
        PayloadTooLarge: over the application's ``client_max_size``.
        UnsupportedMediaType: not ``application/json`` (415) where forms are not allowed.
        MalformedBody: not valid JSON, not an object, or (forms allowed) an unsupported content type.
    """
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge as exc:
        raise PayloadTooLarge(f"body larger than {request.app._client_max_size} bytes") from exc
    ctype = request.content_type
    if allow_form and ctype in FORM_TYPES:
        return _form(await request.post()) if ctype == "multipart/form-data" else _form_from_bytes(raw)
    if allow_form and ctype not in ("application/json", "application/octet-stream", "") \
            and not ctype.endswith("+json"):
        raise MalformedBody(f"expected application/json or form data, got {ctype}")
    if not allow_form:
        require_json(ctype)
    return json_object(raw)


def require_json(ctype: str) -> None:
    """Refuse a body that is not sent as JSON.

    Raises:
        UnsupportedMediaType: *ctype* is not ``application/json`` (or ``…+json``).
    """
    if ctype != "application/json" and not ctype.endswith("+json"):
        # Only JSON: a form or text/plain body is what a cross-site page can send without asking.
        raise UnsupportedMediaType(f"expected Content-Type application/json, got {ctype or 'none'}")


def json_object(raw: bytes) -> dict[str, Any]:
    """Parse *raw* as one JSON object.

    Raises:
        MalformedBody: empty, not valid JSON, or not an object.
    """
    if not raw:
        raise MalformedBody("empty body; expected a JSON object")
    try:
        doc = orjson.loads(raw)  # a fifth of json.loads' time; strict RFC 8259 (no NaN, UTF-8 only)
    except orjson.JSONDecodeError as exc:
        raise MalformedBody(f"body is not valid JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise MalformedBody("body must be a JSON object")
    return doc


def _form_from_bytes(raw: bytes) -> dict[str, Any]:
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError as exc:
        raise MalformedBody("form body is not UTF-8") from exc
    return _collect(pairs)


def _form(data: Mapping[str, Any]) -> dict[str, Any]:
    return _collect((k, v) for k, v in data.items() if isinstance(v, str))  # type: ignore[attr-defined]


def _collect(pairs: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        name = key.removesuffix("[]")
        if name not in out:
            out[name] = [value] if key.endswith("[]") else value
            continue
        previous = out[name]
        out[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
    return out


def path_int(request: web.Request, name: str = "id") -> int:
    """The whole-number path parameter *name* (``/conversations/{id}``), or 422 naming it."""
    try:
        return int(request.match_info[name])
    except ValueError as exc:
        raise ValidationError(name, f"'{name}' must be a whole number") from exc


def require_str(body: Mapping[str, Any], name: str, *, max_len: int = 1000, allow_empty: bool = False) -> str:
    """The string field *name*, or :class:`ValidationError` naming it."""
    value = body.get(name)
    if value is None or (value == "" and not allow_empty):
        raise ValidationError(name, f"'{name}' is required")
    if not isinstance(value, str):
        raise ValidationError(name, f"'{name}' must be a string")
    if len(value) > max_len:
        raise ValidationError(name, f"'{name}' is longer than {max_len} characters")
    return value


def optional_str(body: Mapping[str, Any], name: str, *, max_len: int = 1000) -> str | None:
    """The string field *name* when present and non-empty, else ``None``."""
    if body.get(name) in (None, ""):
        return None
    return require_str(body, name, max_len=max_len)


def optional_int(body: Mapping[str, Any], name: str, *, low: int | None = None, high: int | None = None) -> int | None:
    value = body.get(name)
    if value in (None, ""):
        return None
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise ValidationError(name, f"'{name}' must be a whole number")  # int() would quietly truncate
    try:
        number = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise ValidationError(name, f"'{name}' must be a whole number") from exc
    if (low is not None and number < low) or (high is not None and number > high):
        raise ValidationError(name, f"'{name}' must be between {low} and {high}")
    return number
