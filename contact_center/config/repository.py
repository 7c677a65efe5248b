"""The ``config_revision`` table: every version of the live configuration, the newest in force."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from contact_center.store.session import Database
from contact_center.store.tables import ConfigRevision


@dataclass(frozen=True)
class Revision:
    version: int
    document: dict[str, Any]
    sections: tuple[str, ...]
    author: str | None


class ConfigRepository:
    """Reads and appends configuration versions."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def latest_version(self) -> int:
        """The newest version number (0 when nothing was ever stored): a cheap poll."""
        async with self._db.session() as s:
            return int((await s.execute(select(func.max(ConfigRevision.version)))).scalar() or 0)

    async def latest(self) -> Revision | None:
        async with self._db.session() as s:
            row = (await s.execute(select(ConfigRevision).order_by(ConfigRevision.version.desc()).limit(1))
                   ).scalar_one_or_none()
        if row is None:
            return None
        return Revision(row.version, dict(row.document), tuple(row.sections or ()), row.author)
