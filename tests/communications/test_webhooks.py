"""Calls and messages reach a real local receiver as `calls` and `messages` INSERT events whose record
is exactly the GET representation; the webhook test send uses each table's documented example."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from rentengine.runtime import Runtime
from rentengine.webhooks.delivery.testsend import as_test_record
from tests.communications.factories import KINDS, PHONE
from tests.factories import Tenant, make_prospect_row, make_tenant
from tests.webhooks.receiver import (
    Receiver,
    cancel_open_deliveries,
    running_worker,
)


@pytest.fixture
async def owner(hooks: Runtime) -> AsyncIterator[Tenant]:
    yield await make_tenant(hooks)
    await cancel_open_deliveries(hooks.db)


async def subscribe(
    hooks_api: httpx.AsyncClient, owner: Tenant, url: str, tables: list[str]
) -> dict[str, Any]:
    body = {"account_id": str(owner.account_id), "url": url, "tables": tables, "event_types": ["INSERT"]}
    response = await hooks_api.post("/webhooks", json=body, headers=owner.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_each_write_is_sent_with_the_get_representation(
    hooks_api: httpx.AsyncClient, hooks: Runtime, owner: Tenant, receiver: Receiver
) -> None:
    prospect = await make_prospect_row(hooks, owner.account_id, phone=PHONE)
    await subscribe(hooks_api, owner, receiver.url(), [kind.table for kind in KINDS])
    async with running_worker(hooks.settings, hooks.db):
        records = []
        for kind in KINDS:
            response = await hooks_api.post(
                kind.path, json=kind.body(owner.account_id), headers=owner.headers
            )
            assert response.status_code == 201, response.text
            records.append(response.json())
        requests = await receiver.wait_for(len(KINDS))

    by_table = {request.json()["table"]: request.json() for request in requests}
    for kind, record in zip(KINDS, records, strict=True):
        assert record["prospect_id"] == prospect
        assert by_table[kind.table] == {
            "type": "INSERT",
            "table": kind.table,
            "record": record,
            "old_record": None,
        }
        listed = await hooks_api.get(
            kind.path,
            params={"account_ids": str(owner.account_id), "prospect_id": prospect},
            headers=owner.headers,
        )
        assert listed.json()["data"] == [record]


async def test_a_refused_write_sends_nothing(
    hooks_api: httpx.AsyncClient, hooks: Runtime, owner: Tenant, receiver: Receiver
) -> None:
    subscription = await subscribe(hooks_api, owner, receiver.url(), [kind.table for kind in KINDS])
    for kind in KINDS:
        refused = await hooks_api.post(
            kind.path, json=kind.body(owner.account_id, prospect_id=999_999), headers=owner.headers
        )
        assert refused.status_code == 404
    response = await hooks_api.get(f"/webhooks/{subscription['id']}/deliveries", headers=owner.headers)
    assert response.json() == []


async def test_the_test_send_carries_the_documented_example_record(
    hooks_api: httpx.AsyncClient, hooks: Runtime, owner: Tenant, receiver: Receiver
) -> None:
    document = (await hooks_api.get("http://testserver/openapi.json")).json()
    for kind in KINDS:
        subscription = await subscribe(hooks_api, owner, receiver.url(f"/{kind.table}"), [kind.table])
        response = await hooks_api.post(f"/webhooks/{subscription['id']}/test", headers=owner.headers)
        assert response.status_code == 200, response.text
        [sent] = receiver.to(f"/{kind.table}")
        listed = document["paths"][kind.path]["get"]["responses"]["200"]["content"]["application/json"]
        assert sent.json() == {
            "type": "INSERT",
            "table": kind.table,
            "record": as_test_record(listed["example"]["data"][0], owner.account_id),
            "old_record": None,
        }
        assert sent.headers["webhook-test"] == "true"
        assert tuple(sent.json()["record"]) == (*kind.fields, "test")
