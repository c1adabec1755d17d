"""The account reports (API.md §15.2) read the way a dashboard reads them: `env` pages of rows over
a period, for some of the caller's accounts, each row's fields exactly as documented."""

import uuid
from datetime import timedelta

import httpx

from rentengine.runtime import Runtime
from tests.applications.factories import make_group
from tests.communications.factories import call_body
from tests.factories import make_tenant
from tests.leasing.factories import record_event_at
from tests.prospects.factories import prospect_at
from tests.reporting.factories import add_showing, report_page, report_rows
from tests.showings.helpers import NOW, Clock, availability, booked, create_unit, starts, z

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
SOURCES = "/reporting/marketing-sources"
STEPS = (
    "showings_scheduled",
    "showings_completed",
    "upcoming_showings",
    "applications_requested",
    "applications_submitted",
    "apps_approved",
    "rejected_prescreens",
)


def source_row(key: str, display: str, leads: int, **reached: int) -> dict[str, object]:
    """A marketing-sources row in its documented field order; steps not given are 0."""
    return {"source_key": key, "source_display": display, "leads": leads} | {
        step: reached.get(step, 0) for step in STEPS
    }


async def test_marketing_sources_follow_each_sources_leads_through_the_pipeline(
    runtime: Runtime, client: httpx.AsyncClient, clock: Clock
) -> None:
    tenant = await clock.tenant(runtime)
    stranger = await clock.tenant(runtime)
    account = tenant.account_id
    unit = (await create_unit(client, tenant))["id"]
    start = NOW - 10 * DAY

    await prospect_at(runtime, account, start - HOUR, source="Zillow")  # before the period
    zillow = [await prospect_at(runtime, account, start + i * HOUR, source="Zillow") for i in range(3)]
    lower = await prospect_at(runtime, account, start + 4 * HOUR, source="zillow")
    unknown = await prospect_at(runtime, account, start + 5 * HOUR, source=None)
    apartments = [
        await prospect_at(runtime, account, start + (6 + i) * HOUR, source="Apartments.com") for i in range(2)
    ]
    await prospect_at(runtime, stranger.account_id, start + 6 * HOUR, source="Zillow")

    # Steps, each counted once per prospect: a second showing of the same prospect adds nothing.
    steps = [
        (zillow[0], "Showing Scheduled"),
        (zillow[0], "Showing Scheduled"),
        (zillow[0], "Showing Complete"),
        (zillow[0], "Application Sent to Prospect"),
        (zillow[0], "Application Received"),
        (zillow[0], "Application Approved"),
        (zillow[1], "Showing Scheduled"),
        (lower, "Prescreen Rejected - Credit"),
        (unknown, "Contacted"),
        (apartments[1], "Prescreen Rejected"),
    ]
    for i, (prospect, event_type) in enumerate(steps):
        await record_event_at(runtime, prospect, event_type, start + (10 + i) * HOUR)

    # A showing booked through the API now: its prospect (source `API`) reaches the step at once.
    planned = starts((await availability(client, tenant, unit))["availableShowingWindows"])[1]
    await booked(client, tenant, unit, planned)

    rows = await report_rows(client, tenant, SOURCES, start, clock.now + HOUR, limit=2)
    assert rows == [
        source_row("zillow", "Zillow", 4, showings_scheduled=2, showings_completed=1,
                   applications_requested=1, applications_submitted=1, apps_approved=1,
                   rejected_prescreens=1),
        source_row("apartments_com", "Apartments.com", 2, rejected_prescreens=1),
        source_row("api", "API", 1, showings_scheduled=1, upcoming_showings=1),
        source_row("unknown", "Unknown", 1),
    ]  # fmt: skip
    # The period selects the leads; their steps count whenever they happened.
    first_hours = await report_rows(client, tenant, SOURCES, start, start + 3 * HOUR)
    assert [(row["source_key"], row["leads"], row["apps_approved"]) for row in first_hours] == [
        ("zillow", 3, 1)
    ]


