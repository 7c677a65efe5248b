"""Telephony connector: the generic CTI hook that PBXs post call events to.

* :mod:`.parse` (pure): CTI body -> the core's :class:`~contact_center.ingest.signals.CallSignal`;
  digests; PBX replies.
* :mod:`.agents`: PBX user names / extensions -> user ids.
* :mod:`.hook` + :mod:`.http`: ``POST /api/v1/cti/{token}``.
* :mod:`.simulator`: ``contact-center simulate`` plays a PBX against a running server.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiohttp import web

    from connectors.telephony.hook import TelephonyConfig
    from contact_center.config.pbx import PbxConnection
    from contact_center.config.service import ValidationContext
    from contact_center.settings import Settings


def register(app: web.Application) -> None:
    """Plugin entry point: the CTI route and the call store's services.

    The calls are stored by the core's ingest spine (:mod:`contact_center.ingest.calls`).
    """
    from connectors.telephony.http import register_routes
    from contact_center import keys

    register_routes(app)
    live = app[keys.LIVE_CONFIG]
    live.section("pbx", validate=_validate_pbx, bootstrap=_bootstrap_pbx)
    live.section("telephony", validate=_validate_telephony)
    app.cleanup_ctx.append(_telephony_ctx)


def _bootstrap_pbx(settings: Settings) -> list[dict[str, Any]]:
    from contact_center.config.pbx import bootstrap

    return bootstrap(settings.pbx)


def _validate_pbx(raw: Any, context: ValidationContext) -> tuple[PbxConnection, ...]:
    from contact_center.config.pbx import parse_connections

    return parse_connections(raw or [], departments=context.departments or None)


def _validate_telephony(raw: Any, context: ValidationContext) -> TelephonyConfig:
    from connectors.telephony.hook import TelephonyConfig
    from contact_center.customers.identity import normalise_phone

    region = context.settings.default_region
    return TelephonyConfig.from_section(raw or {}, lambda n: normalise_phone(n, region))


async def _telephony_ctx(app: web.Application) -> AsyncIterator[None]:
    from connectors.telephony.agents import AgentDirectory
    from connectors.telephony.hook import CtiHook
    from connectors.telephony.http import HOOK
    from contact_center import keys
    from contact_center.auth.users import UserDirectory
    from contact_center.ingest.calls import CallWriter

    customers = app[keys.CUSTOMERS]
    live = app[keys.LIVE_CONFIG]
    screenpop = app[keys.SCREENPOP]
    metrics = app[keys.METRICS]
    metrics.describe("cc_cti_events_total", "counter", "CTI events received by event and PBX")
    writer = CallWriter(app[keys.DB], process=app[keys.STORE_WRITER], audit_fallback=screenpop.record)
    await writer.start()
    directory = AgentDirectory(UserDirectory(app[keys.DB]))
    hook = CtiHook(
        pbxs=live.value("pbx"), writer=writer, directory=directory, customers=customers,
        bus=app[keys.BUS], config=live.value("telephony"),
        metrics=metrics, director=lambda: app.get(keys.CALL_DIRECTOR), pops=screenpop)
    app[HOOK] = hook
    live.on_change("pbx", lambda value: hook.reconfigure(pbxs=value))
    live.on_change("telephony", lambda value: hook.reconfigure(config=value))
    yield
    await hook.close()
    await writer.close()
    await directory.close()
