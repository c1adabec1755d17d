"""GET /audit_log (API.md §3, §18): what writes record, every filter, paging and account scoping."""

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from rentengine.auth.service import Principal
from rentengine.changes.types import Actor
from rentengine.kit import clock
from rentengine.kit.clock import isoformat_z
from rentengine.properties import service as properties_service
from rentengine.properties.schemas import PropertyUpsert
from rentengine.runtime import Runtime
from tests.factories import Tenant, make_key, make_tenant, property_body

LOG = "/audit_log"
PROPERTIES = "/multifamily_properties"
TABLE = "multifamily_properties"


@pytest.fixture
def pinned_clock() -> Iterator[list[datetime]]:
    now = [datetime.now(UTC).replace(microsecond=0)]
    clock.set_clock(lambda: now[0])
    yield now
    clock.set_clock(None)


async def _create(client: httpx.AsyncClient, tenant: Tenant, headers: dict[str, str] | None = None) -> str:
    response = await client.post(
        PROPERTIES, json=property_body(tenant.account_id), headers=headers or tenant.headers
    )
    assert response.status_code == 200
    property_id: str = response.json()[0]["id"]
    return property_id


async def _log(client: httpx.AsyncClient, tenant: Tenant, **params: Any) -> list[dict[str, Any]]:
    response = await client.get(LOG, params=params, headers=tenant.headers)
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()
    return entries


async def test_a_create_and_an_update_are_recorded(client: httpx.AsyncClient, tenant: Tenant) -> None:
    property_id = await _create(client, tenant)
    update = {"id": property_id, "unit_count": 10, "community_name": "Sunset Towers II"}
    assert (await client.post(PROPERTIES, json=update, headers=tenant.headers)).status_code == 200

    inserted, updated = await _log(client, tenant)
    common = {
        "account_id": str(tenant.account_id),
        "user_id": str(tenant.user_id),
        "api_key_id": str(tenant.key_id),
        "table": TABLE,
        "record_id": property_id,
        "request_method": "POST",
        "request_path": "/api/public/v1/multifamily_properties",
    }
    assert inserted.items() >= {**common, "action": "INSERT", "changes": None}.items()
    assert updated.items() >= {**common, "action": "UPDATE"}.items()
    # Every field that changed, as [old, new]; the bookkeeping `updated_at` is left out.
    assert updated["changes"] == {
        "community_name": ["Sunset Towers", "Sunset Towers II"],
        "unit_count": [75, 10],
        "paid_feed_requirements": [["Zillow", "Apartments.com"], ["Apartments.com"]],
    }
    assert isinstance(inserted["id"], int)
    assert inserted["id"] < updated["id"]
    assert inserted["created_at"].endswith("Z")


async def test_a_refused_write_records_nothing(client: httpx.AsyncClient, tenant: Tenant) -> None:
    property_id = await _create(client, tenant)
    refused = {"id": property_id, "unit_count": 0}
    assert (await client.post(PROPERTIES, json=refused, headers=tenant.headers)).status_code == 400
    assert [e["action"] for e in await _log(client, tenant)] == ["INSERT"]


async def test_filters(client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant) -> None:
    second_key, second_token = await make_key(runtime, tenant)
    first = await _create(client, tenant)
    second = await _create(client, tenant, {"Authorization": f"Bearer {second_token}"})
    await client.post(PROPERTIES, json={"id": first, "unit_count": 3}, headers=tenant.headers)

    def ids(entries: list[dict[str, Any]]) -> list[tuple[str, str]]:
        return [(e["record_id"], e["action"]) for e in entries]

    everything = [(first, "INSERT"), (second, "INSERT"), (first, "UPDATE")]
    assert ids(await _log(client, tenant)) == everything
    assert ids(await _log(client, tenant, table=TABLE)) == everything
    assert await _log(client, tenant, table="units") == []
    assert ids(await _log(client, tenant, record_id=first)) == [(first, "INSERT"), (first, "UPDATE")]
    assert ids(await _log(client, tenant, api_key_id=str(second_key))) == [(second, "INSERT")]
    assert ids(await _log(client, tenant, api_key_id=str(tenant.key_id), record_id=second)) == []
    assert await _log(client, tenant, record_id=str(uuid.uuid4())) == []


