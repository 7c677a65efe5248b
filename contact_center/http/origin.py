"""Cross-site request forgery protection: the Origin check and JSON-only bodies.

SameSite cookies alone do not stop a page on a sibling subdomain (same *site*, other *origin*,
for example a chat widget's host) from posting with the agent's cookie. So every state-changing
request (``POST``, ``PUT``, ``PATCH``, ``DELETE``) must name an allowed origin in ``Origin`` (or,
from a browser that sent none, in ``Referer``); a request naming neither is refused too. Allowed
are the public URL's origin, the origins in ``[server] allowed_origins`` and the origin the request
itself was addressed to (same-origin).

Websocket handshakes (``/ws/agent``, ``/ws/supervisor``) carry the session cookie as well: a
handshake naming another origin is refused. Browsers always send ``Origin`` on a websocket
handshake, so one without it comes from a program, not a page, and is let through.

Machine-to-machine endpoints authenticated by a token of their own (the PBX hook, sipgate.io, the
API channel's inbound messages) and endpoints with their own origin list (the chat widget's
``/chat/ws``, ``[chat] allowed_origins``) are marked with :func:`csrf_exempt`.

Tests and scripts acting as a browser send ``Origin: <the server's base URL>`` (the shared
``RunningApp.session()``/``login()`` clients do) and ``Content-Type: application/json``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Middleware

from contact_center import keys
from contact_center.errors import Forbidden

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_EXEMPT = "__cc_csrf_exempt__"

H = TypeVar("H", bound=Callable[..., Awaitable[web.StreamResponse]])


def csrf_exempt(handler: H) -> H:
    """Mark *handler* as not subject to the Origin check (token-authenticated machine endpoints)."""
    setattr(handler, _EXEMPT, True)
    return handler


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of *url* (lower-cased, default ports dropped), or ``None``."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https", "ws", "wss") or not parts.hostname:
        return None
    port = parts.port
    default = {"http": 80, "https": 443, "ws": 80, "wss": 443}[parts.scheme]
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def allowed_origins(public_url: str, extra: Iterable[str]) -> frozenset[str]:
    """The configured origins: the public URL's and every one in *extra*."""
    found = (origin_of(u) for u in (public_url, *extra))
    return frozenset(o for o in found if o)


def origin_allowed(*, claimed: str | None, allowed: frozenset[str], own: str | None) -> bool:
    """Whether a request claiming to come from *claimed* may act (``None``: it named no origin)."""
    return claimed is not None and (claimed in allowed or claimed == own)


def claimed_origin(request: web.Request) -> str | None:
    """The origin a request names: ``Origin``, else the ``Referer``'s; ``None`` when it names none.

    ``Origin: null`` (a sandboxed frame, a privacy-stripped redirect) names no allowed origin and
    comes back as ``"null"``.
    """
    header = request.headers.get("Origin")
    if header is not None:
        return "null" if header.strip() == "null" else (origin_of(header) or "null")
    referer = request.headers.get("Referer")
    return origin_of(referer) if referer else None


def _own_origin(request: web.Request) -> str | None:
    return origin_of(f"{request.scheme}://{request.host}") if request.host else None


def _configured(app: web.Application) -> frozenset[str]:
    settings = app[keys.SETTINGS]
    raw = settings.section("server").get("allowed_origins", ())
    items = raw.split(",") if isinstance(raw, str) else raw
    return allowed_origins(settings.public_url, (str(i) for i in items if str(i).strip()))


def check_origin(request: web.Request, allowed: frozenset[str] | None = None) -> None:
    """Raise :class:`Forbidden` unless the request names an allowed origin (see the module docstring)."""
    claimed = claimed_origin(request)
    websocket = request.headers.get("Upgrade", "").lower() == "websocket"
    if websocket and claimed is None:
        return
    if not origin_allowed(claimed=claimed, allowed=allowed if allowed is not None else _configured(request.app),
                          own=_own_origin(request)):
        raise Forbidden(f"cross-origin request refused (Origin {claimed or 'missing'}); send the Origin of "
                        "the public URL or one in [server] allowed_origins")


def origin_middleware() -> Middleware:
    """Check the Origin of every state-changing request and websocket handshake not marked exempt."""

    @web.middleware
    async def middleware(request: web.Request,
                         handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
        checked = request.method in STATE_CHANGING or request.headers.get("Upgrade", "").lower() == "websocket"
        matched = request.match_info.http_exception is None  # no route: the 404/405 answers anyway
        if checked and matched and not getattr(request.match_info.handler, _EXEMPT, False):
            check_origin(request)
        return await handler(request)

    return middleware
