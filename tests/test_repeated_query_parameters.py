"""A query parameter that takes one value, given twice, is a 400 (not "the last one wins"); array
parameters may still be repeated (API.md §4)."""

import uuid
from typing import Any

import httpx
import pytest

from tests.factories import Tenant, property_body


def _refused(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "Invalid query parameters"
    details: list[dict[str, Any]] = body["details"]
    return details


def _type_error(name: str, json_type: str) -> dict[str, Any]:
    """AJV's item for an array where a scalar is expected (what a repeated parameter parses to)."""
    return {
        "keyword": "type",
        "instancePath": f"/{name}",
        "dataPath": f"/{name}",
        "schemaPath": f"#/properties/{name}/type",
        "params": {"type": json_type},
        "message": f"must be {json_type}",
    }


@pytest.mark.parametrize(
    ("path", "query", "name", "json_type"),
    [
        ("/units", "limit=1&limit=2", "limit", "integer"),
        ("/units", "accountId={b}&accountId={a}", "accountId", "string"),
        ("/units", "city=Austin&statuses=Available&city=Dallas", "city", "string"),
        ("/lockbox_events", "page_number=0&page_number=1", "page_number", "integer"),
        ("/lockbox_events", "account_id={a}&account_id={a}", "account_id", "string"),
        (
            "/lockbox_events",
            "created_at_from=2024-01-01T00:00:00Z&created_at_from=",
            "created_at_from",
            "string",
        ),
        ("/multifamily_properties", "deleted=false&deleted=true", "deleted", "boolean"),
        ("/multifamily_properties", "limit=5&limit=5", "limit", "integer"),
    ],
)
async def test_a_repeated_scalar_parameter_is_refused(
    client: httpx.AsyncClient, tenant: Tenant, path: str, query: str, name: str, json_type: str
) -> None:
    query = query.format(a=tenant.account_id, b=uuid.uuid4())
    response = await client.get(f"{path}?{query}", headers=tenant.headers)
    assert _refused(response) == [_type_error(name, json_type)]


async def test_every_repeated_scalar_is_named_once(client: httpx.AsyncClient, tenant: Tenant) -> None:
    query = "limit=1&page_number=0&limit=2&page_number=1&limit=3&statuses=Available&statuses=Leased"
    details = _refused(await client.get(f"/units?{query}", headers=tenant.headers))
    assert details == [_type_error("limit", "integer"), _type_error("page_number", "integer")]


async def test_the_last_value_does_not_win(client: httpx.AsyncClient, tenant: Tenant) -> None:
    for name in ("Tower A", "Tower B", "Tower C"):
        body = property_body(tenant.account_id, community_name=name)
        created = await client.post("/multifamily_properties", json=body, headers=tenant.headers)
        assert created.status_code == 200, created.text
    one = await client.get("/multifamily_properties?limit=1", headers=tenant.headers)
    assert (one.status_code, len(one.json())) == (200, 1)
    _refused(await client.get("/multifamily_properties?limit=1&limit=3", headers=tenant.headers))


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/units", "statuses=Available&statuses=On%20Hold"),
        ("/units", "statuses=Available,Leased&statuses=On%20Hold&limit=5"),
        ("/units", "unitIds=1&unitIds=2,3"),
        ("/lockbox_events", "event_types=Install&event_types=Uninstall"),
        ("/lockbox_events", "lockbox_ids={x}&lockbox_ids={y}&account_id={a}"),
    ],
)
async def test_array_parameters_may_repeat(
    client: httpx.AsyncClient, tenant: Tenant, path: str, query: str
) -> None:
    query = query.format(a=tenant.account_id, x=uuid.uuid4(), y=uuid.uuid4())
    response = await client.get(f"{path}?{query}", headers=tenant.headers)
    assert response.status_code == 200, response.text
    assert response.json() == []


async def test_a_repeated_unknown_parameter_is_still_an_additional_property(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    details = _refused(await client.get("/units?sort=a&sort=b", headers=tenant.headers))
    assert [(d["keyword"], d["params"]) for d in details] == [
        ("additionalProperties", {"additionalProperty": "sort"})
    ]
