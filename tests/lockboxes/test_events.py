"""GET and POST /lockbox_events."""

import uuid
from typing import Any

import httpx
import pytest

from rentengine.runtime import Runtime
from tests.factories import Tenant, make_tenant, make_unit_row
from tests.lockboxes.helpers import audit, count_rows, event, make_lockboxes, post_events, set_lockbox_type

PATH = "/lockbox_events"
FIELDS = {"id", "lockbox_id", "event_type", "unit_id", "account_id", "created_at", "metadata"}


async def listed(client: httpx.AsyncClient, tenant: Tenant, **params: Any) -> list[str]:
    response = await client.get(PATH, params={"limit": "100", **params}, headers=tenant.headers)
    assert response.status_code == 200, response.text
    return [row["id"] for row in response.json()]


async def test_create_returns_events_in_request_order(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime
) -> None:
    unit, other_unit = (
        await make_unit_row(runtime, tenant.account_id),
        await make_unit_row(runtime, tenant.account_id),
    )
    a, b = await make_lockboxes(client, tenant, "E-A", "E-B")
    notes = {"installer_id": "user_12345", "notes": "Installed on front door"}
    items = [event(b, unit, metadata=notes), event(a, other_unit), event(b, unit, "Uninstall", metadata=None)]
    response = await client.post(PATH, json={"events": items}, headers=tenant.headers)
    assert response.status_code == 201
    created = response.json()
    assert [(e["lockbox_id"], e["event_type"], e["unit_id"]) for e in created] == [
        (b["id"], "Install", str(unit)),
        (a["id"], "Install", str(other_unit)),
        (b["id"], "Uninstall", str(unit)),
    ]
    assert all(set(e) == FIELDS and e["account_id"] == str(tenant.account_id) for e in created)
    assert [e["metadata"] for e in created] == [notes, None, None]
    assert created[0]["created_at"] < created[1]["created_at"] < created[2]["created_at"]
    assert (await client.get(PATH, headers=tenant.headers)).json() == created
    entries = await audit(client, tenant, table="lockbox_events")
    assert [(e["record_id"], e["action"]) for e in entries] == [(e["id"], "INSERT") for e in created]


@pytest.mark.parametrize(
    ("change", "path", "keyword"),
    [
        ({"event_type": "Generate Code"}, "/events/3/event_type", "enum"),
        ({"event_type": "install"}, "/events/3/event_type", "enum"),
        ({"unit_id": "12"}, "/events/3/unit_id", "type"),
        ({"unit_id": 1.5}, "/events/3/unit_id", "type"),
        ({"unit_id": None}, "/events/3/unit_id", "type"),
        ({"unit_id": 0}, "/events/3/unit_id", "minimum"),
        ({"lockbox_id": "nope"}, "/events/3/lockbox_id", "format"),
        ({"metadata": ["not", "an", "object"]}, "/events/3/metadata", "type"),
        ({"metadata": {"notes": "x" * 8200}}, "/events/3/metadata", "maxBytes"),
        ({"metadata": {"count": 2**70}}, "/events/3/metadata", "storableJson"),
        ({"metadata": {"notes": "a\u0000b"}}, "/events/3/metadata/notes", "pattern"),
        (
            {"metadata": {"deep": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}},
            "/events/3/metadata",
            "storableJson",
        ),
        ({"account_id": str(uuid.uuid4())}, "/events/3", "additionalProperties"),
    ],
)
async def test_one_invalid_item_refuses_the_batch(
    client: httpx.AsyncClient,
    tenant: Tenant,
    runtime: Runtime,
    change: dict[str, Any],
    path: str,
    keyword: str,
) -> None:
    unit = await make_unit_row(runtime, tenant.account_id)
    [box] = await make_lockboxes(client, tenant, "E-BAD")
    items = [event(box, unit) for _ in range(5)]
    items[3].update(change)
    response = await client.post(PATH, json={"events": items}, headers=tenant.headers)
    assert response.status_code == 400
    assert response.json()["error"] == "Invalid request parameters"
    assert (path, keyword) in {(d["instancePath"], d["keyword"]) for d in response.json()["details"]}
    assert await count_rows(runtime, tenant.account_id) == (1, 0)


