"""Operations endpoints: /healthz, /metrics (Prometheus text) and the OpenAPI 3.1 document."""

from __future__ import annotations

import re

import pytest
from aiohttp import web
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from contact_center import keys
from tests.conftest import AppStarter, RunningApp


@pytest.fixture
async def app(start_app: AppStarter) -> RunningApp:
    """The core app alone (no plugins)."""
    return await start_app(plugins=[])


async def test_healthz_ok_on_a_single_node(app: RunningApp) -> None:
    """/healthz checks the store and the bus and says Redis is not configured."""
    async with app.session() as client:
        resp = await client.get("/healthz")
        assert resp.status == 200
        assert await resp.json() == {"status": "ok", "checks": {"store": "ok", "bus": "ok", "redis": "not configured"}}


async def test_metrics_is_prometheus_text_with_request_counts(app: RunningApp) -> None:
    """/metrics serves text/plain exposition format counting requests by route template and status."""
    async with app.session() as client:
        for _ in range(3):
            await client.get("/healthz")
        await client.get("/no/such/page/1")
        await client.get("/no/such/page/2")
        resp = await client.get("/metrics")
        text = await resp.text()
    assert resp.status == 200
    assert resp.content_type == "text/plain"
    assert "# TYPE cc_http_requests_total counter" in text
    assert 'cc_http_requests_total{method="GET",route="/healthz",status="200"} 3' in text
    assert 'cc_http_requests_total{method="GET",route="unmatched",status="404"} 2' in text
    assert "/no/such/page" not in text  # unknown paths never become label values
    assert re.search(r'cc_http_request_seconds_count\{route="/healthz"\} 3', text)
    assert re.search(r'cc_http_request_seconds_bucket\{route="/healthz",le="\+Inf"\} 3', text)


async def test_openapi_is_a_valid_3_1_document(app: RunningApp) -> None:
    """/api/openapi.json validates as OpenAPI 3.1 and documents the core routes."""
    async with app.session() as client:
        resp = await client.get("/api/openapi.json")
        doc = await resp.json()
    assert resp.status == 200
    assert doc["openapi"].startswith("3.1")
    validate(doc)
    for path in ("/api/v1/auth/login", "/api/v1/auth/logout", "/api/v1/me", "/healthz", "/metrics"):
        assert path in doc["paths"]
    assert doc["paths"]["/api/v1/auth/login"]["post"]["security"] == []


def _api_routes(app: web.Application) -> set[tuple[str, str]]:
    out = set()
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter")
        if path and path.startswith("/api/") and route.method not in ("HEAD", "OPTIONS", "*"):
            out.add((route.method.lower(), path))
    return out


@pytest.mark.parametrize("plugins", ["core", "installed"])
async def test_every_rest_route_is_documented(start_app: AppStarter, plugins: str) -> None:
    """Each /api/ route the app serves (core and installed plugins) appears in the OpenAPI document."""
    ra = await start_app(plugins=[] if plugins == "core" else None)
    doc = ra.app[keys.API].render()
    documented = {(method, path) for path, ops in doc["paths"].items() for method in ops}
    assert _api_routes(ra.app) - documented == set()
    try:
        validate(doc)
    except OpenAPIValidationError as exc:  # pragma: no cover - the message is the point
        pytest.fail(f"invalid OpenAPI document: {exc}")
