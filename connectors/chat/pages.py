"""``GET /chat/widget.js`` (the embeddable widget) and ``GET /chat/demo`` (a page embedding it)."""

from __future__ import annotations

import html
from pathlib import Path

from aiohttp import web

from contact_center import keys

STATIC = Path(__file__).with_name("static")

_DEMO = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Chat demo</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body>
<h1>Example shop</h1>
<p>This page embeds the contact center's chat widget with one line:</p>
<pre>&lt;script src="{src}" data-topic="{topic}" async&gt;&lt;/script&gt;</pre>
<p>Open the chat at the bottom right, write, reload the page: the conversation stays.
Agents answer from the desk.</p>
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
}


async def widget(request: web.Request) -> web.Response:
    body = (STATIC / "widget.js").read_bytes()
    return web.Response(body=body, content_type="application/javascript", charset="utf-8",
                        headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"})


async def demo(request: web.Request) -> web.Response:
    topic = html.escape(request.query.get("topic", "sales"))[:64]
    src = html.escape(f"{request.app[keys.SETTINGS].public_url}/chat/widget.js")
    return web.Response(text=_DEMO.format(src=src, topic=topic), content_type="text/html", headers=DEMO_HEADERS)


def register_pages(app: web.Application) -> None:
    """Add the widget and demo routes."""
    app.router.add_get("/chat/widget.js", widget)
    app.router.add_get("/chat/demo", demo)
    api = app[keys.API]
    api.add("GET", "/chat/widget.js", summary="The embeddable chat widget (JavaScript)", tag="chat", auth="none")
    api.add("GET", "/chat/demo", summary="A demo page embedding the chat widget", tag="chat", auth="none")
