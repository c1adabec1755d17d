"""HTTP helpers shared by the unit tests: every check goes through the public API."""

import uuid
from typing import Any

import httpx

from tests.factories import Tenant, unit_body

PATH = "/units"


async def create_unit(
    client: httpx.AsyncClient, tenant: Tenant, account: uuid.UUID | None = None, **overrides: Any
) -> dict[str, Any]:
    """Creates a unit in `account` (default: the tenant's first account) and returns its record."""
    body = unit_body(account or tenant.account_id, **overrides)
    response = await client.post(PATH, json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text
    record: dict[str, Any] = response.json()
    return record


async def update_unit(
    client: httpx.AsyncClient, tenant: Tenant, unit_id: int, **fields: Any
) -> dict[str, Any]:
    response = await client.post(PATH, json={"id": unit_id, **fields}, headers=tenant.headers)
    assert response.status_code == 200, response.text
    record: dict[str, Any] = response.json()
    return record


async def list_units(client: httpx.AsyncClient, tenant: Tenant, params: Any = None) -> list[dict[str, Any]]:
    response = await client.get(PATH, params=params, headers=tenant.headers)
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()
    return rows


async def list_ids(client: httpx.AsyncClient, tenant: Tenant, params: Any = None) -> list[int]:
    return [row["id"] for row in await list_units(client, tenant, params)]


async def fetch_unit(client: httpx.AsyncClient, tenant: Tenant, unit_id: int) -> dict[str, Any]:
    [row] = await list_units(client, tenant, {"unitIds": str(unit_id)})
    return row


async def audit_entries(client: httpx.AsyncClient, tenant: Tenant, unit_id: int | None = None) -> list[Any]:
    params = {"table": "units"} if unit_id is None else {"table": "units", "record_id": str(unit_id)}
    response = await client.get("/audit_log", params=params, headers=tenant.headers)
    assert response.status_code == 200, response.text
    entries: list[Any] = response.json()
    return entries


def error_at(response: httpx.Response, keyword: str, path: str) -> dict[str, Any]:
    """The detail item with this keyword and instancePath of a 400 (fails when there is none)."""
    assert response.status_code == 400, response.text
    body = response.json()
    matches = [d for d in body["details"] if d["keyword"] == keyword and d["instancePath"] == path]
    assert matches, body
    found: dict[str, Any] = matches[0]
    return found
