"""The platform's prospect writes (`prospects.service.create_prospect` / `update_prospect`): each is
recorded in the audit log and sent to `prospects` webhooks with exactly the GET representation."""

from typing import Any

import httpx
import pytest

from rentengine.changes.types import Actor
from rentengine.errors import NotFound
from rentengine.runtime import Runtime
from tests.factories import Tenant, make_tenant, make_unit_row
from tests.hooks import subscribe
from tests.prospects.factories import audit_count, create_prospect, update_prospect
from tests.webhooks.receiver import Receiver, running_worker


def actor_of(tenant: Tenant) -> Actor:
    return Actor(user_id=tenant.user_id, request_method="POST", request_path="/api/public/v1/showings/create")


async def only_prospect(client: httpx.AsyncClient, tenant: Tenant) -> dict[str, Any]:
    response = await client.get("/prospects", headers=tenant.headers)
    assert response.status_code == 200
    [prospect] = response.json()
    return dict(prospect)


async def test_a_create_and_an_update_are_audited(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    created = await create_prospect(runtime, tenant.account_id, actor_of(tenant))
    updated = await update_prospect(
        runtime, created["id"], {"status": "Showing Scheduled", "notes": "Tour on Thursday"}, actor_of(tenant)
    )
    assert updated == await only_prospect(client, tenant)
    assert updated["updated_at"] >= created["updated_at"]
    assert updated["created_at"] == created["created_at"]
    response = await client.get("/audit_log", params={"table": "prospects"}, headers=tenant.headers)
    inserted, changed = response.json()
    common = {
        "account_id": str(tenant.account_id),
        "user_id": str(tenant.user_id),
        "api_key_id": None,
        "table": "prospects",
        "record_id": str(created["id"]),
        "request_method": "POST",
        "request_path": "/api/public/v1/showings/create",
    }
    assert inserted.items() >= {**common, "action": "INSERT", "changes": None}.items()
    assert changed.items() >= {**common, "action": "UPDATE"}.items()
    assert changed["changes"] == {
        "notes": [None, "Tour on Thursday"],
        "status": ["New", "Showing Scheduled"],
    }


async def test_an_update_that_changes_nothing_records_nothing(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    created = await create_prospect(runtime, tenant.account_id)
    # The email is compared as stored (lower-cased).
    same = await update_prospect(runtime, created["id"], {"status": "New", "email": "Jane.Doe@example.com"})
    assert same == created
    assert await audit_count(runtime, tenant.account_id, "prospects") == 1


async def test_the_unit_of_interest_must_be_in_the_prospects_account(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    stranger = await make_tenant(runtime)
    theirs = await make_unit_row(runtime, stranger.account_id)
    with pytest.raises(NotFound):
        await create_prospect(runtime, tenant.account_id, unit_id=theirs)
    with pytest.raises(NotFound):
        await create_prospect(runtime, tenant.account_id, unit_id=2**31 - 1)
    created = await create_prospect(runtime, tenant.account_id)
    with pytest.raises(NotFound):
        await update_prospect(runtime, created["id"], {"unit_id": theirs})
    ours = await make_unit_row(runtime, tenant.account_id)
    moved = await update_prospect(runtime, created["id"], {"unit_id": ours})
    assert moved["unit_of_interest"] == ours
    assert await only_prospect(client, tenant) == moved
    assert await audit_count(runtime, tenant.account_id, "prospects") == 2


async def test_webhooks_carry_the_get_representation(
    hooks: Runtime, hooks_api: httpx.AsyncClient, receiver: Receiver
) -> None:
    owner = await make_tenant(hooks)
    other = await make_tenant(hooks)
    await subscribe(
        hooks_api,
        owner.headers,
        {"account_id": str(owner.account_id), "url": receiver.url(), "tables": ["prospects"]},
    )
    async with running_worker(hooks.settings, hooks.db):
        created = await create_prospect(hooks, owner.account_id, actor_of(owner))
        await create_prospect(hooks, other.account_id)
        updated = await update_prospect(hooks, created["id"], {"status": "Contacted"}, actor_of(owner))
        requests = await receiver.wait_for(2)
    assert await only_prospect(hooks_api, owner) == updated
    assert [r.json() for r in requests] == [
        {"type": "INSERT", "table": "prospects", "record": created, "old_record": None},
        {"type": "UPDATE", "table": "prospects", "record": updated, "old_record": created},
    ]
