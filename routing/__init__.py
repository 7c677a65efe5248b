"""Routing: the right department, the right agent, and the supervisor's live queue view.

* :mod:`.rules` (pure) — which department, from a validated rule table (first match wins).
* :mod:`.selection` (pure) — which agent (strategies), and queue order (priority with aging).
* :mod:`.router` — queues, offers, timeouts, wrap-up, overflow, abandon; :mod:`.presence`,
  :mod:`.timers`, :mod:`.consumer` (bus events in), :mod:`.director` (the ``newCall`` reply).
* :mod:`.reservations` / :mod:`.redis_reservations` — the state and its atomic steps, in memory
  or in Redis (Lua), so several instances never give one contact to two agents.
* :mod:`.stats` (pure) and :mod:`.supervisor` — the live queue view, coalesced.
* :mod:`.http` — REST and the agent websocket commands; :mod:`.transfer` — handing a conversation on.

The plugin's entry point is :func:`register` (group ``contact_center.plugins``, name ``routing``).
"""

from __future__ import annotations

from aiohttp import web

from contact_center import keys
from routing import http, transfer
from routing.config import load_config
from routing.services import routing_ctx


def register(app: web.Application) -> None:
    """Validate ``[routing]`` (a bad rule table stops the start-up here), add routes and services."""
    config = load_config(app[keys.SETTINGS].section("routing"))
    http.register(app)
    transfer.register(app)
    app.cleanup_ctx.append(routing_ctx(config))
