"""``GET /chat/widget.js`` (the embeddable widget), its catalogs and ``GET /chat/demo`` (a page embedding it).

The widget speaks the visitor's language: the embedding page's ``<html lang>`` (or the script's
``data-lang``), else the browser's languages. Its catalogs are ``static/i18n/<lang>.json``, served
at ``/chat/i18n/<lang>.json`` with CORS, since the widget runs on the customer's own website.
"""

from __future__ import annotations

import html
from pathlib import Path

from aiohttp import web

from contact_center import keys
from contact_center.i18n.http import request_language

STATIC = Path(__file__).with_name("static")
CATALOGS = STATIC / "i18n"

_DEMO = """<!doctype html>
<html lang="{lang}" dir="{dir}"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body>
<h1>{shop}</h1>
<p>{embeds}</p>
<pre dir="ltr">&lt;script src="{src}" data-topic="{topic}" async&gt;&lt;/script&gt;</pre>
<p>{how}</p>
<script src="/chat/widget.js" data-topic="{topic}"></script>
</body></html>
"""

# The demo page runs only the widget from this origin; the widget adds its own <style> element.
DEMO_HEADERS = {
    "Content-Security-Policy": "; ".join((
        "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data:",
        "connect-src 'self' ws: wss:", "object-src 'none'", "base-uri 'none'", "form-action 'self'",
        "frame-ancestors 'none'")),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Vary": "Accept-Language",
}


async def widget(request: web.Request) -> web.Response:
    body = (STATIC / "widget.js").read_bytes()
    return web.Response(body=body, content_type="application/javascript", charset="utf-8",
                        headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"})


async def catalog(request: web.Request) -> web.Response:
    """``GET /chat/i18n/{lang}.json``: the widget's messages in one language."""
    lang = request.match_info["lang"]
    path = CATALOGS / f"{lang}.json"
    if not lang.isalpha() or not path.is_file():
        raise web.HTTPNotFound(headers={"Access-Control-Allow-Origin": "*"})
    return web.Response(body=path.read_bytes(), content_type="application/json", charset="utf-8",
                        headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"})


async def demo(request: web.Request) -> web.Response:
    """A shop page in the visitor's language (``Accept-Language``) with the widget on it."""
    tr = request.app[keys.I18N].translator(await request_language(request, with_user=False))
    topic = html.escape(request.query.get("topic", "sales"))[:64]
    src = html.escape(f"{request.app[keys.SETTINGS].public_url}/chat/widget.js")
    page = _DEMO.format(
        lang=tr.language, dir=tr.direction, src=src, topic=topic,
        title=html.escape(tr.gettext("Chat demo")), shop=html.escape(tr.gettext("Example shop")),
        embeds=html.escape(tr.gettext("This page embeds the contact center's chat widget with one line:")),
        how=html.escape(tr.gettext("Open the chat in the corner of the page, write, reload the page: "
                                   "the conversation stays. Agents answer from the desk.")))
    return web.Response(text=page, content_type="text/html", headers=DEMO_HEADERS)


def register_pages(app: web.Application) -> None:
    """Add the widget, catalog and demo routes."""
    app.router.add_get("/chat/widget.js", widget)
    app.router.add_get("/chat/i18n/{lang}.json", catalog)
    app.router.add_get("/chat/demo", demo)
    api = app[keys.API]
    api.add("GET", "/chat/widget.js", summary="The embeddable chat widget (JavaScript)", tag="chat", auth="none")
    api.add("GET", "/chat/i18n/{lang}.json", summary="The chat widget's messages in one language (CORS)",
            tag="chat", auth="none", errors=(404,),
            parameters=[{"name": "lang", "in": "path", "required": True, "description": "A language code (en, el, …)",
                         "schema": {"type": "string"}}])
    api.add("GET", "/chat/demo", summary="A demo page embedding the chat widget, in the visitor's language",
            tag="chat", auth="none")
