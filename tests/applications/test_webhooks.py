"""Platform writes of rental application groups reach a real local receiver as INSERT and UPDATE
events whose records are exactly the GET representation; the test send uses the documented example."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from rentengine.app import create_app
from rentengine.applications import service
from rentengine.runtime import Runtime
from tests.applications.factories import PLATFORM, make_group
from tests.conftest import make_settings
from tests.factories import Tenant, make_tenant, make_unit_row
from tests.webhooks.receiver import (
    Receiver,
    cancel_open_deliveries,
    fresh_database,
    running_receiver,
    running_worker,
)

TABLE = "rental_application_groups"
PATH = f"/{TABLE}"


@pytest.fixture(scope="module")
async def hooks(backend: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Runtime]:
    """A database of this module's own, so that its worker sends no other module's deliveries."""
    async with fresh_database(backend, tmp_path_factory.mktemp("hooks")) as url:
        runtime = Runtime.build(make_settings(url, webhook_allow_private_targets=True))
        try:
            yield runtime
        finally:
            await runtime.db.dispose()


@pytest.fixture(scope="module")
async def api(hooks: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(hooks.settings, hooks))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver/api/public/v1") as client:
        yield client


@pytest.fixture
async def owner(hooks: Runtime) -> AsyncIterator[Tenant]:
    yield await make_tenant(hooks)
    await cancel_open_deliveries(hooks.db)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with running_receiver() as r:
        yield r


async def subscribe(api: httpx.AsyncClient, owner: Tenant, url: str) -> dict[str, Any]:
    body = {
        "account_id": str(owner.account_id),
        "url": url,
        "tables": [TABLE],
        "event_types": ["INSERT", "UPDATE"],
    }
    response = await api.post("/webhooks", json=body, headers=owner.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_a_create_and_an_update_are_sent_with_the_get_representation(
    api: httpx.AsyncClient, hooks: Runtime, owner: Tenant, receiver: Receiver
) -> None:
    unit = await make_unit_row(hooks, owner.account_id)
    await subscribe(api, owner, receiver.url())
    async with running_worker(hooks.settings, hooks.db):
        created = await make_group(hooks, owner.account_id, unit)
        async with hooks.db.transaction() as session:
            updated = await service.update_group(session, PLATFORM, created["id"], {"status": "Submitted"})
        requests = await receiver.wait_for(2)

    assert (await api.get(PATH, headers=owner.headers)).json() == [updated]
    assert [request.json() for request in requests] == [
        {"type": "INSERT", "table": TABLE, "record": created, "old_record": None},
        {"type": "UPDATE", "table": TABLE, "record": updated, "old_record": created},
    ]


async def test_the_test_send_carries_the_documented_example_record(
    api: httpx.AsyncClient, hooks: Runtime, owner: Tenant, receiver: Receiver
) -> None:
    real = await make_group(hooks, owner.account_id, await make_unit_row(hooks, owner.account_id))
    document = (await api.get("http://testserver/openapi.json")).json()
    subscription = await subscribe(api, owner, receiver.url())
    response = await api.post(f"/webhooks/{subscription['id']}/test", headers=owner.headers)
    assert response.status_code == 200, response.text
    [sent] = receiver.requests
    listed = document["paths"][PATH]["get"]["responses"]["200"]["content"]["application/json"]["example"]
    assert sent.json() == {"type": "INSERT", "table": TABLE, "record": listed[0], "old_record": None}
    # The example has every field of a real record, in the same order.
    assert list(listed[0]) == list(real)
