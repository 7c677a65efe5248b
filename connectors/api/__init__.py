"""The API channel: messaging bridges (WhatsApp Business, Messenger, Telegram, Viber, SMS
gateways) reach agents over REST and get agents' replies as signed webhooks.

``register(app)`` (entry point ``api``) adds the inbound route (:mod:`.http`), the admin routes
(:mod:`.admin`), makes the bridges ``[[api_channels]]`` declares when they do not exist yet, and
runs the :class:`~.webhooks.WebhookSender`. Inbound messages go to the inbox's writer like every
channel's; bridges and the delivery log live in the core store
(:mod:`contact_center.channel_instances`). Configured by ``[api_channel]`` (:mod:`.config`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from connectors.api.admin import register_admin
from connectors.api.appkeys import API_CONFIG, API_INSTANCES, API_SENDER, API_TOKENS
from connectors.api.config import load_api_config, load_bridges
from connectors.api.http import register_inbound
from connectors.api.inbound import CHANNEL
from connectors.api.tokens import TokenCache
from connectors.api.webhooks import WebhookSender
from contact_center import keys
from contact_center.channel_instances import ChannelInstanceRepository, InstanceSpec
from contact_center.inbox import INBOX

log = logging.getLogger(__name__)


def _api_ctx(bridges: list[InstanceSpec]) -> object:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        instances = ChannelInstanceRepository(app[keys.DB])
        app[API_INSTANCES] = instances
        app[API_TOKENS] = TokenCache(instances, ttl=app[API_CONFIG].auth_cache_seconds)
        for made in await instances.bootstrap(CHANNEL, bridges):
            log.info("api channel: made bridge %r (id %d) from the configuration", made.name, made.id)
        http = aiohttp.ClientSession(headers={"User-Agent": "contact-center-webhooks/1"})
        sender = WebhookSender(inbox=app[INBOX], instances=instances, bus=app[keys.BUS], config=app[API_CONFIG],
                               http=http)
        sender.subscribe()
        app[API_SENDER] = sender
        task = asyncio.create_task(sender.run(), name="api-channel-webhooks")
        yield
        sender.stop()
        try:
            await asyncio.wait_for(asyncio.shield(task), app[API_CONFIG].timeout_seconds + 1)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await http.close()

    return ctx


def register(app: web.Application) -> None:
    """Wire the API channel into *app*."""
    settings = app[keys.SETTINGS]
    app[API_CONFIG] = load_api_config(settings.section("api_channel"))
    bridges = load_bridges(settings.array("api_channels"))
    register_inbound(app)
    register_admin(app)
    app.cleanup_ctx.append(_api_ctx(bridges))  # type: ignore[arg-type]
