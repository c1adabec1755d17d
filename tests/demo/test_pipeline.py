"""The demo leasing pipeline: prospects on the account's units whose events, showings, calls,
messages and applications tell one consistent story each, loaded beside rows written through the API."""

import re
import uuid
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from rentengine.applications import service as applications
from rentengine.auth.models import Account
from rentengine.changes.types import Actor
from rentengine.demo import SERVE_DEMO_SIZES, ensure_demo, loader
from rentengine.demo.stories import STATUS_OF_EVENT
from rentengine.kit.clock import set_clock, utc_now
from rentengine.prospects import service as prospects
from rentengine.runtime import Runtime
from rentengine.showings.models import Showing
from tests.communications.factories import call_body, message_body
from tests.conftest import make_settings
from tests.databases import throwaway_database
from tests.demo.support import Pipeline, audit_counts, highest_ids, load_pipeline, read_pipeline
from tests.factories import Tenant, make_prospect_row, make_tenant, unit_body
from tests.leasing.factories import assign_body

UNITS = 20
PROSPECTS = 400
PLATFORM = Actor(user_id=None)


@pytest.fixture(scope="module")
async def loaded(runtime: Runtime) -> tuple[Tenant, Pipeline]:
    """One account's demo data, shared by the read-only tests of this module."""
    tenant = await make_tenant(runtime)
    await load_pipeline(runtime, tenant.account_id, units=UNITS, prospects=PROSPECTS)
    return tenant, await read_pipeline(runtime, tenant.account_id)


async def test_as_many_prospects_as_asked_on_units_of_their_own_account(
    loaded: tuple[Tenant, Pipeline],
) -> None:
    tenant, pipeline = loaded
    assert len(pipeline.prospects) == PROSPECTS
    assert len(pipeline.unit_ids) == UNITS
    assert {p.account_id for p in pipeline.prospects} == {tenant.account_id}
    assert {p.unit_id for p in pipeline.prospects} <= set(pipeline.unit_ids)


async def test_every_child_row_is_in_its_prospects_account(loaded: tuple[Tenant, Pipeline]) -> None:
    tenant, pipeline = loaded
    assert pipeline.events
    assert pipeline.showings
    assert pipeline.groups
    assert {event.account_id for event in pipeline.events} == {tenant.account_id}
    assert {showing.account_id for showing in pipeline.showings} == {tenant.account_id}
    assert {showing.unit_id for showing in pipeline.showings} <= set(pipeline.unit_ids)
    for group in pipeline.groups:
        assert group.unit_id in pipeline.unit_ids
        assert pipeline.prospect(group.lead_prospect_id).unit_id == group.unit_id
    for showing in pipeline.showings:
        assert pipeline.prospect(showing.prospect_id).unit_id == showing.unit_id


async def test_each_story_starts_new_runs_in_time_order_and_ends_in_the_prospects_status(
    loaded: tuple[Tenant, Pipeline],
) -> None:
    _tenant, pipeline = loaded
    for prospect in pipeline.prospects:
        events = pipeline.events_of(prospect)
        assert events[0].event_type == "New"
        assert events[0].created_at == prospect.created_at
        times = [event.created_at for event in events]
        assert times == sorted(times)
        assert times[-1] <= utc_now()
        changes = [event for event in events if event.event_type in STATUS_OF_EVENT]
        assert prospect.status == STATUS_OF_EVENT[changes[-1].event_type]
        assert prospect.updated_at == changes[-1].created_at


async def test_the_statuses_cover_the_pipeline(loaded: tuple[Tenant, Pipeline]) -> None:
    _tenant, pipeline = loaded
    statuses = {prospect.status for prospect in pipeline.prospects}
    expected = {"New", "Showing Scheduled", "Application Approved", "Not Interested", "Ghosting", "Moved In"}
    assert expected <= statuses
    assert len(statuses) >= 12


