"""Per-account event positions: dense, in (created_at, id) order, claimed and released with the
insert's transaction; and GET /lockbox_events pages read by position equal the OFFSET pages."""

import asyncio
import itertools
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.kit.clock import isoformat_z, set_clock
from rentengine.kit.ids import new_uuid
from rentengine.lockboxes.models import LockboxEvent, LockboxEventCounter
from rentengine.lockboxes.positions import Slot, claim_slots
from rentengine.runtime import Runtime
from rentengine.webhooks.models import WebhookDelivery
from tests.factories import Tenant, make_tenant, make_unit_row
from tests.lockboxes.helpers import event, make_lockboxes, post_events, set_lockbox_type

PATH = "/lockbox_events"
CODES = "/lockboxes/generate_code"
Row = dict[str, Any]


@dataclass(frozen=True)
class Stored:
    """An event as stored, read straight from the table."""

    id: uuid.UUID
    account_id: uuid.UUID
    lockbox_id: uuid.UUID
    event_type: str
    unit_id: int | None
    created_at: datetime
    account_seq: int


@dataclass(frozen=True)
class Counter:
    last_seq: int
    last_created_at: datetime


async def stored_events(runtime: Runtime, account_id: uuid.UUID) -> list[Stored]:
    """The account's events in the API's order, (created_at, id), computed here in Python."""
    async with runtime.db.transaction(writes=False) as session:
        rows = (
            await session.scalars(select(LockboxEvent).where(LockboxEvent.account_id == account_id))
        ).all()
        found = [
            Stored(r.id, r.account_id, r.lockbox_id, r.event_type, r.unit_id, r.created_at, r.account_seq)
            for r in rows
        ]
    return sorted(found, key=lambda e: (e.created_at, e.id))


async def counter_of(runtime: Runtime, account_id: uuid.UUID) -> Counter | None:
    async with runtime.db.transaction(writes=False) as session:
        row = await session.get(LockboxEventCounter, account_id)
        return None if row is None else Counter(row.last_seq, row.last_created_at)


async def assert_positions_follow_order(runtime: Runtime, account_id: uuid.UUID) -> list[Stored]:
    """Positions are 1..N in (created_at, id) order, creation times strictly increase, and the
    counter stands at the latest event."""
    events = await stored_events(runtime, account_id)
    assert [e.account_seq for e in events] == list(range(1, len(events) + 1))
    assert all(a.created_at < b.created_at for a, b in itertools.pairwise(events))
    counter = await counter_of(runtime, account_id)
    if events:
        assert counter == Counter(len(events), events[-1].created_at)
    return events


async def write_events(
    runtime: Runtime, account_id: uuid.UUID, lockbox_id: str, wanted: list[datetime]
) -> list[Slot]:
    """Inserts events the way every writer does: claim slots, then insert, in one transaction."""
    async with runtime.db.transaction() as session:
        return await insert_claimed(session, account_id, lockbox_id, wanted)


async def insert_claimed(
    session: AsyncSession, account_id: uuid.UUID, lockbox_id: str, wanted: list[datetime]
) -> list[Slot]:
    slots = await claim_slots(session, [account_id] * len(wanted), wanted)
    session.add_all(
        LockboxEvent(
            id=new_uuid(),
            lockbox_id=uuid.UUID(lockbox_id),
            account_id=account_id,
            event_type="Install",
            unit_id=None,
            event_metadata=None,
            created_at=slot.created_at,
            account_seq=slot.account_seq,
        )
        for slot in slots
    )
    await session.flush()
    return slots


def stopped_at(when: datetime) -> Callable[[], datetime]:
    return lambda: when


@pytest.fixture
def pinned_clock() -> Iterator[Callable[[datetime], None]]:
    yield lambda when: set_clock(stopped_at(when))
    set_clock(None)


# --- Paging by position gives the OFFSET pages ------------------------------------------------


