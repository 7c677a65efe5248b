"""Telephony connector: the generic CTI hook that PBXs post call events to.

* :mod:`.parse` (pure): CTI body -> the core's :class:`~contact_center.ingest.signals.CallSignal`;
  digests; PBX replies.
* :mod:`.agents`: PBX user names / extensions -> user ids.
* :mod:`.hook` + :mod:`.http`: ``POST /api/v1/cti/{token}``.
* :mod:`.simulator`: ``contact-center simulate`` plays a PBX against a running server.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aiohttp import web


def register(app: web.Application) -> None:
    """Plugin entry point: the CTI route and the call store's services.

    The calls are stored by the core's ingest spine (:mod:`contact_center.ingest.calls`).
    """
    from connectors.telephony.http import register_routes
    from contact_center.ingest.writer_process import preload

    preload()
    register_routes(app)
    app.cleanup_ctx.append(_telephony_ctx)


async def _telephony_ctx(app: web.Application) -> AsyncIterator[None]:
    from connectors.telephony.agents import AgentDirectory
    from connectors.telephony.hook import CtiHook, TelephonyConfig
    from connectors.telephony.http import HOOK
    from contact_center import keys
    from contact_center.auth.users import UserDirectory
    from contact_center.ingest.calls import CallWriter

    settings = app[keys.SETTINGS]
    customers = app[keys.CUSTOMERS]
    screenpop = app[keys.SCREENPOP]
    metrics = app[keys.METRICS]
    metrics.describe("cc_cti_events_total", "counter", "CTI events received by event and PBX")
    writer = CallWriter(app[keys.DB], audit_fallback=screenpop.record)
    await writer.start()
    directory = AgentDirectory(UserDirectory(app[keys.DB]))
    hook = CtiHook(
        pbxs=settings.pbx, writer=writer, directory=directory, customers=customers,
        bus=app[keys.BUS], config=TelephonyConfig.from_settings(settings, lambda n: customers.normalise("phone", n)),
        metrics=metrics, director=lambda: app.get(keys.CALL_DIRECTOR), pops=screenpop)
    app[HOOK] = hook
    yield
    await writer.close()
    await directory.close()
