"""The ``[api_channel]`` section and the ``[[api_channels]]`` bridges, typed and validated.

::

    [api_channel]
    max_body_bytes = 1048576         # a bigger inbound request is refused with 413
    max_text_chars = 20000           # a longer message text is refused with 422 naming "text"
    max_attachment_bytes = 524288    # per attachment (after base64 decoding); more: 422 naming it
    timeout_seconds = 10             # one webhook POST
    retry_min_seconds = 1            # backoff after a failed delivery: doubling from here …
    retry_max_seconds = 600          # … up to here, jittered
    max_attempts = 200               # then the reply is marked failed (the agent sees it)
    poll_seconds = 5                 # how often due retries are looked for without a new reply
    auth_cache_seconds = 2           # a checked token is trusted this long without a store read

    [[api_channels]]                 # made once at start when no instance has this name
    name = "whatsapp"
    department = "service"
    webhook_url = "https://bridge.example.com/cc-webhook"
    token = "…"                      # what the bridge sends as "Authorization: Bearer …"
    secret = "…"                     # signs outbound webhooks (X-CC-Signature)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from contact_center.channel_instances import InstanceSpec, check_name, check_webhook_url
from contact_center.errors import ConfigError, ValidationError
from contact_center.settings import positive_number

MIN_SECRET_CHARS = 16


@dataclass(frozen=True)
class ApiChannelConfig:
    """The whole ``[api_channel]`` section."""

    max_body_bytes: int = 1024 * 1024
    max_text_chars: int = 20_000
    max_attachment_bytes: int = 512 * 1024
    max_attachments: int = 10
    timeout_seconds: float = 10.0
    retry_min_seconds: float = 1.0
    retry_max_seconds: float = 600.0
    max_attempts: int = 200
    poll_seconds: float = 5.0
    lease_seconds: float = 60.0
    auth_cache_seconds: float = 2.0


def load_api_config(raw: Mapping[str, Any]) -> ApiChannelConfig:
    """Build :class:`ApiChannelConfig` from the raw ``[api_channel]`` section.

    Raises:
        ConfigError: an unknown key or a value that is not a positive number.
    """
    defaults = ApiChannelConfig()
    unknown = set(raw) - set(defaults.__dataclass_fields__)
    if unknown:
        raise ConfigError(f"api_channel.{sorted(unknown)[0]} is not a setting")
    values = {
        key: positive_number(raw, "api_channel", key, getattr(defaults, key),
                             integer=isinstance(getattr(defaults, key), int))
        for key in defaults.__dataclass_fields__
    }
    config = ApiChannelConfig(**values)
    if config.retry_min_seconds > config.retry_max_seconds:
        raise ConfigError("api_channel.retry_min_seconds must not exceed retry_max_seconds")
    return config


def load_bridges(raw: Sequence[Mapping[str, Any]]) -> list[InstanceSpec]:
    """The ``[[api_channels]]`` entries as instance specifications.

    Raises:
        ConfigError: a missing or invalid name, URL, token or secret (naming the entry and key).
    """
    specs: list[InstanceSpec] = []
    for i, item in enumerate(raw):
        where = f"api_channels[{i}]"
        try:
            name = check_name(item.get("name"))
            url = check_webhook_url(item.get("webhook_url"))
        except ValidationError as exc:
            raise ConfigError(f"{where}.{exc.field}: {exc.message}") from exc
        department = item.get("department")
        if department is not None and not isinstance(department, str):
            raise ConfigError(f"{where}.department must be a department's slug")
        secrets = {}
        for key in ("token", "secret"):
            value = item.get(key)
            if not isinstance(value, str) or len(value) < MIN_SECRET_CHARS:
                raise ConfigError(f"{where}.{key} must be a string of at least {MIN_SECRET_CHARS} characters")
            secrets[key] = value
        specs.append(InstanceSpec(name=name, department=department, webhook_url=url,
                                  token=secrets["token"], secret=secrets["secret"]))
    return specs
