"""Wires customers, the source federation and the screen pop into the application.

``create_app`` calls :func:`register`: it adds the customer and history routes and a
``cleanup_ctx`` that builds the services (after the store and the bus exist, before the bus
starts) and stores them under :data:`keys.CUSTOMERS`, :data:`keys.FEDERATION` and
:data:`keys.SCREENPOP`. It also installs the ``pick_customer`` agent command.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from contact_center import keys
from contact_center.customers import http as customers_http
from contact_center.customers.repository import CustomerRepository
from contact_center.screenpop import http as screenpop_http
from contact_center.screenpop.config import ScreenPopConfig
from contact_center.screenpop.reader import AheadReader
from contact_center.screenpop.service import ScreenPopService
from contact_center.sources.federation import SourceFederation


def register(app: web.Application) -> None:
    """Add routes now (the router freezes at start-up) and the services' cleanup context."""
    ScreenPopConfig.from_settings(app[keys.SETTINGS])  # fail at build time on a bad configuration
    customers_http.register(app)
    screenpop_http.register(app)
    app.cleanup_ctx.append(screenpop_ctx)


async def screenpop_ctx(app: web.Application) -> AsyncIterator[None]:
    """Create, start and finally close the customer, federation and screen-pop services."""
    settings = app[keys.SETTINGS]
    config = ScreenPopConfig.from_settings(settings)
    db = app[keys.DB]
    customers = CustomerRepository(db, default_region=settings.default_region)
    federation = SourceFederation(config.specs, ttl_seconds=config.cache_ttl_seconds,
                                  late_limit_seconds=config.late_result_seconds)
    await federation.start()
    reader = AheadReader.for_store(db, customers)
    service = ScreenPopService(db=db, bus=app[keys.BUS], customers=customers, federation=federation,
                               config=config, audit=app[keys.AUDIT], local=lambda: app.get(keys.LOCAL_DELIVERY),
                               reader=reader)
    service.start()
    app[keys.CUSTOMERS] = customers
    app[keys.FEDERATION] = federation
    app[keys.SCREENPOP] = service
    app[keys.AGENT_COMMANDS]["pick_customer"] = service.pick_command
    yield
    await service.close()
    if reader is not None:
        await reader.close()
    await federation.close()