async def test_showings_calls_and_applications_list_the_period_in_time_order(
    runtime: Runtime, client: httpx.AsyncClient, clock: Clock
) -> None:
    tenant = await clock.tenant(runtime)
    account = tenant.account_id
    unit = (await create_unit(client, tenant))["id"]
    jane = await prospect_at(runtime, account, NOW - 5 * DAY)
    sam = await prospect_at(
        runtime, account, NOW - 4 * DAY, first_name="Sam", last_name="Lee", phone="5559876543"
    )

    ids = [
        await add_showing(runtime, account, unit, sam, planned=NOW - DAY, created_at=NOW - 3 * DAY,
                          status="Canceled", cancellation_reason="Weather"),
        await add_showing(runtime, account, unit, jane, planned=NOW - 2 * DAY, created_at=NOW - 3 * DAY,
                          status="Completed", feedback="Liked it"),
        await add_showing(runtime, account, unit, jane, planned=NOW + 2 * DAY, created_at=NOW - 3 * DAY),
    ]  # fmt: skip
    first = await report_page(client, tenant, "/reporting/showings", NOW - 3 * DAY, NOW, limit=1)
    assert first["page"] == {"limit": 1, "page_number": 0, "has_more": True, "next_page_number": 1}
    rows = await report_rows(client, tenant, "/reporting/showings", NOW - 3 * DAY, NOW, limit=1)
    assert rows == [
        {
            "showing_id": ids[1],
            "prospect_id": jane,
            "property_address": "123 Main St 4B, Austin, TX 78701",
            "prospect_name": "Jane Doe",
            "status": "Completed",
            "feedback": "Liked it",
            "created_at": z(NOW - 3 * DAY),
            "planned_date_time": z(NOW - 2 * DAY),
            "showing_agent": None,
            "cancellation_reason": None,
        },
        {
            "showing_id": ids[0],
            "prospect_id": sam,
            "property_address": "123 Main St 4B, Austin, TX 78701",
            "prospect_name": "Sam Lee",
            "status": "Canceled",
            "feedback": None,
            "created_at": z(NOW - 3 * DAY),
            "planned_date_time": z(NOW - DAY),
            "showing_agent": None,
            "cancellation_reason": "Weather",
        },
    ]

    for body in (
        call_body(account, prospect_id=sam, contact_number="5559876543", created_at=z(NOW - 2 * DAY),
                  direction="outbound", call_duration=95, user_id=str(tenant.user_id)),
        call_body(account, contact_number="5550000000", created_at=z(NOW - DAY), status="missed"),
    ):  # fmt: skip
        response = await client.post("/calls", json=body, headers=tenant.headers)
        assert response.status_code == 201, response.text
    calls = await report_rows(client, tenant, "/reporting/calls", NOW - 3 * DAY, NOW)
    assert calls == [
        {
            "name": "Sam Lee",
            "created_at": z(NOW - 2 * DAY),
            "call_direction": "outbound",
            "status": "completed",
            "contact_number": "5559876543",
            "call_duration": 95,
            "prospect_name": "Sam Lee",
            "user_id": str(tenant.user_id),
        },
        {
            "name": "5550000000",
            "created_at": z(NOW - DAY),
            "call_direction": "inbound",
            "status": "missed",
            "contact_number": "5550000000",
            "call_duration": None,
            "prospect_name": None,
            "user_id": "",
        },
    ]

    group = await make_group(runtime, account, unit, lead_prospect_id=jane, status="Submitted",
                             created_at=NOW - 2 * DAY, submitted_at=NOW - DAY)  # fmt: skip
    await make_group(runtime, account, unit, created_at=NOW + HOUR)  # after the period
    applications = await report_rows(client, tenant, "/reporting/applications", NOW - 3 * DAY, NOW)
    assert applications == [
        {
            "application_group_id": group["id"],
            "lead_applicant": "Jane Doe",
            "address": "123 Main St 4B, Austin, TX 78701",
            "status": "Submitted",
            "created_at": z(NOW - 2 * DAY),
            "submitted_at": z(NOW - DAY),
        }
    ]


async def test_units_report_counts_days_on_market_in_the_accounts_time_zone(
    runtime: Runtime, client: httpx.AsyncClient, clock: Clock
) -> None:
    tenant = await clock.tenant(runtime)
    # 23:30 on Tuesday in Chicago (the account's zone), already Wednesday in UTC.
    clock.now = NOW - 6.5 * HOUR
    listed = (await create_unit(client, tenant, target_rental_rate=1850))["id"]
    await create_unit(client, tenant, status="Leased")
    stranger = await clock.tenant(runtime)
    await create_unit(client, stranger, status="Available")  # another tenant's, never listed
    clock.now = NOW + DAY  # Thursday 06:00 in Chicago

    rows = await report_rows(client, tenant, "/reporting/units", NOW - DAY, NOW)
    assert rows == [
        {
            "unit_id": listed,
            "address": "123 Main St 4B, Austin, TX 78701",
            "date_marked_available": "2031-03-04",
            "status": "Available",
            "target_rental_rate": 1850,
            "days_on_market": 2,  # Tuesday to Thursday, though only 30.5 hours have passed
        }
    ]


async def test_several_accounts_are_reported_together(runtime: Runtime, client: httpx.AsyncClient) -> None:
    owner = await make_tenant(runtime, accounts=2)
    accounts: list[uuid.UUID] = [owner.account_id, *owner.other_account_ids]
    for account in accounts:
        await create_unit(client, owner, account)
    body = await report_page(client, owner, "/reporting/units", NOW, NOW + DAY, accounts=accounts)
    assert len(body["data"]) == 2
    alone = await report_page(client, owner, "/reporting/units", NOW, NOW + DAY)
    assert len(alone["data"]) == 1
