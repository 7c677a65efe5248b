"""Schemathesis against the OpenAPI document of the real app (every plugin): no request it makes
from the document, unauthenticated or as an admin, gets a server error (5xx)."""

from __future__ import annotations

import asyncio
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given

from tests.conftest import AppStarter, RunningApp, seed_org

EXAMPLES = 5  # per operation and role: bounded, so the suite stays fast
SKIP_AS_ADMIN = {("POST", "/api/v1/auth/logout")}  # would end the session the rest of the run uses


@pytest.fixture
async def full_app(start_app: AppStarter) -> RunningApp:
    running = await start_app()
    running.users.update(await seed_org(running.db))
    return running


def _fuzz(doc: dict[str, Any], base_url: str, headers: dict[str, str]) -> tuple[list[str], list[int]]:
    """Run every operation's generated cases (in this worker thread): the ones answered with 5xx,
    and every status seen."""
    schema = schemathesis.openapi.from_dict(doc)
    failures: list[str] = []
    answered: list[int] = []
    session = requests.Session()
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIP_AS_ADMIN and "Cookie" in headers:
            continue

        @given(case=operation.as_strategy())
        @hypothesis.settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                             suppress_health_check=list(HealthCheck), phases=[hypothesis.Phase.generate])
        def run(case: Any) -> None:
            response = case.call(base_url=base_url, session=session, headers=headers, timeout=30)
            answered.append(response.status_code)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}: "
                                f"{response.text[:200]}")

        run()
    session.close()
    return failures, answered


@pytest.mark.timeout(300)
async def test_no_server_errors_unauthenticated_or_as_admin(full_app: RunningApp) -> None:
    """Every documented operation, fed schema-generated input, answers below 500 for nobody and for an admin."""
    async with full_app.session() as client:
        doc = await (await client.get("/api/openapi.json")).json()
    async with await full_app.login("admin") as admin:
        cookie = full_app.cookie_header(admin)
        anonymous, _seen = await asyncio.to_thread(_fuzz, doc, full_app.url, {"Origin": full_app.url})
        as_admin, seen_admin = await asyncio.to_thread(_fuzz, doc, full_app.url,
                                                       {"Origin": full_app.url, "Cookie": cookie})
    assert anonymous == []
    assert as_admin == []
    assert seen_admin.count(200) >= len(doc["paths"])  # the admin run got past authentication
