"""Request authentication: who is behind this request's session cookie."""

from __future__ import annotations

from aiohttp import web

from contact_center import keys
from contact_center.auth.roles import Principal
from contact_center.auth.sessions import COOKIE_NAME, session_id
from contact_center.events import SessionsEnded

_PRINCIPAL = web.RequestKey("cc.principal", Principal)


async def current_user(request: web.Request, role: str = "agent") -> Principal:
    """The logged-in user, checked to have at least *role*.

    Raises:
        AuthError: not logged in or the session expired (401).
        Forbidden: logged in without the role (403).
    """
    principal: Principal | None = request.get(_PRINCIPAL)
    if principal is None:
        principal = await request.app[keys.SESSIONS].resolve(request.cookies.get(COOKIE_NAME))
        request[_PRINCIPAL] = principal
    principal.require(role)
    return principal


def request_session(request: web.Request) -> str | None:
    """The id of the session this request's cookie names (see :func:`session_id`), if any."""
    token = request.cookies.get(COOKIE_NAME)
    return session_id(token) if token else None


async def end_sessions(app: web.Application, user_id: int, *, reason: str, session: str | None = None) -> None:
    """Tell every instance that *user_id*'s session *session* (``None``: all of them) ended, so the
    websockets opened with it close at once. The caller has already removed the sessions from the store
    (``SessionRepository.logout`` / ``revoke_user``)."""
    await app[keys.BUS].publish(SessionsEnded(user_id=user_id, session=session, reason=reason))


def known_user(request: web.Request) -> Principal | None:
    """The user :func:`current_user` already resolved for this request, if any (no store read)."""
    return request.get(_PRINCIPAL)


def remote_address(request: web.Request) -> str | None:
    """The client address; from a trusted proxy, the last ``X-Forwarded-For`` hop (the one it added).

    The last hop, not the first: a proxy that appends keeps whatever the client sent in front,
    so earlier hops can be forged. Trusted proxies are loopback plus ``server.trusted_proxies``
    (a TOML list, or a comma-separated ``CC_SERVER__TRUSTED_PROXIES``).
    """
    forwarded = request.headers.get("X-Forwarded-For")
    if forwarded and request.remote in {"127.0.0.1", "::1"} | _trusted(request):
        return forwarded.split(",")[-1].strip() or request.remote
    return request.remote


def _trusted(request: web.Request) -> set[str]:
    raw = request.app[keys.SETTINGS].section("server").get("trusted_proxies", ())
    items = raw.split(",") if isinstance(raw, str) else raw  # a string from the environment
    return {str(item).strip() for item in items if str(item).strip()}
