"""The screen-pop benchmark's bare baseline server (``bench/screenpop.py`` starts it as its own process).

Run by hand: ``.venv/bin/python bench/screenpop_bare.py PORT``.
"""

from __future__ import annotations

import sys
from typing import Any

from aiohttp import web


def run_bare_server(port: int) -> None:
    """A bare aiohttp app: /ws keeps one socket; POST /answer sends it the canned frame; POST /hook answers {}.

    ``/ws?deflate=0`` opens the socket as the product's agent socket does (no per-message
    deflate); ``/ws`` takes aiohttp's default (deflate when the client offers it).
    """
    state: dict[str, Any] = {"ws": None, "frame": "{}"}

    async def ws_handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(compress=request.query.get("deflate") != "0")
        await ws.prepare(request)
        state["ws"] = ws
        async for _ in ws:
            pass
        return ws

    async def canned(request: web.Request) -> web.Response:
        state["frame"] = await request.text()
        return web.json_response({})

    async def answer(request: web.Request) -> web.Response:
        body = await request.json()
        await state["ws"].send_str(state["frame"].replace("__CALL__", body["callId"]))
        return web.json_response({})

    async def hook(request: web.Request) -> web.Response:
        await request.json()
        return web.json_response({})

    app = web.Application()
    app.router.add_get("/ws", ws_handler)
    app.router.add_post("/canned", canned)
    app.router.add_post("/answer", answer)
    app.router.add_post("/hook", hook)
    web.run_app(app, host="127.0.0.1", port=port, print=lambda _m: None, access_log=None)


if __name__ == "__main__":
    run_bare_server(int(sys.argv[1]))