@dataclass
class World:
    """Two callers writing interleaved: `two` owns accounts A and B, `one` owns account C."""

    two: Tenant
    one: Tenant
    a: uuid.UUID
    b: uuid.UUID
    c: uuid.UUID
    boxes: dict[str, Row]
    units: dict[str, int]
    events: dict[uuid.UUID, list[Stored]] = field(default_factory=dict)

    def all_of(self, *accounts: uuid.UUID) -> list[Stored]:
        merged = [e for account in accounts for e in self.events[account]]
        return sorted(merged, key=lambda e: (e.created_at, e.id))


async def _write_round(client: httpx.AsyncClient, w: World, round_number: int) -> None:
    a1, a2, b1, c1 = (w.boxes[name] for name in ("A1", "A2", "B1", "C1"))
    ua, ub, uc = w.units["A"], w.units["B"], w.units["C"]
    kinds = ("Install", "Uninstall")
    targets = ((a1, ua), (b1, ub), (a2, ua))
    mixed = [event(*targets[i % 3], kinds[(i + round_number) % 2]) for i in range(40)]
    await post_events(client, w.two, *mixed)
    await post_events(client, w.one, *[event(c1, uc, kinds[i % 2]) for i in range(25)])
    for tenant, box in ((w.two, a1), (w.two, b1), (w.one, c1)):
        response = await client.post(
            CODES, json={"lockbox_id": box["id"], "date": "2024-10-05"}, headers=tenant.headers
        )
        assert response.status_code == 200, response.text


@pytest.fixture(scope="module")
async def world(client: httpx.AsyncClient, runtime: Runtime) -> World:
    two = await make_tenant(runtime, accounts=2)
    one = await make_tenant(runtime)
    a, b, c = two.account_id, two.other_account_ids[0], one.account_id
    units = {"A": await make_unit_row(runtime, a), "B": await make_unit_row(runtime, b)}
    units["C"] = await make_unit_row(runtime, c)
    a1, a2 = await make_lockboxes(client, two, "W-A1", "W-A2")
    [b1] = await make_lockboxes(client, two, "W-B1", account_id=b)
    [c1] = await make_lockboxes(client, one, "W-C1")
    await set_lockbox_type(runtime, a2["id"], "Codebox")
    w = World(two, one, a, b, c, {"A1": a1, "A2": a2, "B1": b1, "C1": c1}, units)
    for round_number in range(6):
        if round_number == 3:
            # A clock that stepped back an hour: new events still land after the existing ones.
            set_clock(stopped_at(datetime.now(UTC) - timedelta(hours=1)))
        try:
            await _write_round(client, w, round_number)
        finally:
            set_clock(None)
    w.events = {account: await assert_positions_follow_order(runtime, account) for account in (a, b, c)}
    return w


@dataclass(frozen=True)
class Case:
    caller: Tenant
    params: dict[str, str]
    expected: list[Stored]


def _at(events: list[Stored], fraction: float) -> datetime:
    return events[int(len(events) * fraction)].created_at


def _window(events: list[Stored], start: datetime | None, end: datetime | None) -> list[Stored]:
    return [
        e for e in events if (start is None or e.created_at >= start) and (end is None or e.created_at < end)
    ]


def _dates(start: datetime | None, end: datetime | None) -> dict[str, str]:
    params = {}
    if start is not None:
        params["created_at_from"] = isoformat_z(start)
    if end is not None:
        params["created_at_to"] = isoformat_z(end)
    return params


RANGE_NAMES = [
    "from_exact",
    "to_exact",
    "window_exact",
    "window_between",
    "from_long_ago",
    "to_long_ago",
    "from_far_ahead",
    "to_far_ahead",
    "reversed",
]