async def test_metadata_up_to_8_kib_is_accepted(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime
) -> None:
    unit = await make_unit_row(runtime, tenant.account_id)
    [box] = await make_lockboxes(client, tenant, "E-META")
    metadata = {"notes": "x" * (8192 - len('{"notes":""}'))}
    [created] = await post_events(client, tenant, event(box, unit, metadata=metadata))
    assert created["metadata"] == metadata


@pytest.mark.parametrize(
    ("body", "path", "keyword"),
    [
        ({"events": []}, "/events", "minItems"),
        ({"events": None}, "/events", "type"),
        ({"events": {}}, "/events", "type"),
        ({"events": [{"lockbox_id": str(uuid.uuid4()), "event_type": "Install"}]}, "/events/0", "required"),
        ({"events": [], "extra": 1}, "", "additionalProperties"),
    ],
)
async def test_invalid_batches(
    client: httpx.AsyncClient, tenant: Tenant, body: dict[str, Any], path: str, keyword: str
) -> None:
    response = await client.post(PATH, json=body, headers=tenant.headers)
    assert response.status_code == 400
    assert (path, keyword) in {(d["instancePath"], d["keyword"]) for d in response.json()["details"]}


async def test_more_than_100_events_are_refused(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime
) -> None:
    unit = await make_unit_row(runtime, tenant.account_id)
    [box] = await make_lockboxes(client, tenant, "E-101")
    response = await client.post(PATH, json={"events": [event(box, unit)] * 101}, headers=tenant.headers)
    assert response.status_code == 400
    assert response.json()["details"][0]["keyword"] == "maxItems"
    assert await count_rows(runtime, tenant.account_id) == (1, 0)


async def test_invisible_lockbox_or_unit_is_not_found_and_nothing_is_written(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime
) -> None:
    other = await make_tenant(runtime)
    unit, their_unit = (
        await make_unit_row(runtime, tenant.account_id),
        await make_unit_row(runtime, other.account_id),
    )
    [mine] = await make_lockboxes(client, tenant, "E-404")
    [theirs] = await make_lockboxes(client, other, "E-404")
    unknown_box = {"id": str(uuid.uuid4())}
    for bad in (
        event(theirs, unit),
        event(unknown_box, unit),
        event(mine, their_unit),
        event(mine, 2_000_000_000),
    ):
        response = await client.post(PATH, json={"events": [event(mine, unit), bad]}, headers=tenant.headers)
        assert response.status_code == 404, bad
        assert response.json() == {"error": "Not found"}
    assert await count_rows(runtime, tenant.account_id) == (1, 0)
    assert await count_rows(runtime, other.account_id) == (1, 0)


async def test_unit_must_be_in_the_lockbox_account(client: httpx.AsyncClient, runtime: Runtime) -> None:
    tenant = await make_tenant(runtime, accounts=2)
    unit = await make_unit_row(runtime, tenant.account_id)
    second_unit = await make_unit_row(runtime, tenant.other_account_ids[0])
    [box] = await make_lockboxes(client, tenant, "E-ACC")
    items = [event(box, unit), event(box, second_unit)]
    response = await client.post(PATH, json={"events": items}, headers=tenant.headers)
    assert response.status_code == 400
    [item] = response.json()["details"]
    assert item["instancePath"] == "/events/1/unit_id"
    assert await count_rows(runtime, tenant.account_id) == (1, 0)