async def test_created_after_and_before(
    client: httpx.AsyncClient, tenant: Tenant, pinned_clock: list[datetime]
) -> None:
    start = pinned_clock[0]
    made = []
    for hour in range(3):
        pinned_clock[0] = start + timedelta(hours=hour)
        made.append(await _create(client, tenant))
    second_at = start + timedelta(hours=1)

    # The range is half-open: `created_after` includes its instant, `created_before` excludes it.
    after = await _log(client, tenant, created_after=isoformat_z(second_at))
    assert [e["record_id"] for e in after] == made[1:]
    before = await _log(client, tenant, created_before=isoformat_z(second_at))
    assert [e["record_id"] for e in before] == made[:1]
    # Any offset is understood, not only Z.
    for hours in (2, -5):
        local = (second_at + timedelta(hours=hours)).replace(tzinfo=None).isoformat()
        spelling = f"{local}{'+' if hours > 0 else '-'}{abs(hours):02d}:00"
        assert [e["record_id"] for e in await _log(client, tenant, created_after=spelling)] == made[1:]
    window = await _log(
        client,
        tenant,
        created_after=isoformat_z(start + timedelta(minutes=30)),
        created_before=isoformat_z(start + timedelta(hours=1, minutes=30)),
    )
    assert [e["record_id"] for e in window] == made[1:2]


async def test_paging(client: httpx.AsyncClient, tenant: Tenant) -> None:
    made = [await _create(client, tenant) for _ in range(5)]
    pages = [await _log(client, tenant, limit=2, page_number=n) for n in range(4)]
    assert [[e["record_id"] for e in page] for page in pages] == [made[0:2], made[2:4], made[4:5], []]
    assert [e["record_id"] for e in await _log(client, tenant)] == made


async def test_only_the_callers_accounts_are_covered(client: httpx.AsyncClient, runtime: Runtime) -> None:
    both = await make_tenant(runtime, accounts=2)
    stranger = await make_tenant(runtime)
    in_first = await _create(client, both)
    body = property_body(both.other_account_ids[0])
    response = await client.post(PROPERTIES, json=body, headers=both.headers)
    in_second = response.json()[0]["id"]
    theirs = await _create(client, stranger)

    entries = await _log(client, both)
    assert [e["record_id"] for e in entries] == [in_first, in_second]
    assert {e["account_id"] for e in entries} == {str(both.account_id), str(both.other_account_ids[0])}
    assert [e["record_id"] for e in await _log(client, stranger)] == [theirs]
    # Filters never reach into other accounts.
    assert await _log(client, stranger, record_id=in_first) == []
    assert await _log(client, stranger, api_key_id=str(both.key_id)) == []


async def test_a_write_without_an_api_key_has_a_null_api_key_id(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    # Portal and CLI writes go through the same services with an actor that has no key.
    principal = Principal(user_id=tenant.user_id, api_key_id=None, account_ids=frozenset({tenant.account_id}))
    actor = Actor(user_id=tenant.user_id)
    body = PropertyUpsert.model_validate(property_body(tenant.account_id))
    async with runtime.db.transaction() as session:
        record, _ = await properties_service.upsert_property(
            session, principal, actor, body, runtime.settings.paid_feed_thresholds
        )
    [entry] = await _log(client, tenant)
    assert entry["record_id"] == record["id"]
    assert entry["user_id"] == str(tenant.user_id)
    assert entry["api_key_id"] is None
    assert entry["request_method"] is None


@pytest.mark.parametrize(
    ("params", "keyword", "path"),
    [
        ({"api_key_id": "not-a-uuid"}, "format", "/api_key_id"),
        ({"created_after": "2024-01-01"}, "format", "/created_after"),
        ({"created_before": "yesterday"}, "format", "/created_before"),
        ({"limit": "101"}, "maximum", "/limit"),
        ({"limit": "0"}, "minimum", "/limit"),
        ({"page_number": "-1"}, "minimum", "/page_number"),
        ({"limit": "ten"}, "type", "/limit"),
        ({"account_id": str(uuid.uuid4())}, "additionalProperties", ""),
    ],
)
async def test_bad_parameters_are_400(
    client: httpx.AsyncClient, tenant: Tenant, params: dict[str, str], keyword: str, path: str
) -> None:
    response = await client.get(LOG, params=params, headers=tenant.headers)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "Invalid query parameters"
    assert [(d["keyword"], d["instancePath"]) for d in body["details"]] == [(keyword, path)]
