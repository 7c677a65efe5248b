"""The screen pop's own settings, read from ``[screenpop]`` (and the shared ``[[sources]]``).

::

    [screenpop]
    cache_ttl_seconds = 60          # also Settings.popcache_ttl_seconds
    late_result_ms = 10000          # a slow source's query is cancelled after this
    timeline_limit = 10
    max_rows = 50                   # rows per section
    suggestions_source = "sales"    # the source holding purchases
    suggestions_owned_query = "SELECT DISTINCT product FROM … WHERE customer_key = :customer_key"
    suggestions_pairs_query = "SELECT product, other, n FROM …"   # co-purchase counts, or:
    suggestions_items_query = "SELECT order_id, product FROM …"   # order lines, counted here
    suggestions_limit = 5
    suggestions_refresh_seconds = 600
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from contact_center.errors import ConfigError
from contact_center.settings import Settings
from contact_center.sources.config import SourceSpec, specs_from_settings

OWNED_AUX = "owned_products"


@dataclass(frozen=True)
class SuggestionsConfig:
    source: str
    owned_query: str
    pairs_query: str | None = None
    items_query: str | None = None
    limit: int = 5
    refresh_seconds: float = 600.0


@dataclass(frozen=True)
class ScreenPopConfig:
    """Validated configuration for the federation and the pop."""

    specs: tuple[SourceSpec, ...]
    cache_ttl_seconds: float = 60.0
    late_result_seconds: float = 10.0
    timeline_limit: int = 10
    suggestions: SuggestionsConfig | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> ScreenPopConfig:
        """Build from *settings*.

        Raises:
            ConfigError: a bad source or suggestions setting (the message names it).
        """
        raw = settings.section("screenpop")
        suggestions = _suggestions(raw)
        aux = {suggestions.source: {OWNED_AUX: suggestions.owned_query}} if suggestions else None
        specs = specs_from_settings(settings.sources, aux=aux, max_rows=_int(raw, "max_rows", 50))
        return cls(
            specs=specs,
            cache_ttl_seconds=float(settings.popcache_ttl_seconds),
            late_result_seconds=_int(raw, "late_result_ms", 10_000) / 1000,
            timeline_limit=_int(raw, "timeline_limit", 10),
            suggestions=suggestions,
        )


def _int(raw: Mapping[str, Any], key: str, default: int) -> int:
    try:
        value = int(raw.get(key, default))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"screenpop.{key} must be a whole number") from exc
    if value <= 0:
        raise ConfigError(f"screenpop.{key} must be positive")
    return value


def _suggestions(raw: Mapping[str, Any]) -> SuggestionsConfig | None:
    source = raw.get("suggestions_source")
    if not source:
        return None
    owned = raw.get("suggestions_owned_query")
    pairs, items = raw.get("suggestions_pairs_query"), raw.get("suggestions_items_query")
    if not owned:
        raise ConfigError("screenpop.suggestions_owned_query is required with suggestions_source")
    if not pairs and not items:
        raise ConfigError("screenpop.suggestions_pairs_query or suggestions_items_query is required")
    return SuggestionsConfig(
        source=str(source), owned_query=str(owned), pairs_query=pairs, items_query=items,
        limit=_int(raw, "suggestions_limit", 5),
        refresh_seconds=float(_int(raw, "suggestions_refresh_seconds", 600)),
    )
