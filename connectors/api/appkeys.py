"""The API channel's services on the application (typed ``web.AppKey``s)."""

from __future__ import annotations

from aiohttp import web

from connectors.api.config import ApiChannelConfig
from connectors.api.tokens import TokenCache
from connectors.api.webhooks import WebhookSender
from contact_center.channel_instances import ChannelInstanceRepository

API_CONFIG = web.AppKey("api_channel_config", ApiChannelConfig)
API_INSTANCES = web.AppKey("api_channel_instances", ChannelInstanceRepository)
API_SENDER = web.AppKey("api_channel_sender", WebhookSender)
API_TOKENS = web.AppKey("api_channel_tokens", TokenCache)
