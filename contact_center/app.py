"""The aiohttp application factory: wires the core services and loads the channel plugins.

The core never imports ``connectors``, ``routing`` or ``agent_ui``; they are plugins found
through the ``contact_center.plugins`` entry-point group (see ``pyproject.toml``). Each plugin is
a ``register(app)`` function that adds its routes and its own ``cleanup_ctx`` services.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from importlib.metadata import entry_points

from aiohttp import web

from contact_center import keys
from contact_center.audit import http as audit_http
from contact_center.audit.log import AuditLog
from contact_center.auth.policy import DEFAULT_MIN_LENGTH
from contact_center.auth.sessions import SessionRepository
from contact_center.bus.memory import MemoryBus
from contact_center.config import http as config_http
from contact_center.config.service import LiveConfig
from contact_center.customers.identity import normalise_phone
from contact_center.http import routes as core_routes
from contact_center.http.auth import end_sessions
from contact_center.http.metrics import Metrics
from contact_center.http.middleware import error_middleware
from contact_center.http.openapi import ApiDocument
from contact_center.http.origin import origin_middleware
from contact_center.i18n.catalogs import Catalogs
from contact_center.inbox import http as inbox_http
from contact_center.ingest.writer_process import WriterProcess, preload, writes_in_process
from contact_center.org import http as org_http
from contact_center.org.departments import DepartmentRepository
from contact_center.org.users import UserAdmin
from contact_center.privacy import http as privacy_http
from contact_center.screenpop import wiring as screenpop_wiring
from contact_center.settings import Settings
from contact_center.sources import admin_http as sources_http
from contact_center.store.migrate import upgrade
from contact_center.store.session import Database
from contact_center.tasks import http as tasks_http

log = logging.getLogger(__name__)

Plugin = Callable[[web.Application], None]
PLUGIN_GROUP = "contact_center.plugins"


def discover_plugins(enabled: Iterable[str] = ()) -> list[tuple[str, Plugin]]:
    """The installed plugins, in a stable order; only *enabled* ones when that is non-empty."""
    wanted = set(enabled)
    found = sorted(entry_points(group=PLUGIN_GROUP), key=lambda ep: ep.name)
    return [(ep.name, ep.load()) for ep in found if not wanted or ep.name in wanted]


def create_app(
    settings: Settings,
    *,
    plugins: Iterable[tuple[str, Plugin]] | None = None,
    migrate: bool = True,
) -> web.Application:
    """Build the application for *settings*.

    Args:
        plugins: ``(name, register)`` pairs; by default every installed plugin (or the ones
            ``settings.plugins`` names).
        migrate: apply migrations on start-up (the CLI's ``serve`` does; tests may not).
    """
    metrics = Metrics()
    metrics.describe("cc_http_requests_total", "counter", "HTTP requests by route and status")
    metrics.describe("cc_http_request_seconds", "histogram", "HTTP request latency by route")
    app = web.Application(middlewares=[error_middleware(metrics), origin_middleware()],
                          client_max_size=settings.max_body_bytes)
    app[keys.SETTINGS] = settings
    app[keys.METRICS] = metrics
    app[keys.API] = ApiDocument(title="Contact Center API", version="1")
    app[keys.I18N] = Catalogs.from_settings(settings.section("i18n"))  # an unknown default fails at start-up
    app[keys.AGENT_COMMANDS] = {}
    app[keys.CALL_DIRECTOR] = None
    app[keys.SUPERVISOR_SNAPSHOT] = None
    app[keys.LIVE_CONFIG] = LiveConfig(settings)
    if writes_in_process(settings.database_url):
        preload()  # before any helper process starts: the forkserver then has the store code imported
    app.cleanup_ctx.append(_store_ctx(migrate))
    app.cleanup_ctx.append(_audit_ctx)
    app.cleanup_ctx.append(_redis_ctx)
    # Before the plugins' contexts, which read their live sections; after every plugin registered its sections.
    app.cleanup_ctx.append(_org_ctx)
    core_routes.register(app)
    audit_http.register(app)
    privacy_http.register(app)
    config_http.register(app)
    org_http.register(app)
    sources_http.register(app)
    screenpop_wiring.register(app)  # customers, source federation, screen pop (needs store and bus)
    inbox_http.register(app)
    tasks_http.register(app)  # callbacks, follow-ups, missed-call notices (needs the inbox)
    for name, register in discover_plugins(settings.plugins) if plugins is None else plugins:
        log.debug("loading plugin %s", name)
        register(app)
    # The bus starts after every plugin subscribed in its own cleanup_ctx (appended above).
    app.cleanup_ctx.append(_bus_start_ctx)
    return app


def _store_ctx(migrate: bool) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        settings = app[keys.SETTINGS]
        db = Database(settings.database_url)
        if migrate:
            await upgrade(db)
        app[keys.DB] = db
        # Started by its first batch (the call writer starts it with the app, ready before the first post).
        writer = app[keys.STORE_WRITER] = WriterProcess(db.url) if writes_in_process(db.url) else None
        app[keys.SESSIONS] = SessionRepository(
            db,
            ttl_seconds=settings.session_ttl_seconds,
            max_failures=settings.login_max_failures,
            window_seconds=settings.login_window_seconds,
            idle_seconds=settings.session_idle_seconds,
            backoff_seconds=settings.login_backoff_seconds,
            backoff_max_seconds=settings.login_backoff_max_seconds,
        )
        purge = asyncio.create_task(_purge_sessions(app[keys.SESSIONS]), name="session-purge")
        yield
        purge.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await purge
        if writer is not None:
            await writer.close()
        await db.close()

    return ctx


async def _audit_ctx(app: web.Application) -> AsyncIterator[None]:
    timeout = float(app[keys.SETTINGS].section("audit").get("write_timeout_seconds", 5))
    audit = AuditLog(app[keys.DB], write_timeout=timeout)
    audit.start()
    app[keys.AUDIT] = audit
    yield
    await audit.close()


async def _purge_sessions(sessions: SessionRepository) -> None:
    while True:
        await asyncio.sleep(600)
        try:
            await sessions.purge_expired()
        except Exception:
            log.exception("session purge failed")


async def _redis_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.SETTINGS]
    if not settings.redis_url:
        app[keys.REDIS] = None
        # Encoding every event only to prove it could travel costs a JSON dump per event (a whole
        # frame for a pop); production skips it, tests and development turn it on with
        # ``[bus] check_events = true`` (the Redis bus encodes for real anyway).
        app[keys.BUS] = MemoryBus(check_serialisable=_flag(settings.section("bus").get("check_events", False)))
        yield
        return
    import redis.asyncio as aioredis

    from contact_center.bus.redis import RedisBus

    section = settings.section("redis")
    timeout = float(section.get("timeout_seconds", 5))
    # Bounded waits: an unreachable Redis (a host gone, not only a refused port) fails a command
    # instead of hanging it; the bus then holds its events and reconnects (see contact_center.bus.redis).
    client = aioredis.Redis.from_url(settings.redis_url, socket_connect_timeout=timeout, socket_timeout=timeout)
    bus = settings.section("bus")
    app[keys.REDIS] = client
    app[keys.BUS] = RedisBus(client, max_length=int(bus.get("stream_length", 10_000)),
                             outbox_size=int(bus.get("outbox_size", 10_000)))
    yield
    await client.aclose()


async def _org_ctx(app: web.Application) -> AsyncIterator[None]:
    """Load the live configuration (validated: a bad one stops the start) and the organisation services."""
    settings, db, live = app[keys.SETTINGS], app[keys.DB], app[keys.LIVE_CONFIG]
    await live.start(db, app[keys.BUS])

    def phone(raw: str) -> str | None:
        return normalise_phone(raw, settings.default_region)

    app[keys.DEPARTMENTS] = DepartmentRepository(db, live, phone)
    min_length = int(settings.section("auth").get("password_min_length", DEFAULT_MIN_LENGTH))

    async def close_sessions(user_id: int, reason: str) -> None:
        await end_sessions(app, user_id, reason=reason)

    app[keys.USERS] = UserAdmin(db, live, normalise_phone=phone, min_password_length=min_length,
                                close_sessions=close_sessions)
    yield
    await live.stop()


def _flag(value: object) -> bool:
    return value if isinstance(value, bool) else str(value).strip().lower() in ("1", "true", "yes", "on")


async def _bus_start_ctx(app: web.Application) -> AsyncIterator[None]:
    bus = app[keys.BUS]
    await bus.start()
    yield
    await bus.close()
