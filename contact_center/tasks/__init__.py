"""Tasks: callbacks from missed and abandoned calls, follow-ups on any conversation, and the
"missed call" notices on agents' desks.

* :mod:`.decide` (pure): whether a call asks for a callback, what an outcome does, follow-up times.
* :mod:`.store`: the ``task``, ``task_call`` and ``missed_call_notice`` rows; due tasks claimed safely
  with several instances.
* :mod:`.service`: the bus listener (missed calls, callback attempts), agents' actions, the scheduler.
* :mod:`.http`: the REST API and the wiring (``register``); the service is ``app[TASKS]``.

A callback is a conversation on the ``callback`` channel of :mod:`contact_center.channels`, so
routing, offers, capacity, the customer panel and the timeline treat it like any contact.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from contact_center.tasks.service import TaskService

TASKS: web.AppKey[TaskService] = web.AppKey("tasks")

__all__ = ["TASKS"]
