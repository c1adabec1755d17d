"""/metrics after real requests: latency by route template and status class (never by raw path),
the database pool, rate-limit store failures and the delivery lag; and the dashboard in docs/ asks
only for metrics that a scrape has."""

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from rentengine.app import create_app
from rentengine.runtime import Runtime
from tests.conftest import make_settings
from tests.factories import Tenant, make_tenant, unit_body
from tests.webhooks.receiver import cancel_open_deliveries, fresh_database

DASHBOARD = Path(__file__).parents[2] / "docs" / "grafana-dashboard.json"
DURATION = "rentengine_http_request_duration_seconds"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(api: httpx.AsyncClient) -> Samples:
    response = await api.get("http://testserver/metrics")
    assert response.status_code == 200
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def routes(samples: Samples) -> set[str]:
    return {dict(labels)["route"] for name, labels in samples if name == f"{DURATION}_count"}


@pytest.fixture
async def app_runtime(database_url: str, request: pytest.FixtureRequest) -> AsyncIterator[Runtime]:
    overrides: dict[str, Any] = getattr(request, "param", {})
    runtime = Runtime.build(make_settings(database_url, **overrides))
    yield runtime
    await runtime.close()


@pytest.fixture
async def api(app_runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(app_runtime.settings, app_runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver/api/public/v1") as client:
        yield client


@pytest.mark.parametrize("app_runtime", [{"webhook_allow_private_targets": True}], indirect=True)
async def test_requests_are_counted_by_route_template_and_status_class(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    await api.post("/units", json=unit_body(tenant.account_id), headers=tenant.headers)
    subscription = {
        "account_id": str(tenant.account_id),
        "url": "http://127.0.0.1:9/hooks",
        "tables": ["lockboxes"],
        "event_types": ["INSERT"],
    }
    webhook_id = (await api.post("/webhooks", json=subscription, headers=tenant.headers)).json()["id"]
    missing = uuid.uuid4()
    for webhook in (webhook_id, missing, webhook_id):
        await api.get(f"/webhooks/{webhook}/deliveries", headers=tenant.headers)
    await api.get("/units", params={"limit": 100}, headers=tenant.headers)  # the fast lane
    for raw in ("/no/such/path", "/no/such/other/path", "/units/1"):
        await api.get(raw, headers=tenant.headers)
    for method in ("BREW", "X-ANY"):  # methods are the caller's to choose, too
        await api.request(method, "/units", headers=tenant.headers)
    samples = await scrape(api)

    deliveries = "/api/public/v1/webhooks/{id}/deliveries"
    assert value(samples, f"{DURATION}_count", method="GET", route=deliveries, status_class="2xx") == 2
    assert value(samples, f"{DURATION}_count", method="GET", route=deliveries, status_class="4xx") == 1
    units = "/api/public/v1/units"
    assert value(samples, f"{DURATION}_count", method="POST", route=units, status_class="2xx") == 1
    assert value(samples, f"{DURATION}_count", method="GET", route=units, status_class="2xx") == 1
    assert value(samples, f"{DURATION}_count", method="GET", route="unmatched", status_class="4xx") == 3
    assert value(samples, f"{DURATION}_count", method="other", route=units, status_class="4xx") == 2
    # No raw path (an id, an unknown path) or method became a label.
    assert {dict(labels).get("method") for name, labels in samples if name == f"{DURATION}_count"} <= {
        "GET",
        "POST",
        "other",
    }
    leaked = [
        route for route in routes(samples) if webhook_id in route or str(missing) in route or "no/" in route
    ]
    assert leaked == []
    bucket = value(
        samples, f"{DURATION}_bucket", method="GET", route=deliveries, status_class="2xx", le="+Inf"
    )
    assert bucket == 2


async def test_the_pool_is_shown_as_configured(api: httpx.AsyncClient, app_runtime: Runtime) -> None:
    samples = await scrape(api)
    size = app_runtime.settings.database_pool_size
    assert value(samples, "rentengine_db_pool_size") == size
    assert value(samples, "rentengine_db_pool_max_overflow") == size
    # The scrape itself holds one connection (the delivery lag's read) only while it reads.
    assert value(samples, "rentengine_db_pool_checked_out") == 0
    assert value(samples, "rentengine_db_pool_overflow") == 0


@pytest.mark.parametrize(
    "app_runtime", [{"rate_limit": "100/second", "rate_limit_storage": "redis://127.0.0.1:1"}], indirect=True
)
async def test_rate_limit_store_failures_are_counted(api: httpx.AsyncClient, app_runtime: Runtime) -> None:
    user = await make_tenant(app_runtime)
    assert value(await scrape(api), "rentengine_rate_limit_storage_errors_total") == 0
    for _ in range(3):
        assert (await api.get("/units", headers=user.headers)).status_code == 200  # let through
    assert value(await scrape(api), "rentengine_rate_limit_storage_errors_total") == 3


async def test_delivery_lag_is_the_age_of_the_oldest_due_delivery(backend: str, tmp_path: Path) -> None:
    async with fresh_database(backend, tmp_path) as url:
        runtime = Runtime.build(make_settings(url, webhook_allow_private_targets=True))
        transport = httpx.ASGITransport(
            app=create_app(runtime.settings, runtime)
        )  # no worker: nothing is sent
        try:
            async with httpx.AsyncClient(
                transport=transport, base_url="http://testserver/api/public/v1"
            ) as api:
                owner = await make_tenant(runtime)
                assert value(await scrape(api), "rentengine_webhook_delivery_lag_seconds") == 0
                subscription = {
                    "account_id": str(owner.account_id),
                    "url": "http://127.0.0.1:9/hooks",
                    "tables": ["units"],
                    "event_types": ["INSERT"],
                }
                assert (
                    await api.post("/webhooks", json=subscription, headers=owner.headers)
                ).status_code == 201
                await api.post("/units", json=unit_body(owner.account_id), headers=owner.headers)
                await asyncio.sleep(1.2)
                lag = value(await scrape(api), "rentengine_webhook_delivery_lag_seconds")
                assert lag is not None
                assert 1.2 <= lag < 30
        finally:
            await cancel_open_deliveries(runtime.db)
            await runtime.close()


def dashboard_metric_names() -> set[str]:
    document = json.loads(DASHBOARD.read_text())
    expressions = [
        target["expr"]
        for panel in document["panels"]
        for target in panel.get("targets", [])
        if "expr" in target
    ]
    assert len(expressions) >= 7
    return {name for expr in expressions for name in re.findall(r"\brentengine_[a-z0-9_]+", expr)}


async def test_the_dashboard_asks_only_for_metrics_a_scrape_has(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    document = json.loads(DASHBOARD.read_text())
    assert document["title"]
    assert document["panels"]
    assert all(panel.get("targets") for panel in document["panels"] if panel["type"] != "row")
    await api.get("/units", headers=tenant.headers)
    await api.get("/units/0", headers=tenant.headers)
    scraped = {name for name, _ in await scrape(api)}
    wanted = dashboard_metric_names()
    assert {
        f"{DURATION}_bucket",
        f"{DURATION}_count",
        "rentengine_db_pool_checked_out",
        "rentengine_rate_limit_storage_errors_total",
        "rentengine_webhook_delivery_lag_seconds",
        "rentengine_webhook_attempts_total",
    } <= wanted
    assert wanted - scraped == set()
