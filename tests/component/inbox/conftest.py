"""The core app alone (no plugins: routing would assign conversations by itself), organisation seeded."""

from __future__ import annotations

import pytest

from tests.conftest import AppStarter, RunningApp, seed_org


@pytest.fixture
async def inbox_app(start_app: AppStarter) -> RunningApp:
    """The running core app with :func:`seed_org` applied (``tests.conftest.org_app`` writes to the
    started application, which aiohttp 3.14 warns about)."""
    running = await start_app(plugins=[])
    await seed_org(running.db)
    return running
