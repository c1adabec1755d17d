"""Shortcuts for the lockbox tests: everything goes through the HTTP surface except unit rows."""

import uuid
from typing import Any

import httpx
from sqlalchemy import func, select, update

from rentengine.lockboxes.models import Lockbox, LockboxEvent
from rentengine.runtime import Runtime
from tests.factories import Tenant


async def make_lockboxes(
    client: httpx.AsyncClient, tenant: Tenant, *serials: str, account_id: uuid.UUID | None = None
) -> list[dict[str, Any]]:
    """Sentrilock lockboxes created through POST /lockboxes (default: the tenant's first account)."""
    body = {
        "lockbox_type": "Sentrilock",
        "serial_numbers": list(serials),
        "account_id": str(account_id or tenant.account_id),
    }
    response = await client.post("/lockboxes", json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text
    created: list[dict[str, Any]] = response.json()
    return created


def event(lockbox: dict[str, Any], unit_id: int, event_type: str = "Install", **extra: Any) -> dict[str, Any]:
    return {"lockbox_id": lockbox["id"], "event_type": event_type, "unit_id": unit_id, **extra}


async def post_events(
    client: httpx.AsyncClient, tenant: Tenant, *events: dict[str, Any]
) -> list[dict[str, Any]]:
    response = await client.post("/lockbox_events", json={"events": list(events)}, headers=tenant.headers)
    assert response.status_code == 201, response.text
    created: list[dict[str, Any]] = response.json()
    return created


async def audit(client: httpx.AsyncClient, tenant: Tenant, **params: str) -> list[dict[str, Any]]:
    response = await client.get("/audit_log", params={"limit": "100", **params}, headers=tenant.headers)
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()
    return entries


async def set_lockbox_type(runtime: Runtime, lockbox_id: str, lockbox_type: str) -> None:
    """Codebox lockboxes are added in the portal, never through the API; tests convert one."""
    async with runtime.db.transaction() as session:
        await session.execute(
            update(Lockbox).where(Lockbox.id == uuid.UUID(lockbox_id)).values(lockbox_type=lockbox_type)
        )


async def set_secret(runtime: Runtime, lockbox_id: str, secret: bytes) -> None:
    async with runtime.db.transaction() as session:
        await session.execute(
            update(Lockbox).where(Lockbox.id == uuid.UUID(lockbox_id)).values(code_secret=secret)
        )


async def secret_of(runtime: Runtime, lockbox_id: str) -> bytes:
    async with runtime.db.transaction(writes=False) as session:
        secret = await session.scalar(select(Lockbox.code_secret).where(Lockbox.id == uuid.UUID(lockbox_id)))
    assert secret is not None
    return secret


async def count_rows(runtime: Runtime, account_id: uuid.UUID) -> tuple[int, int]:
    """(lockboxes, lockbox events) stored in the account, read straight from the database."""
    async with runtime.db.transaction(writes=False) as session:
        boxes = await session.scalar(
            select(func.count()).select_from(Lockbox).where(Lockbox.account_id == account_id)
        )
        events = await session.scalar(
            select(func.count()).select_from(LockboxEvent).where(LockboxEvent.account_id == account_id)
        )
    return int(boxes or 0), int(events or 0)