async def test_list_filters(client: httpx.AsyncClient, runtime: Runtime) -> None:
    tenant = await make_tenant(runtime, accounts=2)
    second = tenant.other_account_ids[0]
    u1, u2 = await make_unit_row(runtime, tenant.account_id), await make_unit_row(runtime, tenant.account_id)
    u3 = await make_unit_row(runtime, second)
    a, b = await make_lockboxes(client, tenant, "EF-A", "EF-B")
    [c] = await make_lockboxes(client, tenant, "EF-C", account_id=second)
    await set_lockbox_type(runtime, b["id"], "Codebox")
    e1, e2, e3, e4 = await post_events(
        client, tenant, event(a, u1), event(b, u2), event(c, u3), event(a, u1, "Uninstall")
    )
    code = await client.post(
        "/lockboxes/generate_code", json={"lockbox_id": b["id"], "date": "2024-10-05"}, headers=tenant.headers
    )
    assert code.status_code == 200
    [e5] = await listed(client, tenant, event_types="Generate Code")
    all_ids = [e1["id"], e2["id"], e3["id"], e4["id"], e5]
    assert await listed(client, tenant) == all_ids
    assert await listed(client, tenant, serial_numbers="EF-A,EF-C") == [e1["id"], e3["id"], e4["id"]]
    assert await listed(client, tenant, lockbox_ids=b["id"]) == [e2["id"], e5]
    assert await listed(client, tenant, lockbox_ids=[a["id"], c["id"]]) == [e1["id"], e3["id"], e4["id"]]
    assert await listed(client, tenant, lockbox_event_ids=f"{e4['id']},{e1['id']}") == [e1["id"], e4["id"]]
    assert await listed(client, tenant, account_id=str(second)) == [e3["id"]]
    assert await listed(client, tenant, lockbox_type="Codebox") == [e2["id"], e5]
    assert await listed(client, tenant, lockbox_type="Sentrilock") == [e1["id"], e3["id"], e4["id"]]
    assert await listed(client, tenant, event_types="Uninstall,Generate Code") == [e4["id"], e5]
    assert await listed(client, tenant, event_types=["Install", "Uninstall"]) == all_ids[:4]
    assert await listed(client, tenant, unit_ids=f"{u1},{u3}") == [e1["id"], e3["id"], e4["id"]]
    assert await listed(client, tenant, unit_ids=str(u2)) == [e2["id"], e5]  # the code event records u2
    assert await listed(client, tenant, unit_ids="99999999999") == []
    assert await listed(client, tenant, created_at_from=e2["created_at"]) == all_ids[1:]
    assert await listed(client, tenant, created_at_to=e2["created_at"]) == [e1["id"]]
    window = {"created_at_from": e2["created_at"], "created_at_to": e4["created_at"]}
    assert await listed(client, tenant, **window) == [e2["id"], e3["id"]]
    combined = {"lockbox_type": "Sentrilock", "event_types": "Install", "account_id": str(tenant.account_id)}
    assert await listed(client, tenant, **combined) == [e1["id"]]


async def test_list_scoping(client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime) -> None:
    other = await make_tenant(runtime)
    their_unit = await make_unit_row(runtime, other.account_id)
    [theirs] = await make_lockboxes(client, other, "ES-1")
    [their_event] = await post_events(client, other, event(theirs, their_unit))
    assert await listed(client, tenant) == []
    assert await listed(client, tenant, lockbox_ids=theirs["id"]) == []
    assert await listed(client, tenant, lockbox_event_ids=their_event["id"]) == []
    assert await listed(client, tenant, serial_numbers="ES-1") == []
    assert await listed(client, tenant, unit_ids=str(their_unit)) == []
    forbidden = await client.get(PATH, params={"account_id": str(other.account_id)}, headers=tenant.headers)
    assert forbidden.status_code == 403
    assert forbidden.json() == {"error": "Forbidden"}


async def test_paging_over_more_than_100_events(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime
) -> None:
    unit = await make_unit_row(runtime, tenant.account_id)
    boxes = await make_lockboxes(client, tenant, "EP-1", "EP-2", "EP-3")
    first = await post_events(client, tenant, *[event(boxes[i % 3], unit) for i in range(100)])
    second = await post_events(client, tenant, *[event(boxes[i % 3], unit, "Uninstall") for i in range(7)])
    expected = [e["id"] for e in first + second]
    page0 = await listed(client, tenant, limit="100", page_number="0")
    page1 = await listed(client, tenant, limit="100", page_number="1")
    assert (len(page0), len(page1)) == (100, 7)
    assert page0 + page1 == expected
    assert await listed(client, tenant, limit="100", page_number="2") == []


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({"created_at_from": "2024-10-05"}, "/created_at_from"),
        ({"created_at_to": "yesterday"}, "/created_at_to"),
        ({"event_types": "Install,Installed"}, "/event_types/1"),
        ({"unit_ids": "12,abc"}, "/unit_ids/1"),
        ({"unit_ids": "-5"}, "/unit_ids/0"),
        ({"lockbox_event_ids": "nope"}, "/lockbox_event_ids/0"),
        ({"lockbox_ids": "nope"}, "/lockbox_ids/0"),
        ({"lockbox_type": "Padlock"}, "/lockbox_type"),
        ({"account_id": "nope"}, "/account_id"),
        ({"limit": "101"}, "/limit"),
        ({"page_number": "x"}, "/page_number"),
        ({"unit_id": "12"}, ""),
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
