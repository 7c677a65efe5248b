"""Retention per channel: conversations closed longer ago than the channel's period lose their
personal content (see :func:`contact_center.privacy.subject.scrub_conversations`).

Configured in ``[privacy.retention]`` as days per channel (``call = 365``: call records twelve
months, as Zammad keeps them); a channel without an entry is kept. :func:`parse_rules` and
:func:`cutoffs` decide (pure); :func:`apply_retention` acts; the job runs every
``[privacy] retention_interval_seconds`` (daily by default) on every instance, which is harmless:
scrubbing is idempotent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import and_, func, or_, select

from contact_center import channels
from contact_center.errors import ConfigError
from contact_center.privacy.subject import scrub_conversations
from contact_center.store.session import Database
from contact_center.store.tables import Conversation


def parse_rules(raw: Mapping[str, Any]) -> dict[str, int]:
    """``{channel: days}`` from ``[privacy.retention]``.

    Raises:
        ConfigError: an unknown channel or a period that is not a positive whole number of days.
    """
    rules: dict[str, int] = {}
    for name, days in raw.items():
        if not channels.is_channel(name):
            raise ConfigError(f"privacy.retention.{name}: no such channel (known: {', '.join(channels.NAMES)})")
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            raise ConfigError(f"privacy.retention.{name} must be a whole number of days, at least 1")
        rules[name] = days
    return rules


def cutoffs(rules: Mapping[str, int], now: dt.datetime) -> dict[str, dt.datetime]:
    """Per channel, the moment before which a closed conversation's content goes."""
    return {name: now - dt.timedelta(days=days) for name, days in rules.items()}


async def apply_retention(db: Database, rules: Mapping[str, int], *, now: dt.datetime | None = None,
                          batch: int = 500) -> dict[str, int]:
    """Scrub the closed conversations past their channel's period; conversations scrubbed per channel."""
    done: dict[str, int] = {}
    for name, cutoff in cutoffs(rules, now or dt.datetime.now(dt.UTC)).items():
        done[name] = 0
        while True:
            async with db.session() as s:
                ids = list((await s.execute(select(Conversation.id).where(
                    Conversation.channel == name, Conversation.status == "closed",
                    func.coalesce(Conversation.closed_at, Conversation.updated_at) < cutoff,
                    or_(Conversation.contact_address.is_not(None), Conversation.subject.is_not(None),
                        and_(Conversation.external_ref.is_not(None)))).limit(batch))).scalars())
                await scrub_conversations(s, ids)
            done[name] += len(ids)
            if len(ids) < batch:
                break
    return done
