"""Typed ``web.AppKey``s under which the application keeps its services.

Plugins (connectors, routing, agent_ui) read the core's services from here and store their own
under keys they define; nothing is a module-level singleton.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from contact_center.auth.sessions import SessionRepository
from contact_center.bus.base import Bus
from contact_center.config.service import LiveConfig
from contact_center.customers.repository import CustomerRepository
from contact_center.http.metrics import Metrics
from contact_center.http.openapi import ApiDocument
from contact_center.i18n.catalogs import Catalogs
from contact_center.org.departments import DepartmentRepository
from contact_center.org.users import UserAdmin
from contact_center.screenpop.service import ScreenPopService
from contact_center.settings import Settings
from contact_center.sources.federation import SourceFederation
from contact_center.store.session import Database

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from contact_center.audit.log import AuditLog
    from contact_center.ingest.writer_process import WriterProcess
    from contact_center.ports import AgentCommand, CallDirector, LocalDelivery

SETTINGS = web.AppKey("settings", Settings)
DB = web.AppKey("db", Database)
# The spine's one SQLite writer process (a store in a SQLite file; None otherwise): calls and inbound messages.
STORE_WRITER: web.AppKey[WriterProcess | None] = web.AppKey("store_writer")
BUS = web.AppKey("bus", Bus)
REDIS: web.AppKey[aioredis.Redis | None] = web.AppKey("redis")
AUDIT: web.AppKey[AuditLog] = web.AppKey("audit")  # see contact_center.audit
SESSIONS = web.AppKey("sessions", SessionRepository)
METRICS = web.AppKey("metrics", Metrics)
API = web.AppKey("api", ApiDocument)
I18N = web.AppKey("i18n", Catalogs)  # the server's message catalogs and the default language
# Core services built by contact_center.screenpop.wiring.
CUSTOMERS = web.AppKey("customers", CustomerRepository)  # identify / create / link / merge customers
FEDERATION = web.AppKey("federation", SourceFederation)  # the source databases, cached per customer
SCREENPOP = web.AppKey("screenpop", ScreenPopService)  # deliver(conversation_id, user_id, call_id=...)
# Ports (contact_center.ports): filled by the plugins that provide them.
AGENT_COMMANDS: web.AppKey[dict[str, AgentCommand]] = web.AppKey("agent_commands")  # frame type -> handler
CALL_DIRECTOR: web.AppKey[CallDirector | None] = web.AppKey("call_director")
# This instance's agent sockets (agent_ui): frames for a user connected here skip the bus hop.
LOCAL_DELIVERY: web.AppKey[LocalDelivery] = web.AppKey("local_delivery")
# async () -> dict: the supervisor view's full snapshot, sent when a supervisor connects (routing).
SUPERVISOR_SNAPSHOT: web.AppKey[Callable[[], Awaitable[dict[str, Any]]] | None] = web.AppKey("supervisor_snapshot")
# The live configuration (contact_center.config): plugins register their sections on it in register().
LIVE_CONFIG = web.AppKey("live_config", LiveConfig)
# The organisation an admin manages (contact_center.org), set once the store is open.
DEPARTMENTS = web.AppKey("departments", DepartmentRepository)
USERS = web.AppKey("users", UserAdmin)