async def test_a_showing_per_scheduling_event_at_its_planned_time(loaded: tuple[Tenant, Pipeline]) -> None:
    _tenant, pipeline = loaded
    for prospect in pipeline.prospects:
        scheduled = [e for e in pipeline.events_of(prospect) if e.event_type == "Showing Scheduled"]
        showings = pipeline.showings_of(prospect)
        assert [e.planned_date_time for e in scheduled] == [s.planned_date_time for s in showings]
        assert [e.created_at for e in scheduled] == [s.created_at for s in showings]


async def test_showings_by_status(loaded: tuple[Tenant, Pipeline]) -> None:
    _tenant, pipeline = loaded
    now = utc_now()
    by_status: dict[str, list[Showing]] = {}
    for showing in pipeline.showings:
        by_status.setdefault(showing.status, []).append(showing)
        assert showing.created_at <= showing.updated_at <= now
        assert showing.planned_date_time > showing.created_at
    assert set(by_status) == {"Scheduled", "Completed", "Missed", "Canceled"}
    assert all(s.planned_date_time > now and s.feedback is None for s in by_status["Scheduled"])
    assert all(s.planned_date_time < now and s.feedback for s in by_status["Completed"])
    assert all(s.planned_date_time < now and not s.feedback for s in by_status["Missed"])
    assert all(s.cancellation_reason and s.updated_at < s.planned_date_time for s in by_status["Canceled"])
    scheduled_prospects = {pipeline.prospect(s.prospect_id).status for s in by_status["Scheduled"]}
    assert scheduled_prospects == {"Showing Scheduled"}


async def test_applications_follow_their_prospects_story(loaded: tuple[Tenant, Pipeline]) -> None:
    _tenant, pipeline = loaded
    statuses = {group.status for group in pipeline.groups}
    assert statuses == {"In Progress", "Submitted", "Approved", "Rejected", "Withdrawn"}
    for group in pipeline.groups:
        prospect = pipeline.prospect(group.lead_prospect_id)
        types = [event.event_type for event in pipeline.events_of(prospect)]
        assert "Application Sent to Prospect" in types
        assert (group.submitted_at is None) == (
            group.status == "In Progress" or "Application Received" not in types
        )
        if group.status == "Approved":
            assert prospect.status in {"Application Approved", "Moved In"}
        if group.submitted_at is not None:
            assert group.created_at < group.submitted_at <= group.updated_at


async def test_calls_and_messages_reach_prospects_by_their_phone_or_email(
    loaded: tuple[Tenant, Pipeline],
) -> None:
    _tenant, pipeline = loaded
    for call in pipeline.calls:
        assert re.fullmatch(r"[0-9]{10}", call.contact_number)
        assert call.direction in {"inbound", "outbound"}
        assert call.status in {"completed", "missed", "voicemail", "failed"}
        if call.prospect_id is not None:
            assert call.contact_number == pipeline.prospect(call.prospect_id).phone
    for message in pipeline.messages:
        assert message.body
        if message.prospect_id is not None:
            prospect = pipeline.prospect(message.prospect_id)
            contact = prospect.email if message.channel == "Email" else prospect.phone
            assert message.contact == contact
    assert {m.channel for m in pipeline.messages} >= {"Text Message", "Email"}
    assert {c.status for c in pipeline.calls} >= {"completed", "missed", "voicemail"}
    assert any(c.prospect_id is None for c in pipeline.calls + pipeline.messages)
    assert all(c.call_duration for c in pipeline.calls if c.status == "completed")


async def test_people_look_real_and_some_ask_about_two_units(loaded: tuple[Tenant, Pipeline]) -> None:
    _tenant, pipeline = loaded
    for prospect in pipeline.prospects:
        assert prospect.email
        assert prospect.email == prospect.email.lower()
        assert "@" in prospect.email
        assert prospect.phone
        assert re.fullmatch(r"[0-9]{10}", prospect.phone)
        assert prospect.first_name
        assert prospect.last_name
    phones = [p.phone for p in pipeline.prospects]
    shared = {phone for phone in phones if phones.count(phone) > 1}
    assert shared
    for phone in shared:
        asking = [p for p in pipeline.prospects if p.phone == phone]
        assert len({p.email for p in asking}) == 1
        assert len({p.unit_id for p in asking}) > 1
    assert len({p.source for p in pipeline.prospects}) >= 8
    assert {"Zillow", "Apartments.com", "Website Widget", "Phone Call"} <= {
        p.source for p in pipeline.prospects
    }


