"""Routing: the right department, the right agent, and the supervisor's live queue view.

* :mod:`.rules` (pure) — which department, from a validated rule table (first match wins).
* :mod:`.selection` (pure) — which agent (strategies), and queue order (priority with aging).
* :mod:`.router` — queues, offers, timeouts, wrap-up, overflow, abandon; :mod:`.presence`,
  :mod:`.timers`, :mod:`.consumer` (bus events in), :mod:`.director` (the ``newCall`` reply).
* :mod:`.reservations` / :mod:`.redis_reservations` — the state and its atomic steps, in memory
  or in Redis (Lua), so several instances never give one contact to two agents.
* :mod:`.stats` (pure) and :mod:`.supervisor` — the live queue view, coalesced.
* :mod:`.http` — REST and the agent websocket commands; :mod:`.transfer` — handing a conversation on;
  :mod:`.supervise` and :mod:`.floor` (pure) — the supervisor's actions from the wallboard.

The plugin's entry point is :func:`register` (group ``contact_center.plugins``, name ``routing``).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from contact_center import keys
from contact_center.config.service import ValidationContext
from routing import http, supervise, transfer
from routing.config import RoutingConfig, load_config
from routing.services import routing_ctx
from routing.try_it import register_try


def register(app: web.Application) -> None:
    """Validate ``[routing]`` (a bad rule table stops the start-up here), add routes and services.

    ``routing`` is a live section: the rule table, queue policies and timeouts can change while
    running (validated against the store's departments, the same way as at start-up).
    """
    load_config(app[keys.SETTINGS].section("routing"))
    app[keys.LIVE_CONFIG].section("routing", validate=validate_live)
    http.register(app)
    transfer.register(app)
    supervise.register(app)
    register_try(app)
    app.cleanup_ctx.append(routing_ctx())


def validate_live(raw: Any, context: ValidationContext) -> RoutingConfig:
    """The live ``routing`` section against the departments in the store."""
    return load_config(raw or {}, store_departments=context.departments)
