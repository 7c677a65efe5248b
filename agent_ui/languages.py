"""The screens' languages: which ones the browser catalogs offer, and the page shell that names one.

A language is offered when both the server's gettext catalog (``contact_center/i18n/locales``) and
the browser's JSON catalog (``agent_ui/static/i18n/<lang>.json``) exist. Each screen's HTML is sent
with ``<html lang dir data-languages>`` already set to the request's language (the user's choice,
else ``Accept-Language``, else ``[i18n] default_language``), so ``i18n.js`` loads the right catalog
first and right-to-left pages never flash left to right.
"""

from __future__ import annotations

import html
from functools import lru_cache
from pathlib import Path

from aiohttp import web

from contact_center import keys
from contact_center.i18n.http import request_language
from contact_center.i18n.negotiate import direction

CATALOGS = Path(__file__).with_name("static") / "i18n"
SHELL = '<html lang="en">'


def browser_languages(app: web.Application) -> tuple[str, ...]:
    """The languages with both catalogs, in the server's order."""
    return tuple(lang for lang in app[keys.I18N].languages if (CATALOGS / f"{lang}.json").is_file())


async def localised_page(request: web.Request, path: Path) -> str:
    """*path*'s HTML with its ``<html lang="en">`` replaced by the request's language and direction."""
    language = await request_language(request)
    offered = browser_languages(request.app)
    if language not in offered:
        language = request.app[keys.I18N].default
    text = _shell(path)
    tag = (f'<html lang="{html.escape(language)}" dir="{direction(language)}" '
           f'data-languages="{html.escape(" ".join(offered))}" data-i18n-pending>')
    return text.replace(SHELL, tag, 1)


@lru_cache(maxsize=16)
def _shell(path: Path) -> str:
    # The pages are part of the installed package: read once per process.
    return path.read_text(encoding="utf-8")
