"""The simple `GET /units` pages answered outside the framework are the route's answers, byte for byte.

Each comparison asks the same page twice: in its plain spelling (`limit=5`, served by the lane)
and with a leading zero (`limit=05`, which the lane leaves to the route, which reads it as the
same number). A spy on the lane's reader proves which of the two served each request.
"""

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from rentengine.runtime import Runtime
from rentengine.units import fastlane
from rentengine.units.models import Unit
from tests.factories import Tenant, make_tenant
from tests.units.helpers import create_unit

MakeClient = Callable[..., httpx.AsyncClient]
# Headers that may differ between two requests of the same page.
# Differ between any two responses; both must carry them (a request id is made for each request).
_VARYING = {"date", "x-ratelimit-remaining", "x-ratelimit-reset", "x-request-id"}


@pytest.fixture
def lane_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the pages the lane reads itself (one list item per page read)."""
    reads: list[int] = []
    originals = {cls: cls.page for cls in (fastlane.SqliteWireReader, fastlane.PostgresWireReader)}

    def spy(original: Any) -> Any:
        async def page(self: Any, *args: Any) -> Any:
            reads.append(1)
            return await original(self, *args)

        return page

    for cls, original in originals.items():
        monkeypatch.setattr(cls, "page", spy(original))
    return reads


async def _units(client: httpx.AsyncClient, tenant: Tenant, count: int) -> None:
    photo = {"path": "photos/front.jpg", "hidden": False}
    for n in range(count):
        extra: dict[str, Any] = {"marketing_photos": [photo]} if n % 3 == 0 else {}
        await create_unit(client, tenant, bedrooms=n % 5, **extra)
    for account in tenant.other_account_ids:
        await create_unit(client, tenant, account)


def _comparable(response: httpx.Response) -> tuple[int, bytes, dict[str, str]]:
    headers = {name: value for name, value in response.headers.items() if name not in _VARYING}
    assert len(response.headers["x-request-id"]) == 32
    return response.status_code, response.content, headers


@pytest.fixture
async def two_account_tenant(runtime: Runtime, client: httpx.AsyncClient) -> Tenant:
    tenant = await make_tenant(runtime, accounts=2)
    await _units(client, tenant, 12)
    return tenant


@pytest.mark.parametrize(
    ("plain", "routed"),
    [
        ("", "limit=050"),
        ("limit=5", "limit=05"),
        ("limit=5&page_number=1", "limit=5&page_number=01"),
        ("limit=5&page_number=2", "page_number=02&limit=5"),
        ("limit=100&page_number=0", "limit=0100&page_number=0"),
        ("limit=3&page_number=100000", "limit=3&page_number=0100000"),
    ],
)
async def test_pages_are_the_routes_pages(
    client: httpx.AsyncClient, two_account_tenant: Tenant, lane_reads: list[int], plain: str, routed: str
) -> None:
    headers = two_account_tenant.headers
    served = await client.get(f"/units?{plain}", headers=headers)
    assert lane_reads == [1]
    expected = await client.get(f"/units?{routed}", headers=headers)
    assert lane_reads == [1]  # the route read its own page
    assert expected.status_code == 200
    assert _comparable(served) == _comparable(expected)


async def test_one_account_of_several(
    client: httpx.AsyncClient, two_account_tenant: Tenant, lane_reads: list[int]
) -> None:
    tenant = two_account_tenant
    for account in [tenant.account_id, *tenant.other_account_ids]:
        served = await client.get(f"/units?accountId={account}&limit=20", headers=tenant.headers)
        expected = await client.get(f"/units?accountId={account}&limit=020", headers=tenant.headers)
        assert _comparable(served) == _comparable(expected)
        assert {row["account_id"] for row in served.json()} == {str(account)}
    assert len(lane_reads) == 2


async def test_another_accounts_units_are_forbidden_like_on_the_route(
    client: httpx.AsyncClient, two_account_tenant: Tenant, tenant: Tenant, lane_reads: list[int]
) -> None:
    other = two_account_tenant.account_id
    served = await client.get(f"/units?accountId={other}", headers=tenant.headers)
    expected = await client.get(f"/units?accountId={other}&limit=050", headers=tenant.headers)
    assert served.status_code == 403
    assert _comparable(served) == _comparable(expected)
    assert lane_reads == []
    # And without a filter, a caller sees only their own accounts' units.
    assert (await client.get("/units", headers=tenant.headers)).json() == []


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer not-a-token", "Basic dXNlcjpwYXNz", "Bearer a.b.c", "bearer  x"],
)
async def test_bad_credentials_get_the_routes_401(
    client: httpx.AsyncClient, authorization: str | None, lane_reads: list[int]
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    served = await client.get("/units?limit=5", headers=headers)
    expected = await client.get("/units?limit=05", headers=headers)
    assert served.status_code == 401
    assert _comparable(served) == _comparable(expected)
    assert lane_reads == []


@pytest.mark.parametrize(
    "query",
    [
        "limit=5&limit=6",
        "limit=0",
        "limit=101",
        "page_number=-1",
        "limit=5&bogus=1",
        "accountId=not-a-uuid",
        "limit=%00",
        "statuses=Available",
    ],
)
async def test_other_queries_are_left_to_the_route(
    client: httpx.AsyncClient, tenant: Tenant, lane_reads: list[int], query: str
) -> None:
    response = await client.get(f"/units?{query}", headers=tenant.headers)
    assert lane_reads == []
    assert response.status_code in (200, 400)


async def test_the_rate_limit_is_the_same_on_both_ways(
    make_client: MakeClient, tenant: Tenant, lane_reads: list[int]
) -> None:
    async with make_client(rate_limit="4/minute") as client:
        statuses = []
        for query in ("limit=5", "limit=05", "limit=5", "limit=05", "limit=5", "limit=05"):
            response = await client.get(f"/units?{query}", headers=tenant.headers)
            statuses.append((response.status_code, response.headers["x-ratelimit-remaining"]))
        refused_here = await client.get("/units?limit=5", headers=tenant.headers)
        refused_there = await client.get("/units?limit=05", headers=tenant.headers)
    assert [code for code, _ in statuses] == [200, 200, 200, 200, 429, 429]
    assert [remaining for _, remaining in statuses] == ["3", "2", "1", "0", "0", "0"]
    assert _comparable(refused_here)[:2] == _comparable(refused_there)[:2]
    assert refused_here.headers["retry-after"]
    assert len(lane_reads) == 2


async def test_stale_stored_forms_are_rebuilt_like_on_the_route(
    client: httpx.AsyncClient, runtime: Runtime, two_account_tenant: Tenant
) -> None:
    tenant = two_account_tenant
    before = await client.get("/units?limit=100", headers=tenant.headers)
    stmt = update(Unit).where(Unit.account_id == tenant.account_id).values(updated_at=Unit.updated_at)
    async with runtime.db.transaction() as session:
        await session.execute(stmt.values(wire_json=b'{"stale": true}', wire_key="0"))
    after = await client.get("/units?limit=100", headers=tenant.headers)
    assert _comparable(after) == _comparable(before)
    assert b"stale" not in after.content
