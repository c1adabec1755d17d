"""Audit entries past RENTENGINE_AUDIT_RETENTION_DAYS go, newer ones stay, and the unit status
changes the comparables read (lease day, days on market) outlive the period."""

import itertools
import random
import uuid
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from rentengine.audit.models import AuditEntry
from rentengine.audit.service import write_audit_entries
from rentengine.changes.types import Actor, Change
from rentengine.comps.repository import AVAILABLE, LEASED, Candidate, StatusChange, status_changes
from rentengine.comps.service import Market, leased_market
from rentengine.kit.clock import isoformat_z
from rentengine.retention import Periods, purge_all
from rentengine.retention.audit import still_read
from rentengine.runtime import Runtime
from rentengine.units.models import Unit
from tests.factories import Tenant, make_tenant, make_unit_row, property_body
from tests.retention.conftest import T0, Clock

DAY = timedelta(days=1)
AUDIT_30_DAYS = Periods(lockbox_events=None, audit_entries=30 * DAY, webhook_deliveries=30 * DAY)


async def audit_log(api: httpx.AsyncClient, tenant: Tenant, **params: str) -> list[dict[str, Any]]:
    response = await api.get("/audit_log", params={"limit": "100", **params}, headers=tenant.headers)
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()
    return entries


async def create_property(api: httpx.AsyncClient, tenant: Tenant) -> str:
    response = await api.post(
        "/multifamily_properties", json=property_body(tenant.account_id), headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    property_id: str = response.json()[0]["id"]
    return property_id


async def test_entries_past_the_period_go_and_newer_ones_stay(
    rt: Runtime, api: httpx.AsyncClient, clock: Clock
) -> None:
    tenant = await make_tenant(rt)
    old = [await create_property(api, tenant) for _ in range(3)]
    clock.advance(20 * DAY)
    recent = [await create_property(api, tenant) for _ in range(2)]
    clock.advance(20 * DAY)
    assert [e["record_id"] for e in await audit_log(api, tenant)] == old + recent

    report = await purge_all(rt.db, AUDIT_30_DAYS, batch_rows=2)

    assert report.deleted["audit_entries"] == 3
    assert [e["record_id"] for e in await audit_log(api, tenant)] == recent
    second_page = await audit_log(api, tenant, limit="1", page_number="1")
    assert [e["record_id"] for e in second_page] == recent[1:]
    window = {"created_after": isoformat_z(T0 - DAY), "created_before": isoformat_z(clock.now)}
    assert [e["record_id"] for e in await audit_log(api, tenant, **window)] == recent
    # The properties themselves are the customer's data, not the log's: all five are still there.
    listed = await api.get("/multifamily_properties", params={"limit": "100"}, headers=tenant.headers)
    assert len(listed.json()) == 5


async def test_nothing_goes_without_a_period(rt: Runtime, api: httpx.AsyncClient, clock: Clock) -> None:
    tenant = await make_tenant(rt)
    await create_property(api, tenant)
    clock.advance(3650 * DAY)

    report = await purge_all(rt.db, Periods.of(rt.settings))

    assert rt.settings.audit_retention_days is None
    assert "audit_entries" not in report.deleted
    assert len(await audit_log(api, tenant)) == 1


async def _record_statuses(
    rt: Runtime, tenant: Tenant, unit_id: int, statuses: list[str], clock: Clock
) -> None:
    """The unit's status changes as the units service records them, a day apart; a rent change
    (no status) between each."""
    for old, new in itertools.pairwise(statuses):
        changes = [
            Change.update(
                "units", tenant.account_id, {"id": unit_id, "status": new}, {"id": unit_id, "status": old}
            ),
        ]
        async with rt.db.transaction() as session:
            await write_audit_entries(session, Actor(user_id=tenant.user_id), changes)
        clock.advance(DAY)
        rent = Change.update(
            "units", tenant.account_id, {"id": unit_id, "rent": 2}, {"id": unit_id, "rent": 1}
        )
        async with rt.db.transaction() as session:
            await write_audit_entries(session, Actor(user_id=tenant.user_id), [rent])
        clock.advance(DAY)


async def _market(rt: Runtime, tenant: Tenant, unit_id: int) -> Market:
    async with rt.db.transaction(writes=False) as session:
        history = await status_changes(session, [(tenant.account_id, unit_id)])
    return leased_market(_candidate(unit_id, tenant.account_id), history.get(unit_id, []))


async def _entries(rt: Runtime, account_id: uuid.UUID) -> int:
    async with rt.db.transaction(writes=False) as session:
        count = await session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.account_id == account_id)
        )
    return int(count or 0)


async def test_the_status_changes_comps_read_outlive_the_period(rt: Runtime, clock: Clock) -> None:
    tenant = await make_tenant(rt)
    unit_id = await make_unit_row(rt, tenant.account_id)
    gone_unit = await make_unit_row(rt, tenant.account_id)
    cycles = [AVAILABLE, LEASED, AVAILABLE, LEASED, AVAILABLE, "Off Market", AVAILABLE, LEASED]
    await _record_statuses(rt, tenant, unit_id, cycles, clock)
    await _record_statuses(rt, tenant, gone_unit, cycles, clock)
    async with rt.db.transaction() as session:  # a deleted unit's history is read by no one
        await session.delete(await session.get(Unit, gone_unit))
    before = await _market(rt, tenant, unit_id)
    assert before.date_rented == (T0 + 12 * DAY).date()  # the last change to Leased, the 7th change
    assert before.days_on_market == 2  # listed again the day of the 6th change, two days before
    clock.advance(400 * DAY)

    report = await purge_all(rt.db, AUDIT_30_DAYS)

    assert await _market(rt, tenant, unit_id) == before
    # Kept: the first change, the last to Leased and the last to Available before it; the other
    # four changes, the seven rent changes and the whole history of the deleted unit went.
    assert await _entries(rt, tenant.account_id) == 3
    assert report.deleted["audit_entries"] == 2 * 14 - 3


def _candidate(unit_id: int, account_id: uuid.UUID) -> Candidate:
    return Candidate(
        id=unit_id,
        account_id=account_id,
        status=LEASED,
        property_type="SINGLE FAMILY RESIDENCE",
        bedrooms=3,
        bathrooms=2,
        sqft=1000,
        num_parking_spots=None,
        target_rental_rate=1800.0,
        available_since=None,
        created_at=T0 - 5 * DAY,
        attributes={},
        street_number="1",
        street_name="Main St",
        unit=None,
        city="Austin",
        state="TX",
        zip_code="78701",
        latitude=30.0,
        longitude=-97.0,
    )


def test_what_is_kept_reads_as_the_whole_history_now_and_after_later_changes() -> None:
    """For random histories, the comparables read the same from the spared changes as from all of
    them, and still do once more changes follow."""
    statuses = [AVAILABLE, LEASED, "Off Market", "Pending"]
    rng = random.Random(20261202)
    candidate = _candidate(1, uuid.uuid4())
    for _ in range(2000):
        length = rng.randint(0, 9)
        history = [
            StatusChange(T0 + i * DAY, rng.choice(statuses), rng.choice(statuses)) for i in range(length)
        ]
        kept_ids = still_read((i, change.new) for i, change in enumerate(history))
        kept = [change for i, change in enumerate(history) if i in kept_ids]
        later = [
            StatusChange(T0 + (100 + i) * DAY, rng.choice(statuses), rng.choice(statuses)) for i in range(3)
        ]
        for more in range(len(later) + 1):
            assert leased_market(candidate, kept + later[:more]) == leased_market(
                candidate, history + later[:more]
            )
