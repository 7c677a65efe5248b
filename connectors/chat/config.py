"""The ``[chat]`` configuration section, typed and validated.

::

    [chat]
    department = "service"          # department new chats feed (routing rules may change it)
    max_message_chars = 2000        # longer messages are refused with a "too_large" error frame
    rate_per_minute = 30            # sustained messages per visitor …
    burst = 10                      # … with this many at once; beyond: "rate_limited" + retry_after
    allowed_origins = []            # websites allowed to embed the widget; empty: any
    topics = ["sales", "support"]   # what a website can offer visitors to pick (the widget's data-topic)
    history_limit = 200             # messages replayed to a visitor who (re)connects

``chat`` is a live section: origins, topics, the department and the limits per message change
without a restart (the rate limits' bucket sizes are read when the instance starts).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from contact_center.errors import ConfigError
from contact_center.settings import positive_number


@dataclass(frozen=True)
class ChatConfig:
    """The whole ``[chat]`` section."""

    department: str | None = None
    max_message_chars: int = 2000
    rate_per_minute: float = 30.0
    burst: int = 10
    allowed_origins: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    history_limit: int = 200
    max_frame_bytes: int = 64 * 1024
    hello_timeout_seconds: float = 10.0
    send_queue: int = 256

    @property
    def rate_per_second(self) -> float:
        return self.rate_per_minute / 60.0

    @property
    def refill_seconds(self) -> float:
        """How long an empty bucket takes to fill up again (after that it holds nothing worth keeping)."""
        return self.burst / self.rate_per_second


def _positive(raw: Mapping[str, Any], key: str, default: float, *, integer: bool = True) -> Any:
    return positive_number(raw, "chat", key, default, integer=integer)


def load_chat_config(raw: Mapping[str, Any]) -> ChatConfig:
    """Build :class:`ChatConfig` from the raw ``[chat]`` section.

    Raises:
        ConfigError: a malformed value, named by its key.
    """
    origins = raw.get("allowed_origins", ())
    if isinstance(origins, str):
        origins = [o.strip() for o in origins.split(",") if o.strip()]
    if not isinstance(origins, list | tuple):
        raise ConfigError("chat.allowed_origins must be a list of origins like \"https://shop.example.com\"")
    topics = raw.get("topics", ())
    if not isinstance(topics, list | tuple) or not all(isinstance(t, str) and 0 < len(t) <= 64 for t in topics):
        raise ConfigError("chat.topics must be a list of short topic names like \"sales\"")
    for origin in origins:
        if not re.fullmatch(r"https?://[^/\s]+", str(origin).rstrip("/")):
            raise ConfigError(f"chat.allowed_origins: {origin!r} is not an origin like \"https://shop.example.com\"")
    return ChatConfig(
        department=raw.get("department") or None,
        topics=tuple(topics),
        max_message_chars=_positive(raw, "max_message_chars", 2000),
        rate_per_minute=_positive(raw, "rate_per_minute", 30.0, integer=False),
        burst=_positive(raw, "burst", 10),
        allowed_origins=tuple(str(o).rstrip("/") for o in origins),
        history_limit=_positive(raw, "history_limit", 200),
        max_frame_bytes=_positive(raw, "max_frame_bytes", 64 * 1024),
        hello_timeout_seconds=_positive(raw, "hello_timeout_seconds", 10.0, integer=False),
        send_queue=_positive(raw, "send_queue", 256),
    )