async def test_created_over_the_last_120_days_and_today(loaded: tuple[Tenant, Pipeline]) -> None:
    _tenant, pipeline = loaded
    now = utc_now()
    created = [p.created_at for p in pipeline.prospects]
    assert created == sorted(created)  # ids grow with creation, as for prospects written later
    assert now - timedelta(days=120) <= created[0] < now - timedelta(days=110)
    assert sum(1 for c in created if c > now - timedelta(hours=12)) >= 10
    assert created[-1] <= now


async def test_every_row_is_audited_as_an_insert(runtime: Runtime, loaded: tuple[Tenant, Pipeline]) -> None:
    tenant, pipeline = loaded
    assert await audit_counts(runtime, tenant.account_id) == {
        "prospects": len(pipeline.prospects),
        "leasing_events": len(pipeline.events),
        "showings": len(pipeline.showings),
        "rental_application_groups": len(pipeline.groups),
        "calls": len(pipeline.calls),
        "messages": len(pipeline.messages),
    }


async def test_the_same_seed_and_clock_give_the_same_pipeline(runtime: Runtime) -> None:
    first, second = await make_tenant(runtime), await make_tenant(runtime)
    moment = utc_now()
    set_clock(lambda: moment)
    try:
        for tenant in (first, second):
            await load_pipeline(runtime, tenant.account_id, units=8, prospects=60)
    finally:
        set_clock(None)
    one, other = (
        await read_pipeline(runtime, first.account_id),
        await read_pipeline(runtime, second.account_id),
    )
    assert _story_lines(one) == _story_lines(other)
    assert len(one.calls) == len(other.calls)
    assert len(one.messages) == len(other.messages)


