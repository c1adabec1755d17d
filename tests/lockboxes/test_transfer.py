"""POST /lockboxes/transfer_accounts."""

import uuid
from typing import Any

import httpx
import pytest

from rentengine.lockboxes import repository
from rentengine.runtime import Runtime
from tests.factories import Tenant, make_tenant, make_unit_row
from tests.lockboxes.helpers import audit, event, make_lockboxes, post_events

PATH = "/lockboxes/transfer_accounts"


@pytest.fixture
async def two_accounts(runtime: Runtime) -> Tenant:
    return await make_tenant(runtime, accounts=2)


def transfer(boxes: list[dict[str, Any]], target: uuid.UUID) -> dict[str, Any]:
    return {"lockbox_ids": [box["id"] for box in boxes], "new_account_id": str(target)}


async def accounts_of(client: httpx.AsyncClient, tenant: Tenant) -> dict[str, str]:
    rows = (await client.get("/lockboxes", headers=tenant.headers)).json()
    return {row["serial_number"]: row["account_id"] for row in rows}


async def test_transfer_moves_the_boxes_and_audits_an_update_each(
    client: httpx.AsyncClient, two_accounts: Tenant
) -> None:
    tenant, target = two_accounts, two_accounts.other_account_ids[0]
    a, b, c = await make_lockboxes(client, tenant, "T-A", "T-B", "T-C")
    response = await client.post(PATH, json=transfer([c, a], target), headers=tenant.headers)
    assert response.status_code == 200
    moved = response.json()
    assert [box["id"] for box in moved] == [c["id"], a["id"]]
    assert all(box["account_id"] == str(target) for box in moved)
    assert moved[0]["updated_at"] > c["updated_at"]
    assert moved[0]["created_at"] == c["created_at"]
    assert await accounts_of(client, tenant) == {
        "T-A": str(target),
        "T-B": str(tenant.account_id),
        "T-C": str(target),
    }
    updates = await audit(client, tenant, table="lockboxes")
    updates = [e for e in updates if e["action"] == "UPDATE"]
    assert [e["record_id"] for e in updates] == [c["id"], a["id"]]
    assert all(e["account_id"] == str(target) for e in updates)
    assert updates[0]["changes"] == {"account_id": [str(tenant.account_id), str(target)]}
    assert b["id"] not in {e["record_id"] for e in updates}


async def test_past_events_keep_their_account(
    client: httpx.AsyncClient, two_accounts: Tenant, runtime: Runtime
) -> None:
    tenant, target = two_accounts, two_accounts.other_account_ids[0]
    [box] = await make_lockboxes(client, tenant, "T-EV")
    unit = await make_unit_row(runtime, tenant.account_id)
    [installed] = await post_events(client, tenant, event(box, unit))
    await client.post(PATH, json=transfer([box], target), headers=tenant.headers)
    events = (
        await client.get("/lockbox_events", params={"lockbox_ids": box["id"]}, headers=tenant.headers)
    ).json()
    assert events == [installed]
    assert installed["account_id"] == str(tenant.account_id)


async def test_box_already_in_the_target_is_returned_unchanged(
    client: httpx.AsyncClient, two_accounts: Tenant
) -> None:
    tenant, target = two_accounts, two_accounts.other_account_ids[0]
    [box] = await make_lockboxes(client, tenant, "T-STAY", account_id=target)
    response = await client.post(PATH, json=transfer([box, box], target), headers=tenant.headers)
    assert response.status_code == 200
    assert response.json() == [box]
    assert [e["action"] for e in await audit(client, tenant, record_id=box["id"])] == ["INSERT"]


async def test_inaccessible_target_is_forbidden(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime
) -> None:
    other = await make_tenant(runtime)
    [box] = await make_lockboxes(client, tenant, "T-403")
    for target in (other.account_id, uuid.uuid4()):
        response = await client.post(PATH, json=transfer([box], target), headers=tenant.headers)
        assert response.status_code == 403
        assert response.json() == {"error": "Forbidden"}
    assert await accounts_of(client, tenant) == {"T-403": str(tenant.account_id)}


async def test_any_invisible_box_is_not_found_and_nothing_moves(
    client: httpx.AsyncClient, two_accounts: Tenant, runtime: Runtime
) -> None:
    tenant, target = two_accounts, two_accounts.other_account_ids[0]
    other = await make_tenant(runtime)
    [mine] = await make_lockboxes(client, tenant, "T-404")
    [theirs] = await make_lockboxes(client, other, "T-THEIRS")
    for stranger in (theirs, {"id": str(uuid.uuid4())}):
        response = await client.post(PATH, json=transfer([mine, stranger], target), headers=tenant.headers)
        assert response.status_code == 404
        assert response.json() == {"error": "Not found"}
    assert await accounts_of(client, tenant) == {"T-404": str(tenant.account_id)}
    assert await accounts_of(client, other) == {"T-THEIRS": str(other.account_id)}
    assert [e["action"] for e in await audit(client, tenant, table="lockboxes")] == ["INSERT"]


