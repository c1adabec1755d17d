"""The reports as a client checks them: a demo leasing pipeline is loaded, the client pages the
reports, counts the same figures itself from the plain lists (prospects, leasing events, calls,
messages, showings, application groups) and compares them row by row."""

import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from rentengine.demo import load_demo_data, loader
from rentengine.demo.loader import DemoSizes
from rentengine.kit.clock import set_clock, utc_now
from rentengine.runtime import Runtime
from tests.factories import Tenant, make_prospect_row, make_tenant

UNITS = 8
PROSPECTS = 300
STEP = timedelta(days=32)
# `Prescreen Rejected` and its reasons (`Prescreen Rejected - Credit`, …).
PRESCREEN_REJECTED = "Prescreen Rejected"
STEP_OF_EVENT = {
    "showings_scheduled": "Showing Scheduled",
    "showings_completed": "Showing Complete",
    "applications_requested": "Application Sent to Prospect",
    "applications_submitted": "Application Received",
    "apps_approved": "Application Approved",
}
MARKETING_FIELDS = (
    "source_key",
    "source_display",
    "leads",
    "showings_scheduled",
    "showings_completed",
    "upcoming_showings",
    "applications_requested",
    "applications_submitted",
    "apps_approved",
    "rejected_prescreens",
)
CLOSED_STATUSES = {
    "Not Interested",
    "Withdrawn",
    "Blocklist Prospect",
    "Unit of Interest Unavailable",
    "Ghosting",
    "Moved In",
    "Prescreen Rejected",
}
Record = dict[str, Any]


@dataclass
class Loaded:
    """An account holding the demo pipeline, and the moment the clock stands at."""

    tenant: Tenant
    now: datetime
    rebooked: int  # a prospect of months ago with no showing until one was booked now