async def test_batches_insert_prospects_and_events_in_time_order_with_their_planned_times(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole, batched = await make_tenant(runtime), await make_tenant(runtime)
    moment = utc_now()
    set_clock(lambda: moment)
    try:
        await load_pipeline(runtime, whole.account_id, units=8, prospects=90)
        # Stories outlast their batch: later batches must take the events that come after theirs.
        monkeypatch.setattr(loader, "PROSPECT_CHUNK", 20)
        await load_pipeline(runtime, batched.account_id, units=8, prospects=90)
    finally:
        set_clock(None)
    one, other = (
        await read_pipeline(runtime, whole.account_id),
        await read_pipeline(runtime, batched.account_id),
    )
    assert _story_lines(other) == _story_lines(one)
    for pipeline in (one, other):
        # Listed in id order, which is their positions' order and their times' order.
        for positioned in (
            [(row.account_seq, row.created_at) for row in pipeline.prospects],
            [(row.account_seq, row.created_at) for row in pipeline.events],
        ):
            assert [seq for seq, _ in positioned] == list(range(1, len(positioned) + 1))
            assert all(a < b for (_, a), (_, b) in pairwise(positioned))


def _story_lines(pipeline: Pipeline) -> list[tuple[object, ...]]:
    """Each prospect and its events, with units named by their place in the account."""
    place = {unit_id: n for n, unit_id in enumerate(pipeline.unit_ids)}
    return [
        (
            p.email,
            p.phone,
            p.source,
            p.status,
            p.created_at,
            place.get(p.unit_id or 0),
            [(e.event_type, e.created_at, e.planned_date_time) for e in pipeline.events_of(p)],
        )
        for p in pipeline.prospects
    ]


async def test_loading_beside_rows_written_through_the_api(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    unit_id = await _posted(client, tenant, "/units", unit_body(tenant.account_id))
    prospect_id = await make_prospect_row(runtime, tenant.account_id, unit_id, phone="5125550000")
    call_id = await _posted(
        client, tenant, "/calls", call_body(tenant.account_id, contact_number="5125550000")
    )
    before = await read_pipeline(runtime, tenant.account_id)
    await load_pipeline(runtime, tenant.account_id, units=5, prospects=80)
    after = await read_pipeline(runtime, tenant.account_id)
    assert after.prospects[0].id == prospect_id
    assert _columns(after.prospects[0]) == _columns(before.prospects[0])
    assert after.calls[0].id == call_id
    assert after.calls[0].prospect_id == prospect_id
    assert len(after.prospects) == 81
    assert after.unit_ids[0] == unit_id
    assert len(after.unit_ids) == 6
    assert all(p.id > prospect_id for p in after.prospects[1:])
    assert {p.unit_id for p in after.prospects} <= set(after.unit_ids)


def _columns(row: object) -> dict[str, object]:
    return {key: value for key, value in vars(row).items() if not key.startswith("_")}


async def test_a_write_after_loading_gets_a_fresh_id(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    await load_pipeline(runtime, tenant.account_id, units=5, prospects=60)
    highest = await highest_ids(runtime)
    pipeline = await read_pipeline(runtime, tenant.account_id)
    prospect, unit_id = pipeline.prospects[-1], pipeline.unit_ids[0]
    fresh = {
        "calls": await _posted(client, tenant, "/calls", call_body(tenant.account_id)),
        "messages": await _posted(client, tenant, "/messages", message_body(tenant.account_id)),
        "leasing_events": await _posted(
            client, tenant, "/leasing_events", assign_body(prospect.id, tenant.user_id)
        ),
    }
    async with runtime.db.transaction() as session:
        made = await prospects.create_prospect(
            session, PLATFORM, {"account_id": tenant.account_id, "status": "New", "unit_id": unit_id}
        )
        group = await applications.create_group(
            session, PLATFORM, account_id=tenant.account_id, unit_id=unit_id
        )
        showing = Showing(
            account_id=tenant.account_id,
            unit_id=unit_id,
            prospect_id=prospect.id,
            planned_date_time=utc_now() + timedelta(days=1),
            status="Scheduled",
            created_at=utc_now(),
            updated_at=utc_now(),
        )
        session.add(showing)
        await session.flush()
        fresh |= {"prospects": made.id, "rental_application_groups": group["id"], "showings": showing.id}
    assert set(fresh) == set(highest)
    for table, new_id in fresh.items():
        assert new_id > highest[table], table


async def _posted(client: httpx.AsyncClient, tenant: Tenant, path: str, body: dict[str, object]) -> int:
    response = await client.post(path, json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text
    record = response.json()
    return int(record["id"] if isinstance(record, dict) else record[0]["id"])


async def test_serve_demo_includes_a_modest_pipeline(backend: str, tmp_path: Path) -> None:
    async with throwaway_database(backend, tmp_path, prefix="rentengine_demo") as url:
        runtime = Runtime.build(make_settings(url))
        try:
            await ensure_demo(runtime.settings, "http://127.0.0.1:8000")
            [account_id] = await _account_ids(runtime)
            pipeline = await read_pipeline(runtime, account_id)
        finally:
            await runtime.db.dispose()
    assert len(pipeline.prospects) == SERVE_DEMO_SIZES.prospects >= 100
    assert len(pipeline.unit_ids) == SERVE_DEMO_SIZES.units
    assert any(s.status == "Scheduled" and s.planned_date_time > datetime.now(UTC) for s in pipeline.showings)
    # The demo user handles the prospects: assigned, and the agent on outbound calls.
    assert any(e.event_type == "Assign to User" for e in pipeline.events)
    assert any(c.user_id is not None for c in pipeline.calls if c.direction == "outbound")


async def _account_ids(runtime: Runtime) -> list[uuid.UUID]:
    async with runtime.db.transaction(writes=False) as session:
        return list(await session.scalars(select(Account.id)))
