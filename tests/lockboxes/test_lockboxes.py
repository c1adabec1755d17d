"""GET and POST /lockboxes."""

import uuid
from typing import Any

import httpx
import pytest

from rentengine.lockboxes import repository
from rentengine.runtime import Runtime
from tests.factories import Tenant, make_tenant
from tests.lockboxes.helpers import audit, count_rows, make_lockboxes, set_lockbox_type

PATH = "/lockboxes"
FIELDS = {"id", "lockbox_type", "serial_number", "account_id", "created_at", "updated_at"}


def create_body(account_id: uuid.UUID, /, *serials: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "lockbox_type": "Sentrilock",
        "serial_numbers": list(serials),
        "account_id": str(account_id),
    }
    body.update(overrides)
    return body


async def listed(client: httpx.AsyncClient, tenant: Tenant, **params: Any) -> list[str]:
    response = await client.get(PATH, params=params, headers=tenant.headers)
    assert response.status_code == 200, response.text
    return [row["serial_number"] for row in response.json()]


async def test_create_returns_the_boxes_in_request_order(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.post(
        PATH, json=create_body(tenant.account_id, "Z-9", "A-1", "M-5"), headers=tenant.headers
    )
    assert response.status_code == 201
    created = response.json()
    assert [box["serial_number"] for box in created] == ["Z-9", "A-1", "M-5"]
    for box in created:
        assert set(box) == FIELDS
        assert box["lockbox_type"] == "Sentrilock"
        assert box["account_id"] == str(tenant.account_id)
        assert box["created_at"].endswith("Z")
        assert box["created_at"] == box["updated_at"]
        uuid.UUID(box["id"])
    assert (await client.get(PATH, headers=tenant.headers)).json() == created


async def test_create_is_audited_without_the_secret(client: httpx.AsyncClient, tenant: Tenant) -> None:
    created = await make_lockboxes(client, tenant, "AUD-1", "AUD-2")
    entries = await audit(client, tenant, table="lockboxes")
    assert [(e["record_id"], e["action"]) for e in entries] == [(box["id"], "INSERT") for box in created]
    assert all(e["api_key_id"] == str(tenant.key_id) and e["request_path"].endswith(PATH) for e in entries)
    assert "secret" not in str(entries)


async def test_existing_serial_is_a_conflict_and_creates_nothing(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime
) -> None:
    await make_lockboxes(client, tenant, "DUP-1")
    response = await client.post(
        PATH, json=create_body(tenant.account_id, "NEW-1", "DUP-1", "NEW-2"), headers=tenant.headers
    )
    assert response.status_code == 409
    body = response.json()
    assert body["error"]
    [item] = body["details"]
    assert item["instancePath"] == "/serial_numbers/1"
    assert item["params"]["serial_number"] == "DUP-1"
    assert await listed(client, tenant) == ["DUP-1"]
    assert await count_rows(runtime, tenant.account_id) == (1, 0)


async def test_the_same_serial_may_exist_in_different_accounts(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    tenant = await make_tenant(runtime, accounts=2)
    other = await make_tenant(runtime)
    await make_lockboxes(client, tenant, "SHARED")
    await make_lockboxes(client, tenant, "SHARED", account_id=tenant.other_account_ids[0])
    await make_lockboxes(client, other, "SHARED")
    assert await listed(client, tenant) == ["SHARED", "SHARED"]


async def test_a_unique_constraint_race_is_also_a_conflict(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    await make_lockboxes(client, tenant, "RACE-1")

    async def nothing_taken(*_args: Any) -> dict[str, uuid.UUID]:
        return {}  # as if another request inserted RACE-1 right after our check

    monkeypatch.setattr(repository, "taken_serials", nothing_taken)
    response = await client.post(
        PATH, json=create_body(tenant.account_id, "RACE-2", "RACE-1"), headers=tenant.headers
    )
    assert response.status_code == 409
    assert response.json()["details"][0]["instancePath"] == "/serial_numbers"
    assert await count_rows(runtime, tenant.account_id) == (1, 0)
    assert len(await audit(client, tenant, table="lockboxes")) == 1


@pytest.mark.parametrize(
    ("overrides", "path", "keyword"),
    [
        ({"lockbox_type": "Codebox"}, "/lockbox_type", "enum"),
        ({"lockbox_type": None}, "/lockbox_type", "enum"),
        ({"serial_numbers": []}, "/serial_numbers", "minItems"),
        ({"serial_numbers": [f"S{i}" for i in range(101)]}, "/serial_numbers", "maxItems"),
        ({"serial_numbers": ["A", "B", "A"]}, "/serial_numbers", "uniqueItems"),
        ({"serial_numbers": ["ok", ""]}, "/serial_numbers/1", "minLength"),
        ({"serial_numbers": ["x" * 65]}, "/serial_numbers/0", "maxLength"),
        ({"serial_numbers": [123]}, "/serial_numbers/0", "type"),
        ({"serial_numbers": ["SN\u00001"]}, "/serial_numbers/0", "pattern"),
        ({"serial_numbers": "A,B"}, "/serial_numbers", "type"),
        ({"account_id": "not-a-uuid"}, "/account_id", "format"),
        ({"code_secret": "00" * 32}, "", "additionalProperties"),
    ],
)
async def test_invalid_create_bodies_are_refused(
    client: httpx.AsyncClient,
    tenant: Tenant,
    runtime: Runtime,
    overrides: dict[str, Any],
    path: str,
    keyword: str,
) -> None:
    response = await client.post(
        PATH, json=create_body(tenant.account_id, "S1", **overrides), headers=tenant.headers
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "Invalid request parameters"
    assert (path, keyword) in {(d["instancePath"], d["keyword"]) for d in body["details"]}
    assert await count_rows(runtime, tenant.account_id) == (0, 0)


async def test_missing_fields_are_each_reported(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.post(PATH, json={}, headers=tenant.headers)
    assert response.status_code == 400
    missing = {d["params"]["missingProperty"] for d in response.json()["details"]}
    assert missing == {"lockbox_type", "serial_numbers", "account_id"}


async def test_create_in_an_inaccessible_account_is_forbidden(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime
) -> None:
    other = await make_tenant(runtime)
    for account_id in (other.account_id, uuid.uuid4()):
        response = await client.post(PATH, json=create_body(account_id, "F-1"), headers=tenant.headers)
        assert response.status_code == 403
        assert response.json() == {"error": "Forbidden"}
    assert await count_rows(runtime, other.account_id) == (0, 0)


async def test_list_filters(client: httpx.AsyncClient, runtime: Runtime) -> None:
    tenant = await make_tenant(runtime, accounts=2)
    second = tenant.other_account_ids[0]
    a, b, c = await make_lockboxes(client, tenant, "F-A", "F-B", "F-C")
    [d] = await make_lockboxes(client, tenant, "F-D", account_id=second)
    await set_lockbox_type(runtime, b["id"], "Codebox")
    assert await listed(client, tenant) == ["F-A", "F-B", "F-C", "F-D"]
    assert await listed(client, tenant, serial_numbers="F-C,F-A") == ["F-A", "F-C"]
    assert await listed(client, tenant, serial_numbers=["F-D", "F-B"]) == ["F-B", "F-D"]
    assert await listed(client, tenant, lockbox_ids=f"{c['id']},{d['id']}") == ["F-C", "F-D"]
    assert await listed(client, tenant, lockbox_ids=[a["id"], c["id"]]) == ["F-A", "F-C"]
    assert await listed(client, tenant, account_id=str(second)) == ["F-D"]
    assert await listed(client, tenant, lockbox_type="Codebox") == ["F-B"]
    assert await listed(client, tenant, lockbox_type="Sentrilock") == ["F-A", "F-C", "F-D"]
    both = {
        "serial_numbers": "F-A,F-B,F-D",
        "lockbox_type": "Sentrilock",
        "account_id": str(tenant.account_id),
    }
    assert await listed(client, tenant, **both) == ["F-A"]


async def test_list_scoping(client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime) -> None:
    other = await make_tenant(runtime)
    [theirs] = await make_lockboxes(client, other, "SCOPE-1")
    [mine] = await make_lockboxes(client, tenant, "SCOPE-1")
    assert await listed(client, tenant) == ["SCOPE-1"]
    # Another account's ids and serials are simply not matched.
    assert await listed(client, tenant, lockbox_ids=theirs["id"]) == []
    assert await listed(client, tenant, lockbox_ids=f"{theirs['id']},{mine['id']}") == ["SCOPE-1"]
    forbidden = await client.get(PATH, params={"account_id": str(other.account_id)}, headers=tenant.headers)
    assert forbidden.status_code == 403
    assert forbidden.json() == {"error": "Forbidden"}


async def test_pages_cover_every_box_once_in_creation_order(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    first = await make_lockboxes(client, tenant, *[f"P-{i:03d}" for i in range(100)])
    second = await make_lockboxes(client, tenant, "P-LAST-2", "P-LAST-1")
    expected = sorted(first, key=lambda b: (b["created_at"], uuid.UUID(b["id"]))) + sorted(
        second, key=lambda b: (b["created_at"], uuid.UUID(b["id"]))
    )
    seen: list[str] = []
    for page in range(3):
        response = await client.get(PATH, params={"limit": 50, "page_number": page}, headers=tenant.headers)
        seen.extend(box["id"] for box in response.json())
    assert len(seen) == len(set(seen)) == 102
    assert {*seen} == {box["id"] for box in expected}
    assert seen[-2:] == [box["id"] for box in expected[-2:]]
    past_end = await client.get(PATH, params={"limit": 50, "page_number": 3}, headers=tenant.headers)
    assert past_end.json() == []


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({"lockbox_type": "Padlock"}, "/lockbox_type"),
        ({"lockbox_ids": "nope"}, "/lockbox_ids/0"),
        ({"account_id": "nope"}, "/account_id"),
        ({"serial_numbers": "x" * 65}, "/serial_numbers/0"),
        ({"limit": "0"}, "/limit"),
        ({"limit": "101"}, "/limit"),
        ({"page_number": "-1"}, "/page_number"),
        ({"page_number": "one"}, "/page_number"),
        ({"accountId": str(uuid.uuid4())}, ""),
    ],
)
async def test_invalid_list_parameters(
    client: httpx.AsyncClient, tenant: Tenant, params: dict[str, str], path: str
) -> None:
    response = await client.get(PATH, params=params, headers=tenant.headers)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "Invalid query parameters"
    assert path in {d["instancePath"] for d in body["details"]}


async def test_unauthenticated_requests_are_refused(client: httpx.AsyncClient) -> None:
    assert (await client.get(PATH)).status_code == 401
    assert (await client.post(PATH, json={})).status_code == 401
