"""Reading request bodies: JSON, url-encoded or multipart form data, size-limited, with errors that name the problem.

:func:`read_body` is the one body reader. JSON routes call it plain; the routes that speak
other systems' wire formats (the PBX hooks) also accept the form encodings and fields in the
query string ("URL variables"), because PBX scripts post whatever their HTTP library makes:

* ``application/json`` (or ``+json``): one JSON object;
* ``application/x-www-form-urlencoded``: ``a=1&user[]=x&user[]=y``;
* ``multipart/form-data`` (``curl --form``): read part by part from the stream, never held whole;
* the query string: its fields fill in what the body does not name (body fields win).

Form fields that repeat or end in ``[]`` (``user[]=a&user[]=b``) become lists under the bare
name, as Rails reads them. Anything unreadable is a :class:`MalformedBody` (400) saying what is
wrong, or :class:`PayloadTooLarge` (413); never an unhandled error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl

import orjson
from aiohttp import BodyPartReader, web

from contact_center.errors import MalformedBody, PayloadTooLarge, UnsupportedMediaType, ValidationError

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_MAX_PARTS = 200  # a PBX event has a dozen fields; more is not a form we want


async def read_body(request: web.Request, *, allow_form: bool = False, allow_query: bool = False) -> dict[str, Any]:
    """Parse a JSON object (or, when allowed, form data and query-string fields) from the request.

    Args:
        allow_form: accept url-encoded and multipart form bodies as well as JSON.
        allow_query: take fields from the query string too; a field in the body wins over the
            same field in the query string, and a request whose fields are all in the query
            string may have no body at all.

    Raises:
        PayloadTooLarge: over the application's ``client_max_size``.
        UnsupportedMediaType: not ``application/json`` (415) where forms are not allowed.
        MalformedBody: not valid JSON, not an object, broken form data, or (forms allowed) an unsupported
            content type.
    """
    query = _collect(request.query.items()) if allow_query else {}
    ctype = request.content_type
    if allow_form and ctype == "multipart/form-data":
        body = await _multipart(request)
    else:
        raw = await _read(request)
        if allow_form and ctype == "application/x-www-form-urlencoded":
            body = _form_from_bytes(raw)
        elif not raw.strip() and query:
            body = {}  # everything came as URL variables
        else:
            body = _json(raw, ctype, allow_form=allow_form)
    return {**query, **body} if query else body


async def _read(request: web.Request) -> bytes:
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge as exc:
        raise PayloadTooLarge(f"body larger than {request.app._client_max_size} bytes") from exc


def _json(raw: bytes, ctype: str, *, allow_form: bool) -> dict[str, Any]:
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


async def _multipart(request: web.Request) -> dict[str, Any]:
    """``multipart/form-data`` read part by part from the stream (the body is never read whole first)."""
    limit: int = request.app._client_max_size
    try:
        reader = await request.multipart()
    except (ValueError, AssertionError) as exc:  # no boundary, or one aiohttp will not use
        raise MalformedBody(f"multipart/form-data body without a usable boundary: {exc}") from exc
    pairs: list[tuple[str, str]] = []
    size = 0
    try:
        while True:
            part = await reader.next()
            if part is None:
                break
            if not isinstance(part, BodyPartReader):
                raise MalformedBody("nested multipart parts are not form fields")
            if len(pairs) >= _MAX_PARTS:
                raise MalformedBody(f"more than {_MAX_PARTS} form fields")
            name = part.name
            if not name:
                raise MalformedBody("a multipart part has no form field name (Content-Disposition name=)")
            data = bytearray()
            while chunk := await part.read_chunk():
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLarge(f"body larger than {limit} bytes")
                data.extend(chunk)
            pairs.append((name, _part_text(part, part.decode(bytes(data)))))
    except (ValueError, AssertionError, LookupError, RuntimeError) as exc:  # aiohttp's parse errors
        raise MalformedBody(f"multipart/form-data body is broken: {exc}") from exc
    return _collect(pairs)


def _part_text(part: BodyPartReader, data: bytes) -> str:
    charset = part.get_charset(default="utf-8")
    try:
        return data.decode(charset)
    except (UnicodeDecodeError, LookupError) as exc:
        raise MalformedBody(f"form field '{part.name}' is not valid {charset}") from exc


def _collect(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        name = key.removesuffix("[]")
        if name not in out:
            out[name] = [value] if key.endswith("[]") else value
            continue
        previous = out[name]
        out[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
    return out


# Ids and numbers the store can hold (a 64-bit signed integer); larger ones would overflow the driver.
INT_MIN, INT_MAX = -(2**63), 2**63 - 1


def path_int(request: web.Request, name: str = "id") -> int:
    """The whole-number path parameter *name* (``/conversations/{id}``), or 422 naming it."""
    raw = request.match_info[name]
    try:
        number = int(raw) if len(raw) <= 20 else None
    except ValueError as exc:
        raise ValidationError(name, f"'{name}' must be a whole number") from exc
    if number is None or not INT_MIN <= number <= INT_MAX:
        raise ValidationError(name, f"'{name}' is out of range")
    return number


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
    if not INT_MIN <= number <= INT_MAX:
        raise ValidationError(name, f"'{name}' is out of range")
    if (low is not None and number < low) or (high is not None and number > high):
        raise ValidationError(name, f"'{name}' must be between {low} and {high}")
    return number