async def test_serial_clash_in_the_target_is_a_conflict_and_nothing_moves(
    client: httpx.AsyncClient, two_accounts: Tenant
) -> None:
    tenant, target = two_accounts, two_accounts.other_account_ids[0]
    free, clash = await make_lockboxes(client, tenant, "T-FREE", "T-CLASH")
    await make_lockboxes(client, tenant, "T-CLASH", account_id=target)
    response = await client.post(PATH, json=transfer([free, clash], target), headers=tenant.headers)
    assert response.status_code == 409
    [item] = response.json()["details"]
    assert item["instancePath"] == "/lockbox_ids/1"
    assert item["params"]["serial_number"] == "T-CLASH"
    rows = (await client.get("/lockboxes", headers=tenant.headers)).json()
    assert {(r["serial_number"], r["account_id"]) for r in rows} == {
        ("T-FREE", str(tenant.account_id)),
        ("T-CLASH", str(tenant.account_id)),
        ("T-CLASH", str(target)),
    }


async def test_two_moving_boxes_with_one_serial_conflict(client: httpx.AsyncClient, runtime: Runtime) -> None:
    tenant = await make_tenant(runtime, accounts=3)
    second, target = tenant.other_account_ids
    [one] = await make_lockboxes(client, tenant, "T-TWIN")
    [two] = await make_lockboxes(client, tenant, "T-TWIN", account_id=second)
    response = await client.post(PATH, json=transfer([one, two], target), headers=tenant.headers)
    assert response.status_code == 409
    assert [d["instancePath"] for d in response.json()["details"]] == ["/lockbox_ids/0", "/lockbox_ids/1"]
    accounts = {r["account_id"] for r in (await client.get("/lockboxes", headers=tenant.headers)).json()}
    assert accounts == {str(tenant.account_id), str(second)}


async def test_a_unique_constraint_race_is_also_a_conflict(
    client: httpx.AsyncClient, two_accounts: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant, target = two_accounts, two_accounts.other_account_ids[0]
    [box] = await make_lockboxes(client, tenant, "T-RACE")
    await make_lockboxes(client, tenant, "T-RACE", account_id=target)

    async def nothing_taken(*_args: Any) -> dict[str, uuid.UUID]:
        return {}

    monkeypatch.setattr(repository, "taken_serials", nothing_taken)
    response = await client.post(PATH, json=transfer([box], target), headers=tenant.headers)
    assert response.status_code == 409
    monkeypatch.undo()
    rows = (await client.get("/lockboxes", params={"lockbox_ids": box["id"]}, headers=tenant.headers)).json()
    assert rows[0]["account_id"] == str(tenant.account_id)


@pytest.mark.parametrize(
    ("body", "path", "keyword"),
    [
        ({"lockbox_ids": []}, "/lockbox_ids", "minItems"),
        ({"lockbox_ids": [str(uuid.uuid4()) for _ in range(101)]}, "/lockbox_ids", "maxItems"),
        ({"lockbox_ids": ["nope"]}, "/lockbox_ids/0", "format"),
        ({"lockbox_ids": None}, "/lockbox_ids", "type"),
        ({"new_account_id": None}, "/new_account_id", "format"),
        ({"new_account_id": 5}, "/new_account_id", "format"),
        ({"account_id": str(uuid.uuid4())}, "", "additionalProperties"),
    ],
)
async def test_invalid_transfer_bodies(
    client: httpx.AsyncClient, tenant: Tenant, body: dict[str, Any], path: str, keyword: str
) -> None:
    full = {"lockbox_ids": [str(uuid.uuid4())], "new_account_id": str(tenant.account_id), **body}
    response = await client.post(PATH, json=full, headers=tenant.headers)
    assert response.status_code == 400
    assert (path, keyword) in {(d["instancePath"], d["keyword"]) for d in response.json()["details"]}


async def test_required_transfer_fields(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.post(PATH, json={}, headers=tenant.headers)
    assert response.status_code == 400
    missing = {d["params"]["missingProperty"] for d in response.json()["details"]}
    assert missing == {"lockbox_ids", "new_account_id"}
