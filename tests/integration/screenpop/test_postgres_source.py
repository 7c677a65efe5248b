"""A PostgreSQL source: pg_sleep longer than the deadline times out, then follows up; read-only."""

from __future__ import annotations

import pytest

from contact_center.errors import Unavailable
from contact_center.settings import SourceSettings
from contact_center.sources.config import specs_from_settings
from contact_center.sources.federation import SourceFederation

pytestmark = pytest.mark.postgres


async def test_pg_sleep_source_times_out_then_arrives(postgres_url: str) -> None:
    """pg_sleep(0.3) against a 50 ms deadline: 'timeout' in time, the late result is ok; writes fail."""
    specs = specs_from_settings([
        SourceSettings(name="crm", title="CRM", url=postgres_url, kind="row", timeout_ms=50,
                       query="SELECT pg_sleep(0.3)::text AS slept, CAST(:customer_key AS text) AS key"),
        SourceSettings(name="fast", title="Fast", url=postgres_url, kind="row", timeout_ms=5000,
                       query="SELECT CAST(:customer_key AS text) AS key"),
    ])
    fed = SourceFederation(specs, ttl_seconds=60, late_limit_seconds=10)
    await fed.start()
    try:
        sections = await fed.sections("C-9")
        assert sections["crm"].status == "timeout"
        assert (sections["fast"].status, sections["fast"].data) == ("ok", {"key": "C-9"})
        task = fed.pending("C-9", "crm")
        assert task is not None
        late = await task
        assert (late.status, late.data) == ("ok", {"slept": "", "key": "C-9"})
        with pytest.raises(Unavailable):
            await fed.query("fast", "CREATE TABLE intruder (x int)")
    finally:
        await fed.close()
