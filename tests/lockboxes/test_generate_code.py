"""POST /lockboxes/generate_code."""

import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest

from rentengine.lockboxes.codes import derive_code
from rentengine.runtime import Runtime
from tests.factories import Tenant, make_tenant, make_unit_row
from tests.lockboxes.helpers import (
    audit,
    count_rows,
    event,
    make_lockboxes,
    post_events,
    secret_of,
    set_lockbox_type,
    set_secret,
)

PATH = "/lockboxes/generate_code"
SECRET = bytes(range(32))  # see test_codes: 2024-10-05 ACCESS -> 542645, SHACKLE -> 016778


async def generate(client: httpx.AsyncClient, tenant: Tenant, **body: Any) -> dict[str, Any]:
    response = await client.post(PATH, json={"date": "2024-10-05", **body}, headers=tenant.headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def code_events(client: httpx.AsyncClient, tenant: Tenant) -> list[dict[str, Any]]:
    params = {"event_types": "Generate Code", "limit": "100"}
    rows: list[dict[str, Any]] = (
        await client.get("/lockbox_events", params=params, headers=tenant.headers)
    ).json()
    return rows


def leaves(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for item in value.values():
            yield from leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from leaves(item)
    else:
        yield value


async def test_code_is_deterministic_and_depends_on_date_and_type(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime
) -> None:
    [box] = await make_lockboxes(client, tenant, "G-1")
    await set_secret(runtime, box["id"], SECRET)
    first = await generate(client, tenant, lockbox_id=box["id"])
    assert first["code"] == "542645"
    assert first["lockboxType"] == "Sentrilock"
    assert "2024-10-05" in first["instructions"]
    assert set(first) == {"code", "lockboxType", "instructions"}
    assert await generate(client, tenant, lockbox_id=box["id"]) == first
    assert (await generate(client, tenant, lockbox_id=box["id"], date="2024-10-06"))["code"] == "315535"
    shackle = await generate(client, tenant, lockbox_id=box["id"], code_type="SHACKLE")
    assert shackle["code"] == "016778"  # leading zero kept
    assert shackle["instructions"] != first["instructions"]


async def test_each_box_has_its_own_random_secret(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime
) -> None:
    one, two = await make_lockboxes(client, tenant, "G-S1", "G-S2")
    secret = await secret_of(runtime, one["id"])
    assert len(secret) == 32
    assert secret != await secret_of(runtime, two["id"])
    result = await generate(client, tenant, lockbox_id=one["id"], date="2025-02-28")
    assert result["code"] == derive_code(secret, date(2025, 2, 28), "ACCESS", 6)


async def test_digits_follow_the_setting_per_lockbox_type(
    make_client: Any, tenant: Tenant, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    [box] = await make_lockboxes(client, tenant, "G-8")
    await set_secret(runtime, box["id"], SECRET)
    async with make_client(lockbox_code_digits={"Sentrilock": 8, "Codebox": 4}) as eight:
        response = await eight.post(
            PATH, json={"lockbox_id": box["id"], "date": "2024-10-05"}, headers=tenant.headers
        )
        assert response.json()["code"] == "00542645"
        await set_lockbox_type(runtime, box["id"], "Codebox")
        response = await eight.post(
            PATH, json={"lockbox_id": box["id"], "date": "2024-10-05"}, headers=tenant.headers
        )
        assert response.json() == {
            "code": "2645",
            "lockboxType": "Codebox",
            "instructions": response.json()["instructions"],
        }


async def test_by_serial_number(client: httpx.AsyncClient, runtime: Runtime) -> None:
    tenant = await make_tenant(runtime, accounts=2)
    other = await make_tenant(runtime)
    [box] = await make_lockboxes(client, tenant, "G-SER")
    await set_secret(runtime, box["id"], SECRET)
    assert (await generate(client, tenant, serial_number="G-SER"))["code"] == "542645"
    # Another user's box with the same serial is invisible, so it does not make the serial ambiguous.
    await make_lockboxes(client, other, "G-SER")
    assert (await generate(client, tenant, serial_number="G-SER"))["code"] == "542645"
    unknown = await client.post(
        PATH, json={"serial_number": "G-NONE", "date": "2024-10-05"}, headers=tenant.headers
    )
    assert unknown.status_code == 404
    [twin] = await make_lockboxes(client, tenant, "G-SER", account_id=tenant.other_account_ids[0])
    ambiguous = await client.post(
        PATH, json={"serial_number": "G-SER", "date": "2024-10-05"}, headers=tenant.headers
    )
    assert ambiguous.status_code == 400
    assert ambiguous.json()["details"][0]["instancePath"] == "/serial_number"
    assert (await generate(client, tenant, lockbox_id=twin["id"]))["code"] != "542645"


async def test_invisible_lockbox_is_not_found(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime
) -> None:
    other = await make_tenant(runtime)
    [theirs] = await make_lockboxes(client, other, "G-HIDDEN")
    for lockbox_id in (theirs["id"], str(uuid.uuid4())):
        response = await client.post(
            PATH, json={"lockbox_id": lockbox_id, "date": "2024-10-05"}, headers=tenant.headers
        )
        assert response.status_code == 404
        assert response.json() == {"error": "Not found"}
    assert await count_rows(runtime, other.account_id) == (1, 0)


async def test_unit_id_resolves_the_installed_lockbox(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime
) -> None:
    unit, elsewhere = (
        await make_unit_row(runtime, tenant.account_id),
        await make_unit_row(runtime, tenant.account_id),
    )
    a, b = await make_lockboxes(client, tenant, "G-UA", "G-UB")

    async def resolved() -> str | int:
        response = await client.post(
            PATH, json={"unit_id": unit, "date": "2024-10-05"}, headers=tenant.headers
        )
        if response.status_code != 200:
            return int(response.status_code)
        lockbox_id: str = (await code_events(client, tenant))[-1]["lockbox_id"]
        return lockbox_id

    assert await resolved() == 404  # nothing installed yet
    await post_events(client, tenant, event(a, unit))
    assert await resolved() == a["id"]
    await post_events(client, tenant, event(b, unit))
    assert await resolved() == b["id"]  # both installed: the latest Install wins
    await post_events(client, tenant, event(b, unit, "Uninstall"))
    assert await resolved() == a["id"]
    await post_events(client, tenant, event(a, elsewhere))  # a moved away: its latest placement is elsewhere
    assert await resolved() == 404
    # Within one batch the later item is the later event.
    await post_events(client, tenant, event(a, unit), event(b, unit), event(a, unit, "Uninstall"))
    assert await resolved() == b["id"]


async def test_unit_id_must_be_visible(client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime) -> None:
    other = await make_tenant(runtime)
    their_unit = await make_unit_row(runtime, other.account_id)
    [theirs] = await make_lockboxes(client, other, "G-THEIR-UNIT")
    await post_events(client, other, event(theirs, their_unit))
    for unit_id in (their_unit, 2_000_000_000):
        response = await client.post(
            PATH, json={"unit_id": unit_id, "date": "2024-10-05"}, headers=tenant.headers
        )
        assert response.status_code == 404
    assert await count_rows(runtime, other.account_id) == (1, 1)


async def test_generate_code_records_an_event_without_the_code(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime
) -> None:
    unit = await make_unit_row(runtime, tenant.account_id)
    installed, loose = await make_lockboxes(client, tenant, "G-EV1", "G-EV2")
    await post_events(client, tenant, event(installed, unit))
    one = await generate(client, tenant, unit_id=unit, created_for="Jordan Smith")
    two = await generate(client, tenant, lockbox_id=loose["id"], code_type="SHACKLE", date="2024-12-31")
    first, second = await code_events(client, tenant)
    assert first["lockbox_id"] == installed["id"]
    assert first["unit_id"] == str(unit)
    assert first["account_id"] == str(tenant.account_id)
    assert first["metadata"] == {"date": "2024-10-05", "code_type": "ACCESS", "created_for": "Jordan Smith"}
    assert second["unit_id"] is None
    assert second["metadata"] == {"date": "2024-12-31", "code_type": "SHACKLE", "created_for": None}
    entries = await audit(client, tenant, table="lockbox_events")
    assert [(e["record_id"], e["action"]) for e in entries[-2:]] == [
        (first["id"], "INSERT"),
        (second["id"], "INSERT"),
    ]
    logged = [*leaves(entries), *leaves([first, second])]
    for code in (one["code"], two["code"]):
        assert code not in {str(value) for value in logged}
        assert int(code) not in {value for value in logged if isinstance(value, int)}


async def test_shackle_code_on_a_codebox_is_refused(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime
) -> None:
    [box] = await make_lockboxes(client, tenant, "G-CB")
    await set_lockbox_type(runtime, box["id"], "Codebox")
    response = await client.post(
        PATH,
        json={"lockbox_id": box["id"], "date": "2024-10-05", "code_type": "SHACKLE"},
        headers=tenant.headers,
    )
    assert response.status_code == 400
    assert response.json()["details"][0]["instancePath"] == "/code_type"
    assert await count_rows(runtime, tenant.account_id) == (1, 0)
    assert (await generate(client, tenant, lockbox_id=box["id"]))["lockboxType"] == "Codebox"


@pytest.mark.parametrize(
    ("body", "path", "keyword"),
    [
        ({}, "", "oneOf"),
        ({"lockbox_id": None}, "", "oneOf"),
        ({"serial_number": "G-BAD", "unit_id": 1}, "", "oneOf"),
        ({"serial_number": "G-BAD", "lockbox_id": "LOCKBOX"}, "", "oneOf"),
        ({"serial_number": "G-BAD", "unit_id": 1, "lockbox_id": "LOCKBOX"}, "", "oneOf"),
        ({"serial_number": "G-BAD", "date": None}, "/date", "format"),
        ({"serial_number": "G-BAD", "date": "2024-13-01"}, "/date", "format"),
        ({"serial_number": "G-BAD", "date": "10/05/2024"}, "/date", "format"),
        ({"serial_number": "G-BAD", "date": "2024-10-05T10:00:00Z"}, "/date", "format"),
        ({"serial_number": "G-BAD", "created_for": "x" * 201}, "/created_for", "maxLength"),
        ({"serial_number": "G-BAD", "created_for": "a\u0000b"}, "/created_for", "pattern"),
        ({"serial_number": "G-BAD", "code_type": "MASTER"}, "/code_type", "enum"),
        ({"serial_number": "G-BAD", "code_type": "access"}, "/code_type", "enum"),
        ({"unit_id": "12"}, "/unit_id", "type"),
        ({"unit_id": 1.5}, "/unit_id", "type"),
        ({"unit_id": 0}, "/unit_id", "minimum"),
        ({"serial_number": ""}, "/serial_number", "minLength"),
        ({"lockbox_id": "nope"}, "/lockbox_id", "format"),
        ({"serial_number": "G-BAD", "code": "123456"}, "", "additionalProperties"),
    ],
)
async def test_invalid_bodies_write_nothing(
    client: httpx.AsyncClient,
    tenant: Tenant,
    runtime: Runtime,
    body: dict[str, Any],
    path: str,
    keyword: str,
) -> None:
    [box] = await make_lockboxes(client, tenant, "G-BAD")
    full = {"date": "2024-10-05", **body}
    if full.get("lockbox_id") == "LOCKBOX":
        full["lockbox_id"] = box["id"]
    response = await client.post(PATH, json=full, headers=tenant.headers)
    assert response.status_code == 400
    assert response.json()["error"] == "Invalid request parameters"
    assert (path, keyword) in {(d["instancePath"], d["keyword"]) for d in response.json()["details"]}
    assert await count_rows(runtime, tenant.account_id) == (1, 0)


async def test_missing_date_is_required(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.post(PATH, json={"serial_number": "X"}, headers=tenant.headers)
    assert response.status_code == 400
    [item] = response.json()["details"]
    assert item["keyword"] == "required"
    assert item["params"] == {"missingProperty": "date"}
