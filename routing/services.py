"""Builds routing's services when the application starts and stops them at shutdown."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, cast

from aiohttp import web

from contact_center import keys
from contact_center.config.service import LiveConfig
from contact_center.inbox import INBOX
from routing.config import RoutingConfig
from routing.consumer import RoutingConsumer
from routing.customer_data import CustomerDataReader, CustomerDataSpec
from routing.director import RoutingCallDirector
from routing.facts import FactsBuilder
from routing.notifier import RoutingNotifier
from routing.presence import PresenceService
from routing.reservations import MemoryReservations, Reservations
from routing.router import Router
from routing.store import ConversationStatus, RoutingRepository
from routing.supervisor import SupervisorFeed
from routing.timers import TimerSweeper

if TYPE_CHECKING:
    import redis.asyncio as aioredis

log = logging.getLogger(__name__)
RESYNC_ATTEMPTS = 3  # a store or Redis hiccup during the resync; a new outage brings a new resync anyway


@dataclass
class RoutingServices:
    """Everything routing runs, for its HTTP handlers and for tests."""

    router: Router
    presence: PresenceService
    consumer: RoutingConsumer
    feed: SupervisorFeed
    sweeper: TimerSweeper
    director: RoutingCallDirector
    instance: str
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


    async def resync(self) -> None:
        """After the bus reconnected to Redis (which may have lost the routing state): agent
        profiles upserted again, this instance's connected agents registered with the presence
        they had, open conversations from the store tracked again (waiting ones re-enqueued,
        lost offers withdrawn, assigned ones adopted with their load), then a dispatch pass.
        Every step leaves alone what Redis still holds, so it is harmless after a mere blip."""
        router = self.router
        before = {user_id: replace(agent) for user_id, agent in router.agents.items()}
        for attempt in range(1, RESYNC_ATTEMPTS + 1):
            try:
                await router.load_org()
                restored = await self.presence.restore(before)
                rebuilt = await self.consumer.rebuild()
                break
            except Exception:
                if attempt == RESYNC_ATTEMPTS:
                    raise
                log.exception("resynchronising routing failed (attempt %d); trying again", attempt)
                await asyncio.sleep(attempt)
        log.warning("routing resynchronised with Redis: %d agents' presence restored, %d conversations tracked "
                    "again", restored, rebuilt)
        router.kick()


ROUTING = web.AppKey("routing", RoutingServices)


def _reservations(app: web.Application) -> Reservations:
    client = app[keys.REDIS]
    if client is None:
        return MemoryReservations()
    from routing.redis_reservations import RedisReservations

    return RedisReservations(cast("aioredis.Redis", client))


def build(app: web.Application, config: RoutingConfig, *, instance: str) -> RoutingServices:
    """Create (not start) routing's services from the application's core services."""
    db, bus = app[keys.DB], app[keys.BUS]
    repository = RoutingRepository(db)
    router = Router(config=config, reservations=_reservations(app), repository=repository,
                    conversations=ConversationStatus(app[INBOX]), notifier=RoutingNotifier(bus))
    presence = PresenceService(router=router, instance=instance)
    customer_data = CustomerDataReader(
        db=db, federation=app.get(keys.FEDERATION),
        spec=CustomerDataSpec.from_section(app[keys.SETTINGS].section("routing").get("customer_data", {})),
        timeout=config.customer_data_timeout)
    consumer = RoutingConsumer(router=router, facts=FactsBuilder(repository=repository, customer_data=customer_data))
    return RoutingServices(
        router=router, presence=presence, consumer=consumer,
        feed=SupervisorFeed(router=router, bus=bus, instance=instance),
        sweeper=TimerSweeper(router=router, presence=presence),
        director=RoutingCallDirector(router=router, consumer=consumer), instance=instance,
    )


async def _refresh_org(router: Router) -> None:
    while True:
        await asyncio.sleep(router.config.agent_refresh)
        try:
            await router.load_org()
        except Exception:
            log.exception("reloading agents and queues failed")


def routing_ctx(config: RoutingConfig | None = None) -> Callable[[web.Application], AsyncIterator[None]]:
    """The cleanup context: build, rebuild from the store, run the loops, stop them.

    Without *config*, the live configuration's ``routing`` section is used and followed: a new
    rule table or queue policy is in force for the next contact; a change of departments or users
    reloads the organisation at once.
    """

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        live = app[keys.LIVE_CONFIG]
        services = build(app, config or live.value("routing"), instance=secrets.token_hex(6))
        if config is None:
            follow_live(live, services.router)
        services.consumer.subscribe(app[keys.BUS])
        app[keys.BUS].on_reconnect(services.resync)
        await services.router.load_org()
        await services.consumer.rebuild()
        app[ROUTING] = services
        app[keys.CALL_DIRECTOR] = cast(Any, services.director)
        app[keys.SUPERVISOR_SNAPSHOT] = cast(Any, services.feed.snapshot)
        router = services.router
        services.tasks = [
            asyncio.create_task(router.run_dispatcher(), name="routing-dispatch"),
            asyncio.create_task(services.sweeper.run(services.router.config.sweep_interval), name="routing-timers"),
            asyncio.create_task(services.feed.run(), name="routing-supervisor-feed"),
            asyncio.create_task(_refresh_org(router), name="routing-org-refresh"),
        ]
        router.kick()
        yield
        await stop_tasks(services.tasks)
        await stop_tasks(list(services.consumer.pending()))

    return ctx


def follow_live(live: LiveConfig, router: Router) -> None:
    """Keep *router* on the live configuration: rules and policies, departments, agents."""

    def reconfigure(new: RoutingConfig) -> None:
        router.config = new
        router.kick()

    async def reload_org(_: object) -> None:
        await router.load_org()
        router.kick()

    live.on_change("routing", reconfigure)
    live.on_change("departments", reload_org)
    live.on_change("users", reload_org)


async def stop_tasks(tasks: list[asyncio.Task[None]], *, rounds: int = 20) -> None:
    """Cancel *tasks* until they are done.

    One cancel is not always enough: SQLAlchemy's pool logs and swallows a ``CancelledError``
    that lands while it resets a connection, and the loop would carry on.
    """
    for _ in range(rounds):
        pending = [t for t in tasks if not t.done()]
        if not pending:
            return
        for task in pending:
            task.cancel()
        await asyncio.wait(pending, timeout=0.5)
    log.error("routing tasks still running at shutdown: %s", [t.get_name() for t in tasks if not t.done()])
