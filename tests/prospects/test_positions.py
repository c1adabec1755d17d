"""One account's prospects and leasing events are read by position (`account_seq`): every page of
GET /prospects and GET /leasing_events, with and without date bounds, is the page of the account's
rows in id order computed here from the table, whoever wrote them, concurrently or not, and
whatever failed on the way."""

import asyncio
import itertools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from rentengine.auth import service as auth
from rentengine.changes.types import Actor
from rentengine.db.positions import CounterColumns
from rentengine.kit.clock import isoformat_z, utc_now
from rentengine.leasing import service as leasing
from rentengine.leasing.models import LeasingEvent, LeasingEventCounter
from rentengine.prospects import service as prospects
from rentengine.prospects.models import Prospect, ProspectCounter
from rentengine.runtime import Runtime
from tests.factories import Tenant, make_tenant
from tests.leasing.factories import assign_body
from tests.prospects.factories import prospect_values

PLATFORM = Actor(user_id=None)
WRITERS = 6
ROUNDS = 4
LIMIT = 7
PHONES = ("5125550101", "5125550102", "5125550103")


class Refused(Exception):
    """A write that fails after its rows were inserted, so its transaction rolls back."""


@dataclass(frozen=True)
class Stored:
    id: int
    created_at: datetime
    account_seq: int


@dataclass(frozen=True)
class Lists:
    prospects: list[Stored]
    events: list[Stored]


@dataclass
class World:
    """`tenant` sees one account (read by position); `both` sees it and `other` (read with OFFSET)."""

    tenant: Tenant
    both: Tenant
    other: uuid.UUID
    mine: Lists
    theirs: Lists


async def stored(
    runtime: Runtime, model: type[Prospect] | type[LeasingEvent], account: uuid.UUID
) -> list[Stored]:
    """The account's rows sorted by id here, independently of the positions."""
    stmt = select(model.id, model.created_at, model.account_seq).where(model.account_id == account)
    async with runtime.db.transaction(writes=False) as session:
        found = [Stored(row.id, row.created_at, row.account_seq) for row in await session.execute(stmt)]
    return sorted(found, key=lambda row: row.id)


async def counter(
    runtime: Runtime, model: type[CounterColumns], account: uuid.UUID
) -> tuple[int, datetime] | None:
    async with runtime.db.transaction(writes=False) as session:
        row = await session.get(model, account)
        return None if row is None else (row.last_seq, row.last_created_at)


async def lists_of(runtime: Runtime, account: uuid.UUID) -> Lists:
    """The account's prospects and events, after checking that their positions are 1..N in id
    order, their times strictly increase along them, and the counters stand at the latest row."""
    found = Lists(await stored(runtime, Prospect, account), await stored(runtime, LeasingEvent, account))
    for rows, model in ((found.prospects, ProspectCounter), (found.events, LeasingEventCounter)):
        assert [row.account_seq for row in rows] == list(range(1, len(rows) + 1))
        assert all(a.created_at < b.created_at for a, b in itertools.pairwise(rows))
        assert await counter(runtime, model, account) == (len(rows), rows[-1].created_at)
    return found


async def watching(runtime: Runtime, tenant: Tenant, accounts: Sequence[uuid.UUID]) -> Tenant:
    """Another user, member of the given accounts, with an API key."""
    async with runtime.db.transaction() as session:
        email = f"user-{uuid.uuid4().hex[:12]}@example.com"
        user = await auth.create_user(session, email, list(accounts))
        key, token = await auth.create_api_key(session, runtime.settings.secret_key, user, "both")
    return Tenant(accounts[0], user.id, email, key.id, token, list(accounts[1:]))


async def write_story(runtime: Runtime, account: uuid.UUID, phone: str, wanted: datetime | None) -> int:
    """A prospect and its first event, in one transaction; `wanted` may lie before the latest rows."""
    async with runtime.db.transaction() as session:
        values = prospect_values(account, phone=phone, email=None)
        if wanted is not None:
            values["created_at"] = wanted
        row = await prospects.create_prospect(session, PLATFORM, values)
        await leasing.record_event(session, PLATFORM, row, "New", created_at=wanted)
        return row.id


