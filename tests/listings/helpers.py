"""Units created the way a client creates them (POST /units), for the listings feed tests."""

import uuid
from typing import Any

import httpx

from tests.factories import Tenant, unit_body


async def create_unit(client: httpx.AsyncClient, tenant: Tenant, **overrides: Any) -> dict[str, Any]:
    response = await client.post(
        "/units", json=unit_body(tenant.account_id, **overrides), headers=tenant.headers
    )
    assert response.status_code == 201, response.text
    unit: dict[str, Any] = response.json()
    return unit


async def update_unit(client: httpx.AsyncClient, tenant: Tenant, unit_id: int, **fields: Any) -> None:
    response = await client.post("/units", json={"id": unit_id, **fields}, headers=tenant.headers)
    assert response.status_code == 200, response.text


def feed_path(account_id: uuid.UUID) -> str:
    return f"/marketing/listings/{account_id}"