def _date_cases(w: World) -> dict[str, Case]:
    """Date ranges on one account (read by position) and on two (read with OFFSET). Bounds fall
    exactly on an event, between two events (another account's event time), and outside."""
    a_events, c_events, both = w.events[w.a], w.events[w.c], w.all_of(w.a, w.b)
    between = w.events[w.b][len(w.events[w.b]) // 2].created_at
    long_ago, far_ahead = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
    ranges: dict[str, tuple[datetime | None, datetime | None]] = {
        "from_exact": (_at(c_events, 0.3), None),
        "to_exact": (None, _at(c_events, 0.6)),
        "window_exact": (_at(c_events, 0.2), _at(c_events, 0.7)),
        "window_between": (between, _at(c_events, 0.9)),
        "from_long_ago": (long_ago, None),
        "to_long_ago": (None, long_ago),
        "from_far_ahead": (far_ahead, None),
        "to_far_ahead": (None, far_ahead),
        "reversed": (_at(c_events, 0.7), _at(c_events, 0.2)),
    }
    assert list(ranges) == RANGE_NAMES
    cases: dict[str, Case] = {}
    for name, (start, end) in ranges.items():
        dates = _dates(start, end)
        cases[f"one_account_{name}"] = Case(w.one, dates, _window(c_events, start, end))
        cases[f"account_id_{name}"] = Case(
            w.two, {"account_id": str(w.a), **dates}, _window(a_events, start, end)
        )
        cases[f"two_accounts_{name}"] = Case(w.two, dates, _window(both, start, end))
    return cases


def _filter_cases(w: World) -> dict[str, Case]:
    a_events, both = w.events[w.a], w.all_of(w.a, w.b)
    a1, a2 = uuid.UUID(w.boxes["A1"]["id"]), uuid.UUID(w.boxes["A2"]["id"])
    start = _at(a_events, 0.25)
    return {
        "one_account": Case(w.one, {}, w.events[w.c]),
        "account_id_a": Case(w.two, {"account_id": str(w.a)}, a_events),
        "account_id_b": Case(w.two, {"account_id": str(w.b)}, w.events[w.b]),
        "two_accounts": Case(w.two, {}, both),
        "account_id_event_types": Case(
            w.two,
            {"account_id": str(w.a), "event_types": "Install,Generate Code"},
            [e for e in a_events if e.event_type != "Uninstall"],
        ),
        "account_id_lockbox_ids": Case(
            w.two,
            {"account_id": str(w.a), "lockbox_ids": str(a1)},
            [e for e in a_events if e.lockbox_id == a1],
        ),
        "account_id_lockbox_type_and_dates": Case(
            w.two,
            {"account_id": str(w.a), "lockbox_type": "Codebox", **_dates(start, None)},
            [e for e in a_events if e.lockbox_id == a2 and e.created_at >= start],
        ),
        "one_account_serial_numbers": Case(w.one, {"serial_numbers": "W-C1"}, w.events[w.c]),
        "one_account_unit_ids": Case(
            w.one, {"unit_ids": str(w.units["C"])}, [e for e in w.events[w.c] if e.unit_id == w.units["C"]]
        ),
        "two_accounts_event_ids": Case(
            w.two,
            {"lockbox_event_ids": ",".join(str(e.id) for e in both[::40])},
            both[::40],
        ),
    }


CASE_NAMES = [
    *(f"{caller}_{name}" for name in RANGE_NAMES for caller in ("one_account", "account_id", "two_accounts")),
    "one_account",
    "account_id_a",
    "account_id_b",
    "two_accounts",
    "account_id_event_types",
    "account_id_lockbox_ids",
    "account_id_lockbox_type_and_dates",
    "one_account_serial_numbers",
    "one_account_unit_ids",
    "two_accounts_event_ids",
]


async def _page(client: httpx.AsyncClient, case: Case, limit: int, page_number: int) -> list[str]:
    params = {**case.params, "limit": str(limit), "page_number": str(page_number)}
    response = await client.get(PATH, params=params, headers=case.caller.headers)
    assert response.status_code == 200, response.text
    return [row["id"] for row in response.json()]


@pytest.mark.parametrize("name", CASE_NAMES)
async def test_every_page_is_the_offset_page(client: httpx.AsyncClient, world: World, name: str) -> None:
    case = {**_date_cases(world), **_filter_cases(world)}[name]
    expected = [str(e.id) for e in case.expected]
    for limit in (7, 100):
        last_page = len(expected) // limit  # the first page past the end when `limit` divides the count
        for page_number in range(last_page + 2):
            start = page_number * limit
            assert await _page(client, case, limit, page_number) == expected[start : start + limit], (
                limit,
                page_number,
            )
    assert await _page(client, case, 100, 100_000) == []


async def test_the_world_has_enough_events_to_page_through(world: World) -> None:
    assert [len(world.events[account]) for account in (world.a, world.b, world.c)] == [168, 84, 156]


# --- Writers take turns on the counter --------------------------------------------------------


async def test_concurrent_requests_keep_positions_dense_and_in_order(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime
) -> None:
    unit = await make_unit_row(runtime, tenant.account_id)
    boxes = await make_lockboxes(client, tenant, "CC-1", "CC-2", "CC-3")

    async def writer(n: int) -> list[Row]:
        created: list[Row] = []
        for size in (1 + n % 4, 7, 2 + n):
            created += await post_events(client, tenant, *[event(boxes[i % 3], unit) for i in range(size)])
        response = await client.post(
            CODES, json={"lockbox_id": boxes[n % 3]["id"], "date": "2024-10-05"}, headers=tenant.headers
        )
        assert response.status_code == 200, response.text
        return created

    results = await asyncio.gather(*(writer(n) for n in range(8)))
    events = await assert_positions_follow_order(runtime, tenant.account_id)
    posted = {row["id"]: row["created_at"] for rows in results for row in rows}
    assert len(events) == len(posted) + 8
    assert {str(e.id): isoformat_z(e.created_at) for e in events if str(e.id) in posted} == posted
    listed = [
        row["id"]
        for page in range(4)
        for row in (
            await client.get(PATH, params={"limit": "40", "page_number": str(page)}, headers=tenant.headers)
        ).json()
    ]
    assert listed == [str(e.id) for e in events]


async def test_a_second_writer_waits_for_the_first_and_lands_after_it(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime
) -> None:
    [box] = await make_lockboxes(client, tenant, "CW-1")
    now = datetime.now(UTC)
    async with runtime.db.transaction() as session:
        first = await insert_claimed(session, tenant.account_id, box["id"], [now, now])
        # It read its clock earlier than the first writer's times: it must still come after them.
        second = asyncio.create_task(
            write_events(runtime, tenant.account_id, box["id"], [now - timedelta(seconds=5)])
        )
        await asyncio.sleep(0.5)
        assert not second.done()
    [late] = await second
    assert [s.account_seq for s in first] == [1, 2]
    assert (late.account_seq, late.created_at) == (3, first[-1].created_at + timedelta(microseconds=1))
    await assert_positions_follow_order(runtime, tenant.account_id)


async def test_a_batch_over_two_accounts_numbers_each_account(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    tenant = await make_tenant(runtime, accounts=2)
    other = tenant.other_account_ids[0]
    units = [await make_unit_row(runtime, tenant.account_id), await make_unit_row(runtime, other)]
    [mine] = await make_lockboxes(client, tenant, "CB-1")
    [theirs] = await make_lockboxes(client, tenant, "CB-2", account_id=other)
    items = [event(mine, units[0]), event(theirs, units[1]), event(theirs, units[1]), event(mine, units[0])]
    created = await post_events(client, tenant, *items)
    assert [row["created_at"] for row in created] == sorted(row["created_at"] for row in created)
    assert len({row["created_at"] for row in created}) == 4
    for account in (tenant.account_id, other):
        assert [e.account_seq for e in await assert_positions_follow_order(runtime, account)] == [1, 2]


# --- Failures write nothing --------------------------------------------------------------------


async def test_refused_requests_leave_the_counter_and_positions_alone(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime
) -> None:
    other = await make_tenant(runtime)
    unit, their_unit = (
        await make_unit_row(runtime, tenant.account_id),
        await make_unit_row(runtime, other.account_id),
    )
    box, codebox = await make_lockboxes(client, tenant, "CF-1", "CF-2")
    await set_lockbox_type(runtime, codebox["id"], "Codebox")
    await post_events(client, tenant, event(box, unit), event(box, unit, "Uninstall"))
    before = (await counter_of(runtime, tenant.account_id), await stored_events(runtime, tenant.account_id))
    refused = [
        (PATH, {"events": [event(box, unit), event({"id": str(uuid.uuid4())}, unit)]}, 404),
        (PATH, {"events": [event(box, unit), event(box, their_unit)]}, 404),
        (PATH, {"events": [event(box, unit), event(box, unit, "Generate Code")]}, 400),
        (CODES, {"lockbox_id": str(uuid.uuid4()), "date": "2024-10-05"}, 404),
        (CODES, {"lockbox_id": codebox["id"], "date": "2024-10-05", "code_type": "SHACKLE"}, 400),
    ]
    for path, body, status in refused:
        response = await client.post(path, json=body, headers=tenant.headers)
        assert response.status_code == status, (path, body, response.text)
    assert (
        await counter_of(runtime, tenant.account_id),
        await stored_events(runtime, tenant.account_id),
    ) == before
    [after] = await post_events(client, tenant, event(box, unit))
    events = await assert_positions_follow_order(runtime, tenant.account_id)
    assert (str(events[-1].id), events[-1].account_seq) == (after["id"], 3)


async def test_a_rolled_back_insert_gives_its_positions_back(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime
) -> None:
    [box] = await make_lockboxes(client, tenant, "CR-1")
    now = datetime.now(UTC)
    await write_events(runtime, tenant.account_id, box["id"], [now])
    before = await counter_of(runtime, tenant.account_id)

    async def fail_after_inserting() -> None:
        async with runtime.db.transaction() as session:
            await insert_claimed(session, tenant.account_id, box["id"], [now, now, now])
            raise RuntimeError("after the claim")

    with pytest.raises(RuntimeError, match="after the claim"):
        await fail_after_inserting()
    assert await counter_of(runtime, tenant.account_id) == before
    [slot] = await write_events(runtime, tenant.account_id, box["id"], [now])
    assert slot.account_seq == 2
    await assert_positions_follow_order(runtime, tenant.account_id)


# --- The stored time is the one shown everywhere -----------------------------------------------


async def test_a_clock_behind_the_latest_event_still_orders_events_and_shows_the_stored_time(
    make_client: Callable[..., httpx.AsyncClient],
    tenant: Tenant,
    runtime: Runtime,
    pinned_clock: Callable[[datetime], None],
) -> None:
    async with make_client(webhook_allow_private_targets=True) as api:
        subscription = {
            "account_id": str(tenant.account_id),
            "url": "http://127.0.0.1:9/hooks",
            "tables": ["lockbox_events"],
            "event_types": ["INSERT"],
        }
        assert (await api.post("/webhooks", json=subscription, headers=tenant.headers)).status_code == 201
        unit = await make_unit_row(runtime, tenant.account_id)
        [box] = await make_lockboxes(api, tenant, "CT-1")
        [first] = await post_events(api, tenant, event(box, unit))
        pinned_clock(datetime(2020, 1, 1, tzinfo=UTC))
        created = await post_events(api, tenant, event(box, unit, "Uninstall"), event(box, unit))
        code = await api.post(
            CODES, json={"lockbox_id": box["id"], "date": "2024-10-05"}, headers=tenant.headers
        )
        assert code.status_code == 200
        listed = (await api.get(PATH, headers=tenant.headers)).json()
    assert listed[:3] == [first, *created]
    assert [row["created_at"] for row in listed] == sorted(row["created_at"] for row in listed)
    assert listed[1]["created_at"] > first["created_at"] > "2020-01-02"
    events = await assert_positions_follow_order(runtime, tenant.account_id)
    assert [isoformat_z(e.created_at) for e in events] == [row["created_at"] for row in listed]
    assert await webhook_records(runtime, tenant.account_id) == listed


async def webhook_records(runtime: Runtime, account_id: uuid.UUID) -> list[Row]:
    async with runtime.db.transaction(writes=False) as session:
        payloads = (
            await session.scalars(
                select(WebhookDelivery.payload).where(
                    WebhookDelivery.account_id == account_id, WebhookDelivery.table == "lockbox_events"
                )
            )
        ).all()
    records: list[Row] = [orjson.loads(payload)["record"] for payload in payloads]
    return sorted(records, key=lambda record: (record["created_at"], record["id"]))
