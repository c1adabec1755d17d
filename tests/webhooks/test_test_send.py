"""The test send's record as a real receiver gets it (API.md §19.4): the table's example made the
subscription's own (its account id, ids no real row has) and plainly a test."""

import uuid
from typing import Any

import httpx
import pytest

from rentengine.runtime import Runtime
from rentengine.webhooks.delivery.testsend import NIL_UUID
from rentengine.webhooks.examples import ACCOUNT_ID as DOCUMENTED_ACCOUNT
from rentengine.webhooks.openapi import example_record
from tests import hooks as fixtures
from tests.factories import Tenant
from tests.hooks import subscribe
from tests.webhooks.receiver import Receiver

# A database of this module's own, and the API on it (tests/hooks.py).
hooks = fixtures.hooks
hooks_api = fixtures.hooks_api


@pytest.mark.parametrize(
    ("table", "ids"),
    [
        ("units", {"id": 0, "prescreen_template_id": None}),
        ("showings", {"id": 0, "unit_id": 0, "prospect_id": 0}),
        ("lockboxes", {"id": NIL_UUID}),
    ],
)
async def test_the_record_is_the_subscriptions_own_and_marked_as_a_test(
    hooks_api: httpx.AsyncClient,
    hooks: Runtime,
    owner: Tenant,
    receiver: Receiver,
    table: str,
    ids: dict[str, Any],
) -> None:
    body = {"account_id": str(owner.account_id), "url": receiver.url(), "tables": [table, "prospects"]}
    subscription = await subscribe(hooks_api, owner.headers, body)
    response = await hooks_api.post(f"/webhooks/{subscription['id']}/test", headers=owner.headers)
    assert response.status_code == 200, response.text
    [request] = receiver.requests
    assert request.headers["webhook-test"] == "true"
    sent = request.json()
    assert sent == response.json()["payload"]
    assert list(sent) == ["type", "table", "record", "old_record"]
    assert (sent["type"], sent["table"], sent["old_record"]) == ("INSERT", table, None)
    record = sent["record"]
    assert record["account_id"] == str(owner.account_id)
    assert record["test"] is True
    assert {field: record[field] for field in ids} == ids
    # The table's fields in order and with their types, then the marker.
    document = (await hooks_api.get("http://testserver/openapi.json")).json()
    example = example_record(document, table)
    assert list(record) == [*example, "test"]
    assert [type(record[f]) for f in example] == [type(v) for f, v in example.items()]
    assert DOCUMENTED_ACCOUNT not in request.body.decode()


async def test_a_nested_record_is_made_the_subscriptions_own_too(
    hooks_api: httpx.AsyncClient, hooks: Runtime, owner: Tenant, receiver: Receiver
) -> None:
    body = {"account_id": str(owner.account_id), "url": receiver.url(), "tables": ["units"]}
    subscription = await subscribe(hooks_api, owner.headers, body)
    response = await hooks_api.post(f"/webhooks/{subscription['id']}/test", headers=owner.headers)
    assert response.status_code == 200, response.text
    [request] = receiver.requests
    address = request.json()["record"]["address"]
    assert address["id"] == 0
    assert "test" not in address  # the marker is the record's alone
    assert uuid.UUID(request.json()["record"]["account_id"]) == owner.account_id
