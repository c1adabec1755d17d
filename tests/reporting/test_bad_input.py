"""Refusals of the reports: each bad query a 400 with `{error, details}` naming what is wrong,
another account a 403 (account reports) or a 404 (a unit), never a 500."""

from datetime import timedelta
from typing import Any

import httpx
import pytest

from rentengine.runtime import Runtime
from tests.factories import Tenant, make_tenant
from tests.reporting.factories import ACCOUNT_REPORTS, PERFORMANCE
from tests.showings.helpers import NOW, create_unit, z

DAY = timedelta(days=1)
START = z(NOW)


def _query(account: str, **overrides: Any) -> dict[str, Any]:
    return {"account_ids": account, "start": START, "end": z(NOW + 7 * DAY)} | overrides


def _bad_queries(account: str) -> list[tuple[dict[str, Any], str]]:
    """(query, a phrase its 400 must carry)."""
    return [
        (_query(account, end=START), "'end' must be after 'start'"),
        (_query(account, end=z(NOW - DAY)), "'end' must be after 'start'"),
        (_query(account, end=z(NOW + 33 * DAY)), "not be longer than 32 days"),
        (_query(account, end=z(NOW + 32 * DAY + timedelta(microseconds=1))), "not be longer than 32 days"),
        (_query(account, start="2031-03-05"), 'must match format "date-time"'),
        (_query(account, end="2031-03-12T00:00:00"), 'must match format "date-time"'),
        ({"start": START, "end": z(NOW + DAY)}, "must have required property 'account_ids'"),
        ({"account_ids": account, "end": z(NOW + DAY)}, "must have required property 'start'"),
        (_query(account, account_ids="not-a-uuid"), "uuid"),
        (_query(account, limit=2001), "must be <= 2000"),
        (_query(account, limit=0), "must be >= 1"),
        (_query(account, page_number=-1), "must be >= 0"),
    ]


@pytest.mark.parametrize("path", ACCOUNT_REPORTS)
async def test_each_bad_query_is_a_400_that_says_why(
    client: httpx.AsyncClient, tenant: Tenant, path: str
) -> None:
    for params, phrase in _bad_queries(str(tenant.account_id)):
        response = await client.get(path, params=params, headers=tenant.headers)
        assert response.status_code == 400, (params, response.text)
        body = response.json()
        assert list(body) == ["error", "details"], body
        assert body["error"] == "Invalid query parameters"
        assert any(phrase in item["message"] for item in body["details"]), (phrase, body)


@pytest.mark.parametrize("path", ACCOUNT_REPORTS)
async def test_exactly_32_days_and_the_largest_page_are_allowed(
    client: httpx.AsyncClient, tenant: Tenant, path: str
) -> None:
    params = _query(str(tenant.account_id), end=z(NOW + 32 * DAY), limit=2000)
    response = await client.get(path, params=params, headers=tenant.headers)
    assert response.status_code == 200, response.text
    assert response.json()["page"]["limit"] == 2000


@pytest.mark.parametrize("path", ACCOUNT_REPORTS)
async def test_an_account_of_someone_else_among_yours_is_403(
    runtime: Runtime, client: httpx.AsyncClient, tenant: Tenant, path: str
) -> None:
    stranger = await make_tenant(runtime)
    for accounts in (str(stranger.account_id), f"{tenant.account_id},{stranger.account_id}"):
        response = await client.get(path, params=_query(accounts), headers=tenant.headers)
        assert (response.status_code, response.json()) == (403, {"error": "Forbidden"})
    anonymous = await client.get(path, params=_query(str(tenant.account_id)))
    assert anonymous.status_code == 401


async def test_leasing_performance_refusals(
    runtime: Runtime, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    stranger = await make_tenant(runtime)
    theirs = (await create_unit(client, stranger))["id"]
    mine = (await create_unit(client, tenant))["id"]
    window = {"start": START, "end": z(NOW + 400 * DAY)}  # no limit on the length

    async def get(unit: Any, **params: Any) -> httpx.Response:
        return await client.get(PERFORMANCE.format(unit), params=params, headers=tenant.headers)

    assert (await get(mine, **window)).status_code == 200
    for unit in (theirs, 2_000_000_000):  # another account's and an unknown unit look the same
        response = await get(unit, **window)
        assert (response.status_code, response.json()) == (404, {"error": "Not found"})
    for unit, params in (
        (mine, {"start": START}),
        (mine, {"start": window["end"], "end": START}),
        (mine, {"start": "2031-03-05", "end": window["end"]}),
        ("abc", window),
        (0, window),
        (2**31, window),
    ):
        response = await get(unit, **params)
        assert response.status_code == 400, (unit, params, response.text)
        assert list(response.json()) == ["error", "details"]