async def refused_story(runtime: Runtime, account: uuid.UUID) -> None:
    with pytest.raises(Refused):
        await _insert_then_fail(runtime, account)


async def _insert_then_fail(runtime: Runtime, account: uuid.UUID) -> None:
    async with runtime.db.transaction() as session:
        row = await prospects.create_prospect(session, PLATFORM, prospect_values(account))
        await leasing.record_event(session, PLATFORM, row, "New")
        await leasing.record_event(session, PLATFORM, row, "Contacted")
        raise Refused()


async def assign(client: httpx.AsyncClient, tenant: Tenant, prospect_id: int, bulk: bool) -> None:
    body = assign_body(prospect_id, tenant.user_id, context={"applyActionInBulk": bulk})
    response = await client.post("/leasing_events", json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text


async def writer(client: httpx.AsyncClient, runtime: Runtime, w: World, n: int) -> None:
    for r in range(ROUNDS):
        # Every third story wants a time hours before the account's latest rows.
        wanted = utc_now() - timedelta(hours=n + 1) if (n + r) % 3 == 0 else None
        prospect_id = await write_story(runtime, w.tenant.account_id, PHONES[(n + r) % 3], wanted)
        await assign(client, w.tenant, prospect_id, bulk=(n + r) % 2 == 0)
        if r == 1:
            await refused_story(runtime, w.tenant.account_id)
        # The other account's rows take ids between this account's.
        await write_story(runtime, w.other, PHONES[0], None)


@pytest.fixture(scope="module")
async def world(client: httpx.AsyncClient, runtime: Runtime) -> World:
    tenant = await make_tenant(runtime)
    other = (await make_tenant(runtime)).account_id
    both = await watching(runtime, tenant, [tenant.account_id, other])
    w = World(tenant, both, other, Lists([], []), Lists([], []))
    await asyncio.gather(*(writer(client, runtime, w, n) for n in range(WRITERS)))
    await refused_story(runtime, tenant.account_id)
    w.mine, w.theirs = await lists_of(runtime, tenant.account_id), await lists_of(runtime, other)
    return w


async def test_the_writers_left_dense_positions_in_id_order(world: World) -> None:
    assert len(world.mine.prospects) == WRITERS * ROUNDS
    assert len(world.mine.events) > 2 * len(world.mine.prospects)  # the story's event, and assignments
    # The ids of the two accounts interleave: positions are not the ids' ranks across accounts.
    assert world.mine.prospects[-1].id > world.theirs.prospects[0].id


# --- Every page is the page of the rows in id order --------------------------------------------


Bounds = tuple[datetime | None, datetime | None]


def _date_cases(rows: list[Stored]) -> dict[str, Bounds]:
    first, last = rows[0].created_at, rows[-1].created_at
    third, two_thirds = rows[len(rows) // 3].created_at, rows[2 * len(rows) // 3].created_at
    tick = timedelta(microseconds=1)
    return {
        "whole": (None, None),
        "from a row's time": (third, None),
        "from just after a row's time": (third + tick, None),
        "before a row's time": (None, two_thirds),
        "between two rows' times": (third, two_thirds + tick),
        "from the first to the last": (first, last),
        "after the last": (last + tick, None),
        "before the first": (None, first),
        "an empty range": (two_thirds, third),
        "a year ago until now": (
            datetime.now(UTC) - timedelta(days=365),
            datetime.now(UTC) + timedelta(days=1),
        ),
    }


def _window(rows: list[Stored], bounds: Bounds) -> list[int]:
    start, end = bounds
    return [
        row.id
        for row in rows
        if (start is None or row.created_at >= start) and (end is None or row.created_at < end)
    ]


def _params(bounds: Bounds, page_number: int) -> dict[str, str]:
    params = {"limit": str(LIMIT), "page_number": str(page_number)}
    start, end = bounds
    if start is not None:
        params["created_after"] = isoformat_z(start)
    if end is not None:
        params["created_before"] = isoformat_z(end)
    return params


def _pages(expected: list[int]) -> int:
    """Every page that holds rows, and one past them."""
    return len(expected) // LIMIT + 2


CASES = list(_date_cases([Stored(1, datetime.now(UTC), 1)]))


@pytest.mark.parametrize("viewer", ["one account", "two accounts"])
@pytest.mark.parametrize("case", CASES)
async def test_every_page_of_prospects_is_the_page_of_rows_in_id_order(
    client: httpx.AsyncClient, world: World, case: str, viewer: str
) -> None:
    caller, rows = world.tenant, world.mine.prospects
    if viewer == "two accounts":
        caller, rows = world.both, sorted(rows + world.theirs.prospects, key=lambda row: row.id)
    bounds = _date_cases(world.mine.prospects)[case]
    expected = _window(rows, bounds)
    for page_number in range(_pages(expected)):
        response = await client.get("/prospects", params=_params(bounds, page_number), headers=caller.headers)
        assert response.status_code == 200, response.text
        got = [row["id"] for row in response.json()]
        assert got == expected[page_number * LIMIT : (page_number + 1) * LIMIT], page_number


@pytest.mark.parametrize("viewer", ["one account", "two accounts"])
@pytest.mark.parametrize("case", CASES)
async def test_every_page_of_leasing_events_is_the_page_of_rows_in_id_order(
    client: httpx.AsyncClient, world: World, case: str, viewer: str
) -> None:
    caller, rows = world.tenant, world.mine.events
    if viewer == "two accounts":
        caller, rows = world.both, sorted(rows + world.theirs.events, key=lambda row: row.id)
    bounds = _date_cases(world.mine.events)[case]
    expected = _window(rows, bounds)
    for page_number in range(_pages(expected)):
        params = _params(bounds, page_number)
        response = await client.get("/leasing_events", params=params, headers=caller.headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        end = (page_number + 1) * LIMIT
        assert [row["id"] for row in body["data"]] == expected[page_number * LIMIT : end], page_number
        assert body["page"]["has_more"] == (len(expected) > end)


# --- What the counter does to a write ----------------------------------------------------------


async def test_a_rolled_back_write_gives_its_positions_back(runtime: Runtime, tenant: Tenant) -> None:
    await write_story(runtime, tenant.account_id, PHONES[0], None)
    before = await lists_of(runtime, tenant.account_id)
    await refused_story(runtime, tenant.account_id)
    assert await lists_of(runtime, tenant.account_id) == before
    await write_story(runtime, tenant.account_id, PHONES[0], None)
    after = await lists_of(runtime, tenant.account_id)
    assert [row.account_seq for row in after.prospects] == [1, 2]
    assert [row.account_seq for row in after.events] == [1, 2]


async def test_a_wanted_time_before_the_latest_prospect_is_moved_just_after_it(
    runtime: Runtime, tenant: Tenant
) -> None:
    first = await write_story(runtime, tenant.account_id, PHONES[0], datetime(2026, 3, 1, tzinfo=UTC))
    later = await write_story(runtime, tenant.account_id, PHONES[0], datetime(2026, 1, 1, tzinfo=UTC))
    rows = (await lists_of(runtime, tenant.account_id)).prospects
    assert [row.id for row in rows] == [first, later]
    assert [row.created_at for row in rows] == [
        datetime(2026, 3, 1, tzinfo=UTC),
        datetime(2026, 3, 1, 0, 0, 0, 1, tzinfo=UTC),
    ]


async def test_a_second_writer_of_the_account_waits_and_lands_after_the_first(
    runtime: Runtime, tenant: Tenant
) -> None:
    # PostgreSQL: the second writer waits on the account's counter row; SQLite: on the write lock.
    async with runtime.db.transaction() as session:
        row = await prospects.create_prospect(session, PLATFORM, prospect_values(tenant.account_id))
        second = asyncio.create_task(write_story(runtime, tenant.account_id, PHONES[0], None))
        await asyncio.sleep(0.3)
        assert not second.done()  # it waits on the account's counter row, before drawing its id
        first_id = row.id
    second_id = await second
    rows = (await lists_of(runtime, tenant.account_id)).prospects
    assert [(row.id, row.account_seq) for row in rows] == [(first_id, 1), (second_id, 2)]
