"""GET /reporting/leasing-performance/units/{unitId} (API.md §15.1): each count over [start, end)
from the unit's own prospects, showings, events, applications, calls and texts, and the health rule."""

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from rentengine.reporting.service import Benchmark
from rentengine.runtime import Runtime
from tests.applications.factories import make_group
from tests.communications.factories import call_body, message_body
from tests.factories import Tenant
from tests.leasing.factories import record_event_at
from tests.prospects.factories import prospect_at
from tests.reporting.factories import add_showing, performance
from tests.showings.helpers import NOW, Clock, create_unit, z

DAY = timedelta(days=1)
START, END = NOW + DAY, NOW + 11 * DAY
FIELDS = [
    "unit_id",
    "days_on_market",
    "property_health",
    "benchmark_leads_since_last_price_change",
    "new_prospects",
    "showings_scheduled",
    "showings_completed",
    "applications_requested",
    "applications_submitted",
    "active_prospects",
    "upcoming_showings",
    "outbound_texts",
    "total_calls",
    "showing_feedback",
]


async def _post(client: httpx.AsyncClient, tenant: Tenant, path: str, body: dict[str, Any]) -> None:
    response = await client.post(path, json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text


async def test_counts_cover_the_window_and_only_the_units_own_activity(
    runtime: Runtime, client: httpx.AsyncClient, clock: Clock
) -> None:
    tenant = await clock.tenant(runtime)
    account = tenant.account_id
    unit = (await create_unit(client, tenant))["id"]  # Available, rent set at NOW, 3 bedrooms
    other = (await create_unit(client, tenant))["id"]

    # Prospects, in creation order: before the window, two inside, one of another unit, one at `end`.
    before = await prospect_at(runtime, account, NOW + 12 * timedelta(hours=1), unit_id=unit)
    first = await prospect_at(runtime, account, NOW + 2 * DAY, unit_id=unit)
    closed = await prospect_at(runtime, account, NOW + 5 * DAY, unit_id=unit, status="Not Interested")
    elsewhere = await prospect_at(runtime, account, NOW + 6 * DAY, unit_id=other)
    await prospect_at(runtime, account, END, unit_id=unit)

    # Events, in time order: only the unit's `Application Sent to Prospect` inside the window count.
    await record_event_at(runtime, first, "Showing Scheduled", NOW + 2 * DAY + timedelta(hours=1))
    await record_event_at(runtime, first, "Application Sent to Prospect", NOW + 3 * DAY)
    await record_event_at(runtime, elsewhere, "Application Sent to Prospect", NOW + 7 * DAY)
    await record_event_at(runtime, before, "Application Sent to Prospect", NOW + 12 * DAY)

    # Showings: booked in the window (3), completed and planned in it (2), still ahead (1).
    await add_showing(
        runtime, account, unit, first, planned=NOW + 4 * DAY, created_at=NOW + 2 * DAY,
        status="Completed", feedback="Great yard",
    )  # fmt: skip
    await add_showing(
        runtime, account, unit, before, planned=NOW + 1.5 * DAY, created_at=NOW + timedelta(hours=13),
        status="Completed", feedback="Too small",
    )  # fmt: skip
    await add_showing(runtime, account, unit, first, planned=NOW + 25 * DAY, created_at=NOW + 6 * DAY)
    await add_showing(
        runtime, account, unit, closed, planned=NOW + 8 * DAY, created_at=NOW + 7 * DAY, status="Canceled"
    )
    await add_showing(runtime, account, other, elsewhere, planned=NOW + 30 * DAY, created_at=NOW + 3 * DAY)

    # Application groups: one submitted inside, one at `end`, one of the other unit.
    for unit_id, submitted in ((unit, NOW + 9 * DAY), (unit, END), (other, NOW + 5 * DAY)):
        await make_group(
            runtime, account, unit_id, status="Submitted", created_at=NOW + 2 * DAY, submitted_at=submitted
        )

    # Texts: outbound text messages with the unit's prospects, from `start` (inclusive).
    for linked, created, overrides in (
        (before, START, {}),
        (first, NOW + 2 * DAY, {}),
        (first, NOW + 2 * DAY, {"direction": "inbound"}),
        (first, NOW + 2 * DAY, {"channel": "Email", "contact": "jane.doe@example.com"}),
        (elsewhere, NOW + 6 * DAY, {}),
        (first, END, {}),
    ):
        body = message_body(account, prospect_id=linked, created_at=z(created), **overrides)
        await _post(client, tenant, "/messages", body)

    # Calls with the unit's prospects inside the window (2); others are another unit's, unlinked or late.
    calls: list[tuple[int | None, datetime, str]] = [
        (first, NOW + 3 * DAY, "5551234567"),
        (before, NOW + 10 * DAY, "5551234567"),
        (before, END, "5551234567"),
        (elsewhere, NOW + 4 * DAY, "5551234567"),
        (None, NOW + 4 * DAY, "5550000000"),
    ]
    for prospect, created, number in calls:
        body = call_body(account, prospect_id=prospect, created_at=z(created), contact_number=number)
        await _post(client, tenant, "/calls", body)

    clock.advance(days=20)
    body = await performance(client, tenant, unit, START, END)

    assert list(body) == FIELDS
    assert body == {
        "unit_id": unit,
        "days_on_market": 20,
        "property_health": "At-risk",  # 4 leads since the rent was set, 20 days at 2.0 expected
        "benchmark_leads_since_last_price_change": 40,
        "new_prospects": 2,
        "showings_scheduled": 3,
        "showings_completed": 2,
        "applications_requested": 1,
        "applications_submitted": 1,
        "active_prospects": 2,
        "upcoming_showings": 1,
        "outbound_texts": 2,
        "total_calls": 2,
        "showing_feedback": [
            {
                "prospect_id": first,
                "prospect_name": "Jane Doe",
                "created_at": z(NOW + 4 * DAY),
                "feedback": "Great yard",
            },
            {
                "prospect_id": before,
                "prospect_name": "Jane Doe",
                "created_at": z(NOW + 1.5 * DAY),
                "feedback": "Too small",
            },
        ],
    }
    empty = await performance(client, tenant, unit, NOW + 40 * DAY, NOW + 41 * DAY)
    counts = {key: value for key, value in empty.items() if key not in ("unit_id", "days_on_market")}
    assert counts["new_prospects"] == counts["showings_scheduled"] == counts["total_calls"] == 0
    assert counts["showing_feedback"] == []
    assert counts["upcoming_showings"] == 1  # measured from now, whatever the window


async def _upsert(client: httpx.AsyncClient, tenant: Tenant, unit_id: int, **fields: Any) -> None:
    response = await client.post("/units", json={"id": unit_id, **fields}, headers=tenant.headers)
    assert response.status_code == 200, response.text


async def test_health_compares_the_leads_since_the_rent_was_set_with_the_configured_benchmark(
    runtime: Runtime, make_client: Any, clock: Clock
) -> None:
    client: httpx.AsyncClient = make_client(benchmark_leads_per_day={"0": 0.5, "3": 0.25})
    tenant = await clock.tenant(runtime)
    unit = (await create_unit(client, tenant))["id"]  # 3 bedrooms: 0.25 leads a day

    async def health() -> tuple[str, int, int | None]:
        body = await performance(client, tenant, unit, NOW - DAY, clock.now + DAY)
        return (
            body["property_health"],
            body["benchmark_leads_since_last_price_change"],
            body["days_on_market"],
        )

    assert await health() == ("Unknown", 0, 0)  # priced just now: nothing to compare yet
    clock.advance(days=8)
    assert await health() == ("At-risk", 2, 8)  # 8 days at 0.25: 2 expected, none came
    await prospect_at(runtime, tenant.account_id, clock.now - DAY, unit_id=unit)
    assert (await health())[0] == "At-risk"
    await prospect_at(runtime, tenant.account_id, clock.now - timedelta(hours=1), unit_id=unit)
    assert await health() == ("Healthy", 2, 8)

    await _upsert(client, tenant, unit, target_rental_rate=2300)  # a new price starts a new count
    clock.advance(days=4)
    assert await health() == ("At-risk", 1, 12)
    await _upsert(client, tenant, unit, status="On Hold")
    assert await health() == ("On Hold", 1, None)
    await _upsert(client, tenant, unit, status="Leased")
    assert await health() == ("Off-Market", 1, None)
    await _upsert(client, tenant, unit, status="Available")
    assert (await health())[2] == 0  # back on the market today


@pytest.mark.parametrize(
    ("bedrooms", "per_day"), [(None, 1.0), (0, 1.0), (1.5, 1.5), (2, 2.0), (3.9, 3.0), (9, 3.0)]
)
def test_the_benchmark_rounds_bedrooms_down_within_the_table(bedrooms: float | None, per_day: float) -> None:
    benchmark = Benchmark({0: 1.0, 1: 1.5, 2: 2.0, 3: 3.0})
    assert benchmark.per_day(bedrooms) == per_day
