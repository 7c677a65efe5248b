"""The chat plugin's typed application keys."""

from __future__ import annotations

from aiohttp import web

from connectors.chat.config import ChatConfig
from connectors.chat.hub import ChatHub
from connectors.chat.limits import RateLimits

CHAT_CONFIG = web.AppKey("chat.config", ChatConfig)
CHAT_HUB = web.AppKey("chat.hub", ChatHub)
CHAT_LIMITS = web.AppKey("chat.limits", RateLimits)
