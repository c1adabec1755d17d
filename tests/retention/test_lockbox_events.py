"""Lockbox events past RENTENGINE_LOCKBOX_EVENT_RETENTION_DAYS go; newer ones, and the Installs still
in force, stay; GET /lockbox_events pages stay those of the list as it now is."""

import itertools
import uuid
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select

from rentengine.kit.clock import isoformat_z
from rentengine.lockboxes.models import LockboxEvent, LockboxEventCounter
from rentengine.retention import Periods, purge_all
from rentengine.runtime import Runtime
from tests.factories import Tenant, make_tenant, make_unit_row
from tests.lockboxes.helpers import event, make_lockboxes, post_events
from tests.retention.conftest import T0, Clock

DAY = timedelta(days=1)
PERIOD = 30 * DAY
Row = dict[str, Any]


def lockbox_period(days: int = 30) -> Periods:
    return Periods(lockbox_events=timedelta(days=days), audit_entries=None, webhook_deliveries=30 * DAY)


async def listed(api: httpx.AsyncClient, tenant: Tenant, limit: int = 100, **params: str) -> list[Row]:
    """Every page of GET /lockbox_events, followed until one comes back short."""
    rows: list[Row] = []
    for page in itertools.count():
        query = {"limit": str(limit), "page_number": str(page), **params}
        response = await api.get("/lockbox_events", params=query, headers=tenant.headers)
        assert response.status_code == 200, response.text
        rows += response.json()
        if len(response.json()) < limit:
            return rows
    raise AssertionError("unreachable")


async def stored_ids(rt: Runtime, account_id: uuid.UUID) -> list[str]:
    """The account's events as stored, in the list's order (created_at, id)."""
    async with rt.db.transaction(writes=False) as session:
        rows = (
            await session.scalars(select(LockboxEvent).where(LockboxEvent.account_id == account_id))
        ).all()
    return [str(row.id) for row in sorted(rows, key=lambda row: (row.created_at, row.id))]


async def generate_code(api: httpx.AsyncClient, tenant: Tenant, **body: Any) -> httpx.Response:
    return await api.post(
        "/lockboxes/generate_code", json={"date": "2026-03-01", **body}, headers=tenant.headers
    )


async def test_events_past_the_period_go_newer_and_installs_in_force_stay(
    rt: Runtime, api: httpx.AsyncClient, clock: Clock
) -> None:
    tenant = await make_tenant(rt)
    home, shed = await make_unit_row(rt, tenant.account_id), await make_unit_row(rt, tenant.account_id)
    kept_box, moved_box = await make_lockboxes(api, tenant, "RET-1", "RET-2")
    [install_in_force, *_] = await post_events(
        api, tenant, event(kept_box, home), event(moved_box, shed), event(moved_box, shed, "Uninstall")
    )
    assert (await generate_code(api, tenant, lockbox_id=kept_box["id"])).status_code == 200
    clock.advance(20 * DAY)
    recent = await post_events(api, tenant, event(moved_box, shed))
    clock.advance(20 * DAY)  # the first events are 40 days old, the recent one 20

    report = await purge_all(rt.db, lockbox_period(30))

    assert report.deleted["lockbox_events"] == 3  # two placements of moved_box and the code event
    assert [row["id"] for row in await listed(api, tenant)] == [install_in_force["id"], recent[0]["id"]]
    # The spared Install still says where the lockbox is: a code can be asked for by its unit.
    by_unit = await generate_code(api, tenant, unit_id=home)
    assert by_unit.status_code == 200, by_unit.text
    clock.advance(31 * DAY)
    # Both Installs are in force now: only the code event just made has passed the period.
    assert (await purge_all(rt.db, lockbox_period(30))).deleted["lockbox_events"] == 1
    assert [row["id"] for row in await listed(api, tenant)] == [install_in_force["id"], recent[0]["id"]]


async def test_a_spared_install_goes_once_its_lockbox_is_placed_again(
    rt: Runtime, api: httpx.AsyncClient, clock: Clock
) -> None:
    tenant = await make_tenant(rt)
    unit = await make_unit_row(rt, tenant.account_id)
    [box] = await make_lockboxes(api, tenant, "RET-3")
    await post_events(api, tenant, event(box, unit))
    clock.advance(40 * DAY)
    await purge_all(rt.db, lockbox_period(30))
    assert len(await listed(api, tenant)) == 1
    uninstall = await post_events(api, tenant, event(box, unit, "Uninstall"))

    await purge_all(rt.db, lockbox_period(30))

    assert [row["id"] for row in await listed(api, tenant)] == [uninstall[0]["id"]]
    assert (await generate_code(api, tenant, unit_id=unit)).status_code == 404  # not installed


