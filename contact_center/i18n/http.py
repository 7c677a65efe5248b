"""The language of one HTTP request, for pages and texts the server renders for people."""

from __future__ import annotations

from aiohttp import web

from contact_center import keys
from contact_center.auth.sessions import COOKIE_NAME
from contact_center.errors import AuthError
from contact_center.i18n.negotiate import negotiate

_LANGUAGE = web.RequestKey("cc.language", str)


async def request_language(request: web.Request, *, with_user: bool = True) -> str:
    """The logged-in user's stored language, else the best of ``Accept-Language``, else the default.

    *with_user* False skips the session lookup (pages for visitors, such as the chat demo).
    """
    cached = request.get(_LANGUAGE)
    if cached is not None:
        return cached
    catalogs = request.app[keys.I18N]
    preference = None
    if with_user and request.cookies.get(COOKIE_NAME):
        try:
            preference = (await request.app[keys.SESSIONS].resolve(request.cookies.get(COOKIE_NAME))).language
        except AuthError:
            preference = None
    language = negotiate(preference=preference, accept_language=request.headers.get("Accept-Language"),
                         available=catalogs.languages, default=catalogs.default)
    request[_LANGUAGE] = language
    return language
