"""ICU message syntax as i18n.js reads it (tests only): arguments, plural/select options, errors."""

from __future__ import annotations

from dataclasses import dataclass, field


class IcuError(ValueError):
    pass


@dataclass
class Argument:
    name: str
    kind: str  # "", "number", "plural", "selectordinal", "select"
    options: dict[str, list[object]] = field(default_factory=dict)


def parse(text: str) -> list[object]:
    """Parts: strings, "#" markers and :class:`Argument`; raises :class:`IcuError` on bad syntax."""
    parts, at = _parts(text, 0, nested=False)
    if at != len(text):
        raise IcuError(f"unexpected '}}' at {at}")
    return parts


def _parts(text: str, i: int, *, nested: bool) -> tuple[list[object], int]:
    parts: list[object] = []
    buf = ""
    while i < len(text):
        c = text[i]
        if c == "{":
            if buf:
                parts.append(buf)
            buf = ""
            arg, i = _argument(text, i + 1)
            parts.append(arg)
        elif c == "}":
            if not nested:
                raise IcuError(f"unexpected '}}' at {i}")
            break
        elif c == "#" and nested:
            if buf:
                parts.append(buf)
            buf = ""
            parts.append("#")
            i += 1
        else:
            buf += c
            i += 1
    if buf:
        parts.append(buf)
    return parts, i


def _until(text: str, i: int, stops: str) -> tuple[str, int]:
    j = i
    while j < len(text) and text[j] not in stops:
        j += 1
    if j >= len(text):
        raise IcuError("unclosed '{'")
    return text[i:j].strip(), j


def _argument(text: str, i: int) -> tuple[Argument, int]:
    name, i = _until(text, i, ",}")
    if not name.isidentifier():
        raise IcuError(f"bad argument name {name!r}")
    if text[i] == "}":
        return Argument(name, ""), i + 1
    kind, i = _until(text, i + 1, ",}")
    if kind not in ("number", "plural", "selectordinal", "select"):
        raise IcuError(f"unknown argument type {kind!r}")
    if text[i] == "}":
        if kind != "number":
            raise IcuError(f"{kind} needs options")
        return Argument(name, kind), i + 1
    arg = Argument(name, kind)
    i += 1
    while True:
        selector, i = _until(text, i, "{}")
        if text[i] == "}":
            if selector:
                raise IcuError(f"option {selector!r} has no message")
            return arg, i + 1
        body, i = _parts(text, i + 1, nested=True)
        if i >= len(text):
            raise IcuError("unclosed option")
        arg.options[selector] = body
        i += 1


def arguments(parts: list[object]) -> dict[str, str]:
    """Every argument name in a message (nested ones too) with its kind."""
    found: dict[str, str] = {}
    for part in parts:
        if isinstance(part, Argument):
            found[part.name] = part.kind
            for body in part.options.values():
                found.update(arguments(body))
    return found


def plural_arguments(parts: list[object]) -> list[Argument]:
    out: list[Argument] = []
    for part in parts:
        if isinstance(part, Argument):
            if part.kind in ("plural", "selectordinal"):
                out.append(part)
            for body in part.options.values():
                out.extend(plural_arguments(body))
    return out

