"""SourceFederation on real SQLite files: deadlines, late results, sharing, TTL, read-only."""

from __future__ import annotations

from pathlib import Path

import pytest

from contact_center.errors import NotFound, Unavailable
from contact_center.settings import SourceSettings
from contact_center.sources.config import specs_from_settings
from contact_center.sources.federation import SourceFederation
from tests.component.telephony.env import SLOW_QUERY, write_sources


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _federation(tmp_path: Path, clock: Clock | None = None, *, slow_ms: int = 20) -> SourceFederation:
    paths = write_sources(tmp_path)
    specs = specs_from_settings([
        SourceSettings(name="sales", title="Sales", url=f"sqlite+aiosqlite:///{paths['sales']}",
                       query="SELECT product FROM orders WHERE customer_key = :customer_key ORDER BY id",
                       timeout_ms=5000),
        SourceSettings(name="slow", title="Slow", url=f"sqlite+aiosqlite:///{paths['credit']}", kind="row",
                       query=SLOW_QUERY, timeout_ms=slow_ms),
    ])
    return SourceFederation(specs, ttl_seconds=60, late_limit_seconds=10, **({"clock": clock} if clock else {}))


async def test_prefetch_is_shared_and_a_late_result_arrives(tmp_path: Path) -> None:
    """A fetch at answer joins the prefetch's queries; the slow one is 'timeout', then finishes."""
    fed = _federation(tmp_path)
    await fed.start()
    try:
        fed.prefetch("C-1")
        running = fed.pending("C-1", "slow")
        assert running is not None
        sections = await fed.sections("C-1")
        assert sections["sales"].status == "ok"
        assert sections["sales"].data == [{"product": "router"}, {"product": "cable"}]
        assert sections["slow"].status == "timeout"
        assert fed.pending("C-1", "slow") is running
        late = await running
        assert (late.status, late.data) == ("ok", {"counted": 500000, "customer_key": "C-1"})
        again = await fed.sections("C-1")
        assert again["slow"] == late
        assert fed.ready("C-1")
    finally:
        await fed.close()


async def test_results_expire_after_the_ttl(tmp_path: Path) -> None:
    """Within the TTL a customer's results are reused; after it they are fetched again."""
    clock = Clock()
    fed = _federation(tmp_path, clock, slow_ms=5000)
    await fed.start()
    try:
        first = await fed.sections("C-2")
        assert (await fed.sections("C-2"))["sales"] is first["sales"]
        clock.now += 61
        assert not fed.ready("C-2")
        fresh = await fed.sections("C-2")
        assert fresh["sales"] is not first["sales"]
        assert fresh["sales"].data == first["sales"].data
    finally:
        await fed.close()


async def test_missing_database_is_unavailable_and_never_created(tmp_path: Path) -> None:
    """A source file that is gone makes that section unavailable; read-only mode never creates it."""
    gone = tmp_path / "gone.db"
    specs = specs_from_settings([SourceSettings(name="gone", title="Gone", url=f"sqlite+aiosqlite:///{gone}",
                                                query="SELECT 1 AS x WHERE :customer_key IS NOT NULL")])
    fed = SourceFederation(specs, ttl_seconds=60)
    await fed.start()
    try:
        result = (await fed.sections("C-1"))["gone"]
        assert (result.status, result.data) == ("unavailable", None)
        assert not gone.exists()
        with pytest.raises(Unavailable):
            await fed.query("gone", "SELECT 1")
        with pytest.raises(NotFound):
            await fed.history("gone", "C-1")
    finally:
        await fed.close()


async def test_sources_are_read_only(tmp_path: Path) -> None:
    """A write through a source connection fails: the product never writes a source."""
    fed = _federation(tmp_path)
    await fed.start()
    try:
        with pytest.raises(Unavailable):
            await fed.query("sales", "DELETE FROM orders")
        assert len((await fed.sections("C-3"))["sales"].data) == 3
    finally:
        await fed.close()