@pytest.fixture(scope="module")
async def loaded(runtime: Runtime, client: httpx.AsyncClient) -> Loaded:
    tenant = await make_tenant(runtime)  # the key is issued before the pinned moment
    now = utc_now()
    set_clock(lambda: now)
    try:
        sizes = DemoSizes(units=UNITS, properties=0, lockbox_events=0, prospects=PROSPECTS)
        with pytest.MonkeyPatch.context() as patch:
            # Several batches, as `demo-data` writes a large pipeline: stories outlast their batch,
            # and later batches write the steps of earlier batches' prospects.
            patch.setattr(loader, "PROSPECT_CHUNK", PROSPECTS // 3)
            await load_demo_data(runtime.settings, sizes, tenant.account_id, show_progress=False)
        # Sources spelled otherwise than the pipeline's, and none at all, in the latest minutes.
        for minutes, source in ((9, "zillow"), (8, None), (7, "Apartments com"), (6, None)):
            await make_prospect_row(
                runtime, tenant.account_id, source=source, created_at=now - timedelta(minutes=minutes)
            )
        # Bookings through the API, whose `Showing Scheduled` events the leasing service writes:
        # a new prospect (source `API`), and one of months ago that had never booked a showing.
        unit_id = await bookable_unit(client, tenant)
        await book(client, tenant, unit_id, "Booked", "Online", "booked.online@example.com", "5125550199")
        rebooked = await unbooked_prospect(client, tenant, unit_id, now)
        first, last = rebooked["name"].split(" ", 1)
        await book(client, tenant, unit_id, first, last, rebooked["email"], rebooked["phone"])
    finally:
        set_clock(None)
    return Loaded(tenant, now, rebooked["id"])


async def bookable_unit(client: httpx.AsyncClient, tenant: Tenant) -> int:
    for unit in await array_pages(client, tenant, "/units", statuses="Available"):
        if await open_slots(client, tenant, unit["id"]):
            return int(unit["id"])
    raise AssertionError("no demo unit can be booked")


async def open_slots(client: httpx.AsyncClient, tenant: Tenant, unit_id: int) -> list[str]:
    response = await client.get("/showings/availability", params={"unitId": unit_id}, headers=tenant.headers)
    assert response.status_code == 200, response.text
    return [window["start"] for window in response.json()["availability"]["availableShowingWindows"]]


async def unbooked_prospect(client: httpx.AsyncClient, tenant: Tenant, unit_id: int, now: datetime) -> Record:
    """A prospect of the unit created 65 to 85 days ago (in the first 32-day step) with no showing."""
    candidates = await array_pages(
        client,
        tenant,
        "/prospects",
        created_after=z(now - timedelta(days=85)),
        created_before=z(now - timedelta(days=65)),
    )
    for prospect in candidates:
        if prospect["unit_of_interest"] != unit_id or not (prospect["email"] and prospect["phone"]):
            continue
        events, _ = await env_pages(client, tenant, "/leasing_events", prospect_id=prospect["id"])
        if all(event["event_type"] != "Showing Scheduled" for event in events):
            return prospect
    raise AssertionError("every prospect of the unit has had a showing")


async def book(
    client: httpx.AsyncClient, tenant: Tenant, unit_id: int, first: str, last: str, email: str, phone: str
) -> None:
    body = {
        "unitId": unit_id,
        "plannedForTime": (await open_slots(client, tenant, unit_id))[0],
        "prospectData": {
            "firstName": first,
            "lastName": last,
            "email": email,
            "phone": phone,
            "creditScore": "750+",
            "income": "$9000-$10000/month",
            "questionAnswers": [],
            "prospectType": "Self",
        },
    }
    response = await client.post("/showings/create", json=body, headers=tenant.headers)
    assert response.status_code == 200, response.text


@pytest.fixture
def pinned(loaded: Loaded) -> Iterator[Loaded]:
    """The clock stands at the moment the pipeline was planned at, for the whole test."""
    set_clock(lambda: loaded.now)
    try:
        yield loaded
    finally:
        set_clock(None)


def z(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def within(text: str | None, start: datetime, end: datetime) -> bool:
    return text is not None and start <= instant(text) < end


async def array_pages(client: httpx.AsyncClient, tenant: Tenant, path: str, **params: Any) -> list[Record]:
    """A bare-array list, 100 at a time, until a short page."""
    rows: list[Record] = []
    for page in range(10_000):
        response = await client.get(
            path, params={**params, "limit": 100, "page_number": page}, headers=tenant.headers
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert isinstance(body, list)
        rows += body
        if len(body) < 100:
            return rows
    raise AssertionError("paging did not end")


async def env_pages(
    client: httpx.AsyncClient, tenant: Tenant, path: str, limit: int = 100, **params: Any
) -> tuple[list[Record], int]:
    """An `env` list followed by `has_more`/`next_page_number`; the rows and the pages read."""
    rows: list[Record] = []
    page_number = 0
    for pages in range(1, 10_000):
        response = await client.get(
            path, params={**params, "limit": limit, "page_number": page_number}, headers=tenant.headers
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"data", "page"}
        page = body["page"]
        assert page["limit"] == limit
        assert page["page_number"] == page_number
        rows += body["data"]
        if not page["has_more"]:
            assert page["next_page_number"] is None
            assert len(body["data"]) <= limit
            return rows, pages
        assert len(body["data"]) == limit
        assert page["next_page_number"] == page_number + 1
        page_number = page["next_page_number"]
    raise AssertionError("paging did not end")


def accounts(tenant: Tenant) -> str:
    return str(tenant.account_id)


async def upcoming_showings(client: httpx.AsyncClient, tenant: Tenant, now: datetime) -> list[Record]:
    """The showings still `Scheduled` from now on. Nothing can be booked more than 14 days ahead
    (API.md §12.1), so the showings report of the next 32 days holds them all."""
    rows, _ = await env_pages(
        client, tenant, "/reporting/showings", account_ids=accounts(tenant), start=z(now), end=z(now + STEP)
    )
    return [row for row in rows if row["status"] == "Scheduled"]


def source_key(source: str | None) -> str:
    """`Apartments.com` → `apartments_com`: lower case, runs of anything else than a letter or a
    digit become `_`, none at either end; no source → `unknown`."""
    return re.sub("[^a-z0-9]+", "_", (source or "").lower()).strip("_") or "unknown"


def steps_by_prospect(events: list[Record]) -> dict[int, set[str]]:
    steps: dict[int, set[str]] = {}
    for event in events:
        steps.setdefault(event["prospect"], set()).add(event["event_type"])
    return steps


def funnel(prospects: list[Record], steps: dict[int, set[str]], upcoming: set[int]) -> dict[str, Record]:
    """The marketing-sources rows a client counts from the prospects of a period."""
    rows: dict[str, Record] = {}
    spellings: dict[str, Counter[str]] = {}
    for prospect in prospects:
        key = source_key(prospect["source"])
        spellings.setdefault(key, Counter())[prospect["source"] or "Unknown"] += 1
        row = rows.setdefault(key, dict.fromkeys(MARKETING_FIELDS[2:], 0))
        reached = steps.get(prospect["id"], set())
        row["leads"] += 1
        for name, event_type in STEP_OF_EVENT.items():
            row[name] += event_type in reached
        row["rejected_prescreens"] += any(step.startswith(PRESCREEN_REJECTED) for step in reached)
        row["upcoming_showings"] += prospect["id"] in upcoming
    for key, row in rows.items():
        most = max(spellings[key].values())
        display = min(spelling for spelling, count in spellings[key].items() if count == most)
        row |= {"source_key": key, "source_display": display}
    return rows


async def test_a_dashboard_pages_the_marketing_sources_of_90_days_in_32_day_steps(
    client: httpx.AsyncClient, pinned: Loaded
) -> None:
    tenant, now = pinned.tenant, pinned.now
    everyone = await array_pages(client, tenant, "/prospects")
    assert len(everyone) == PROSPECTS + 5
    events, _ = await env_pages(client, tenant, "/leasing_events")
    steps = steps_by_prospect(events)
    upcoming = {row["prospect_id"] for row in await upcoming_showings(client, tenant, now)}
    assert pinned.rebooked in upcoming
    # The last step starts exactly at a prospect's creation: the boundary is inclusive on that side
    # and exclusive on the other. The three steps end an hour or more after now.
    boundary = next(p for p in everyone if instant(p["created_at"]) > now - timedelta(days=26, hours=-1))
    third = instant(boundary["created_at"])
    t0 = third - 2 * STEP
    windows = [(t0, t0 + STEP), (t0 + STEP, third), (third, t0 + timedelta(days=90))]
    seen_keys: set[str] = set()
    for start, end in windows:
        prospects = await array_pages(
            client, tenant, "/prospects", created_after=z(start), created_before=z(end)
        )
        assert [p["id"] for p in prospects] == [
            p["id"] for p in everyone if within(p["created_at"], start, end)
        ]
        expected = funnel(prospects, steps, upcoming)

        rows, pages = await env_pages(
            client,
            tenant,
            "/reporting/marketing-sources",
            limit=3,
            account_ids=accounts(tenant),
            start=z(start),
            end=z(end),
        )
        assert pages >= 3
        for row in rows:
            assert tuple(row) == MARKETING_FIELDS
            assert all(type(row[name]) is int for name in MARKETING_FIELDS[2:]), row
        assert [row["source_key"] for row in rows] == sorted(
            expected, key=lambda key: (-expected[key]["leads"], key)
        )
        assert {row["source_key"]: row for row in rows} == expected
        assert sum(row["leads"] for row in rows) == len(prospects)
        seen_keys |= set(expected)
        # The same period written in a local time (UTC-6) is the same period.
        local = timezone(timedelta(hours=-6))
        in_local, _ = await env_pages(
            client,
            tenant,
            "/reporting/marketing-sources",
            limit=3,
            account_ids=accounts(tenant),
            start=start.astimezone(local).isoformat(),
            end=end.astimezone(local).isoformat(),
        )
        assert in_local == rows
        # A page past the end is empty.
        response = await client.get(
            "/reporting/marketing-sources",
            params={
                "account_ids": accounts(tenant),
                "start": z(start),
                "end": z(end),
                "limit": 3,
                "page_number": pages,
            },
            headers=tenant.headers,
        )
        assert response.status_code == 200, response.text
        assert response.json() == {
            "data": [],
            "page": {"limit": 3, "page_number": pages, "has_more": False, "next_page_number": None},
        }
    assert boundary["id"] in {p["id"] for p in everyone if within(p["created_at"], third, windows[2][1])}
    # The odd spellings, the prospects without a source and the bookings were counted too.
    assert {"unknown", "zillow", "apartments_com", "api"} <= seen_keys
    assert within(next(p for p in everyone if p["id"] == pinned.rebooked)["created_at"], *windows[0])


# Leasing performance of one unit.


@dataclass
class UnitActivity:
    """Everything of one unit's prospects that a client can list."""

    unit_id: int
    prospects: list[Record]
    events: list[Record]
    calls: list[Record]
    messages: list[Record]
    showings: list[Record]
    groups: list[Record]

    def performance(self, start: datetime, end: datetime, now: datetime) -> Record:
        """The counts of `GET /reporting/leasing-performance/units/{unitId}` over [start, end)."""
        showings = self.showings
        feedback = sorted(
            (s for s in showings if s["feedback"] is not None and within(s["planned_date_time"], start, end)),
            key=lambda s: (instant(s["planned_date_time"]), s["showing_id"]),
            reverse=True,
        )
        return {
            "new_prospects": sum(within(p["created_at"], start, end) for p in self.prospects),
            "showings_scheduled": sum(within(s["created_at"], start, end) for s in showings),
            "showings_completed": sum(
                s["status"] == "Completed" and within(s["planned_date_time"], start, end) for s in showings
            ),
            "applications_requested": sum(
                e["event_type"] == "Application Sent to Prospect" and within(e["created_at"], start, end)
                for e in self.events
            ),
            "applications_submitted": sum(within(g["submitted_at"], start, end) for g in self.groups),
            "active_prospects": sum(
                instant(p["created_at"]) < end and p["status"] not in CLOSED_STATUSES for p in self.prospects
            ),
            "upcoming_showings": sum(
                s["status"] == "Scheduled" and instant(s["planned_date_time"]) >= now for s in showings
            ),
            "outbound_texts": sum(
                m["direction"] == "outbound"
                and m["channel"] == "Text Message"
                and within(m["created_at"], start, end)
                for m in self.messages
            ),
            "total_calls": sum(within(c["created_at"], start, end) for c in self.calls),
            "showing_feedback": [
                {
                    "prospect_id": s["prospect_id"],
                    "prospect_name": s["prospect_name"],
                    "created_at": s["planned_date_time"],
                    "feedback": s["feedback"],
                }
                for s in feedback[:100]
            ],
        }


async def unit_activity(
    client: httpx.AsyncClient, tenant: Tenant, unit_id: int, everyone: list[Record], now: datetime
) -> UnitActivity:
    prospects = [p for p in everyone if p["unit_of_interest"] == unit_id]
    ids = {p["id"] for p in prospects}
    events: list[Record] = []
    calls: list[Record] = []
    messages: list[Record] = []
    for prospect_id in sorted(ids):
        events += (await env_pages(client, tenant, "/leasing_events", prospect_id=prospect_id))[0]
        for path, into in (("/calls", calls), ("/messages", messages)):
            into += (
                await env_pages(client, tenant, path, account_ids=accounts(tenant), prospect_id=prospect_id)
            )[0]
    # Every showing ever planned: the showings report, 32 days at a time, from before the first
    # prospect to after the last bookable slot; a showing's unit is its prospect's.
    showings: list[Record] = []
    start = min(instant(p["created_at"]) for p in everyone)
    while start < now + STEP:
        rows, _ = await env_pages(
            client,
            tenant,
            "/reporting/showings",
            account_ids=accounts(tenant),
            start=z(start),
            end=z(start + STEP),
        )
        showings += [row for row in rows if row["prospect_id"] in ids]
        start += STEP
    groups = [
        g for g in await array_pages(client, tenant, "/rental_application_groups") if g["unit_id"] == unit_id
    ]
    return UnitActivity(unit_id, prospects, events, calls, messages, showings, groups)


def health_allowed(
    unit: UnitActivity, record: Record, benchmark: int, per_day: float, now: datetime
) -> set[str]:
    """The health a client can tell from the unit and the benchmark. The benchmark is the leads
    per day times the whole days `d` since the rent was last set (when is not listed); the rent was
    set in (now - d - 1 days, now - d days], and since then came between `fewest` and `most` leads."""
    if record["status"] != "Available":
        return {"On Hold"} if record["status"] == "On Hold" else {"Off-Market"}
    listed_for = (now - instant(record["created_at"])).days
    allowed: set[str] = set()
    for days in (d for d in range(listed_for + 1) if math.floor(per_day * d) == benchmark):
        if days == 0:
            allowed.add("Unknown")
            continue
        created = [instant(p["created_at"]) for p in unit.prospects]
        fewest = sum(at >= now - timedelta(days=days) for at in created)
        most = sum(at > now - timedelta(days=days + 1) for at in created)
        allowed |= (
            {"Healthy"}
            if fewest >= benchmark
            else {"At-risk"}
            if most < benchmark
            else {"Healthy", "At-risk"}
        )
    return allowed


async def test_the_leasing_performance_of_a_demo_unit_counts_its_showings_calls_and_texts(
    client: httpx.AsyncClient, runtime: Runtime, pinned: Loaded
) -> None:
    tenant, now = pinned.tenant, pinned.now
    everyone = await array_pages(client, tenant, "/prospects")
    upcoming = await upcoming_showings(client, tenant, now)
    # The unit with the most prospects among those with a showing still ahead.
    ahead = {p["unit_of_interest"] for p in everyone if p["id"] in {s["prospect_id"] for s in upcoming}}
    per_unit = Counter(p["unit_of_interest"] for p in everyone if p["unit_of_interest"] in ahead)
    [(unit_id, count)] = per_unit.most_common(1)
    assert count >= 10
    unit = await unit_activity(client, tenant, unit_id, everyone, now)
    completed = [s for s in unit.showings if s["status"] == "Completed"]
    assert completed
    assert unit.calls
    assert unit.messages
    assert unit.groups
    # One showing per `Showing Scheduled` event; the demo's were booked when their event was written
    # (a booking made now writes its event a microsecond after an earlier one of this instant).
    scheduling = [e["created_at"] for e in unit.events if e["event_type"] == "Showing Scheduled"]
    assert len(unit.showings) == len(scheduling)
    assert sorted(s["created_at"] for s in unit.showings if instant(s["created_at"]) < now) == sorted(
        at for at in scheduling if instant(at) < now
    )
    [record] = await array_pages(client, tenant, "/units", unitIds=unit_id)
    on_market, _ = await env_pages(
        client, tenant, "/reporting/units", account_ids=accounts(tenant), start=z(now), end=z(now + STEP)
    )
    days_on_market = {row["unit_id"]: row["days_on_market"] for row in on_market}.get(unit_id)

    first = min(instant(p["created_at"]) for p in unit.prospects)
    whole = (first - timedelta(days=1), now + timedelta(days=30))
    # A narrower period that starts exactly when a showing was booked (inclusive) and ends exactly
    # when a later completed showing was planned (exclusive).
    booked = sorted(instant(s["created_at"]) for s in unit.showings)
    narrow_start = booked[len(booked) // 3]
    narrow_end = next(
        instant(s["planned_date_time"])
        for s in sorted(completed, key=lambda s: s["planned_date_time"])
        if instant(s["planned_date_time"]) > narrow_start + timedelta(days=20)
    )
    local = timezone(timedelta(hours=-6))
    per_day = runtime.settings.benchmark_leads_per_day[int(record["bedrooms"])]
    for start, end in (whole, (narrow_start, narrow_end)):
        expected = unit.performance(start, end, now) | {"unit_id": unit_id, "days_on_market": days_on_market}
        # The same period in UTC and in a local time (UTC-6).
        for params in (
            {"start": z(start), "end": z(end)},
            {"start": start.astimezone(local).isoformat(), "end": end.astimezone(local).isoformat()},
        ):
            response = await client.get(
                f"/reporting/leasing-performance/units/{unit_id}", params=params, headers=tenant.headers
            )
            assert response.status_code == 200, response.text
            report = response.json()
            benchmark = report.pop("benchmark_leads_since_last_price_change")
            health = report.pop("property_health")
            assert report == expected, params
            assert type(benchmark) is int
            assert health in health_allowed(unit, record, benchmark, per_day, now)
            for name, value in report.items():
                if name not in {"days_on_market", "showing_feedback"}:
                    assert type(value) is int, name
    assert (
        unit.performance(*whole, now)["outbound_texts"]
        > unit.performance(narrow_start, narrow_end, now)["outbound_texts"]
        > 0
    )
