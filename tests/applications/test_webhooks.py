"""Platform writes of rental application groups reach a real local receiver as INSERT and UPDATE
events whose records are exactly the GET representation; the test send uses the documented example."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from rentengine.applications import service
from rentengine.runtime import Runtime
from rentengine.webhooks.delivery.testsend import as_test_record
from tests.applications.factories import PLATFORM, make_group
from tests.factories import Tenant, make_tenant, make_unit_row
from tests.webhooks.receiver import (
    Receiver,
    cancel_open_deliveries,
    running_worker,
)

TABLE = "rental_application_groups"
PATH = f"/{TABLE}"


@pytest.fixture
async def owner(hooks: Runtime) -> AsyncIterator[Tenant]:
    yield await make_tenant(hooks)
    await cancel_open_deliveries(hooks.db)


async def subscribe(hooks_api: httpx.AsyncClient, owner: Tenant, url: str) -> dict[str, Any]:
    body = {
        "account_id": str(owner.account_id),
        "url": url,
        "tables": [TABLE],
        "event_types": ["INSERT", "UPDATE"],
    }
    response = await hooks_api.post("/webhooks", json=body, headers=owner.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_a_create_and_an_update_are_sent_with_the_get_representation(
    hooks_api: httpx.AsyncClient, hooks: Runtime, owner: Tenant, receiver: Receiver
) -> None:
    unit = await make_unit_row(hooks, owner.account_id)
    await subscribe(hooks_api, owner, receiver.url())
    async with running_worker(hooks.settings, hooks.db):
        created = await make_group(hooks, owner.account_id, unit)
        async with hooks.db.transaction() as session:
            updated = await service.update_group(session, PLATFORM, created["id"], {"status": "Submitted"})
        requests = await receiver.wait_for(2)

    assert (await hooks_api.get(PATH, headers=owner.headers)).json() == [updated]
    assert [request.json() for request in requests] == [
        {"type": "INSERT", "table": TABLE, "record": created, "old_record": None},
        {"type": "UPDATE", "table": TABLE, "record": updated, "old_record": created},
    ]


async def test_the_test_send_carries_the_documented_example_record(
    hooks_api: httpx.AsyncClient, hooks: Runtime, owner: Tenant, receiver: Receiver
) -> None:
    real = await make_group(hooks, owner.account_id, await make_unit_row(hooks, owner.account_id))
    document = (await hooks_api.get("http://testserver/openapi.json")).json()
    subscription = await subscribe(hooks_api, owner, receiver.url())
    response = await hooks_api.post(f"/webhooks/{subscription['id']}/test", headers=owner.headers)
    assert response.status_code == 200, response.text
    [sent] = receiver.requests
    listed = document["paths"][PATH]["get"]["responses"]["200"]["content"]["application/json"]["example"]
    record = as_test_record(listed[0], owner.account_id)  # the example, made the owner's and a test
    assert sent.json() == {"type": "INSERT", "table": TABLE, "record": record, "old_record": None}
    # The example has every field of a real record, in the same order.
    assert list(listed[0]) == list(real)