async def test_nothing_goes_without_a_period(rt: Runtime, api: httpx.AsyncClient, clock: Clock) -> None:
    tenant = await make_tenant(rt)
    unit = await make_unit_row(rt, tenant.account_id)
    [box] = await make_lockboxes(api, tenant, "RET-4")
    await post_events(api, tenant, event(box, unit), event(box, unit, "Uninstall"))
    clock.advance(3650 * DAY)

    report = await purge_all(rt.db, Periods.of(rt.settings))

    assert rt.settings.lockbox_event_retention_days is None
    assert "lockbox_events" not in report.deleted
    assert len(await listed(api, tenant)) == 2


async def _history(rt: Runtime, api: httpx.AsyncClient, tenant: Tenant, clock: Clock) -> list[Row]:
    """Forty old events of five lockboxes, boxes 0 and 2 left installed (their Installs are spared),
    then twenty-five recent ones; an hour apart, some in batches (one created_at each + 1 µs)."""
    units = [await make_unit_row(rt, tenant.account_id) for _ in range(5)]
    boxes = await make_lockboxes(api, tenant, *(f"RET-P{i}" for i in range(5)))
    for round_ in range(4):
        for i, box in enumerate(boxes):
            last_round = round_ == 3
            kinds = ["Install", "Uninstall"] if not (last_round and i in (0, 2)) else ["Uninstall", "Install"]
            await post_events(api, tenant, *(event(box, units[i], kind) for kind in kinds))
            clock.advance(timedelta(hours=1))
    clock.advance(35 * DAY)
    for i in range(25):
        await post_events(api, tenant, event(boxes[1 + i % 2 * 2], units[1 + i % 2 * 2], "Uninstall"))
        clock.advance(timedelta(hours=1))
    return boxes


def _window(rows: list[Row], start: str | None, end: str | None) -> list[str]:
    return [
        row["id"]
        for row in rows
        if (start is None or row["created_at"] >= start) and (end is None or row["created_at"] < end)
    ]


async def _assert_pages_match(rt: Runtime, api: httpx.AsyncClient, tenant: Tenant) -> None:
    """Every page size and date window gives the stored rows in order, none twice, none missing."""
    expected = await stored_ids(rt, tenant.account_id)
    whole = await listed(api, tenant)
    assert [row["id"] for row in whole] == expected
    stamps = [row["created_at"] for row in whole]
    windows = [
        (None, None),
        (isoformat_z(T0 - DAY), None),  # from before the spared Installs
        (stamps[1], None),  # from the second event (a spared one)
        (stamps[3], stamps[-4]),
        (None, stamps[2]),
    ]
    for limit, (start, end) in itertools.product((1, 2, 7, 100), windows):
        params = {k: v for k, v in (("created_at_from", start), ("created_at_to", end)) if v is not None}
        got = [row["id"] for row in await listed(api, tenant, limit=limit, **params)]
        assert got == _window(whole, start, end), (limit, start, end)


async def test_pages_after_purges_are_the_list_as_it_now_is(
    rt: Runtime, api: httpx.AsyncClient, clock: Clock
) -> None:
    tenant = await make_tenant(rt)
    bystander = await make_tenant(rt)  # an account whose events are all recent
    boxes = await _history(rt, api, tenant, clock)
    [other] = await make_lockboxes(api, bystander, "RET-B")
    await post_events(api, bystander, event(other, await make_unit_row(rt, bystander.account_id)))
    before = await stored_ids(rt, tenant.account_id)

    report = await purge_all(rt.db, lockbox_period(30), batch_rows=7)  # batches end mid-account

    assert report.deleted["lockbox_events"] == 38  # 40 old ones but the 2 Installs in force
    assert len(await stored_ids(rt, tenant.account_id)) == len(before) - 38
    await _assert_pages_match(rt, api, tenant)
    assert len(await listed(api, bystander)) == 1
    # A new placement of box 0 frees its old Install; positions past the purged ones stay gapless.
    await post_events(api, tenant, event(boxes[0], await make_unit_row(rt, tenant.account_id)))
    assert (await purge_all(rt.db, lockbox_period(30))).deleted["lockbox_events"] == 1
    await _assert_pages_match(rt, api, tenant)
    async with rt.db.transaction(writes=False) as session:
        purged = await session.scalar(
            select(LockboxEventCounter.purged_through_seq).where(
                LockboxEventCounter.account_id == tenant.account_id
            )
        )
    assert purged == 40  # the last old event's position; the spared Installs were below it
