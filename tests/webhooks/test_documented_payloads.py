"""The document's `webhooks` section describes what receivers really get: each table's example
payload, and payloads the worker delivered to a real receiver, validate against its schema."""

from typing import Any

import httpx
import jsonschema_rs

from rentengine.runtime import Runtime
from rentengine.webhooks.schemas import WEBHOOK_TABLES
from tests.communications.factories import call_body
from tests.factories import make_tenant, property_body, unit_body
from tests.hooks import hooks, hooks_api, subscribe
from tests.webhooks.receiver import Receiver, running_worker

__all__ = ["hooks", "hooks_api"]
HEADERS = [
    "X-API-Key",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "webhook-test",
    "X-Request-Id",
]


def _payload_validator(document: dict[str, Any], table: str) -> jsonschema_rs.Validator:
    media = document["webhooks"][table]["post"]["requestBody"]["content"]["application/json"]
    return jsonschema_rs.Draft202012Validator({**media["schema"], "components": document["components"]})


async def _document(api: httpx.AsyncClient) -> dict[str, Any]:
    response = await api.get("http://testserver/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


async def test_every_table_is_documented_with_a_valid_example(hooks_api: httpx.AsyncClient) -> None:
    document = await _document(hooks_api)
    assert list(document["webhooks"]) == list(WEBHOOK_TABLES)
    for table, item in document["webhooks"].items():
        operation = item["post"]
        assert [p["name"] for p in operation["parameters"]] == HEADERS, table
        example = operation["requestBody"]["content"]["application/json"]["example"]
        assert example["table"] == table
        assert example["record"]["id"] is not None, table
        validator = _payload_validator(document, table)
        assert validator.is_valid(example), (table, list(validator.iter_errors(example))[:1])
        assert not validator.is_valid({**example, "table": "units" if table != "units" else "calls"})
        assert not validator.is_valid({**example, "extra": 1})


async def test_delivered_payloads_match_their_documented_schema(
    hooks: Runtime, hooks_api: httpx.AsyncClient, receiver: Receiver
) -> None:
    owner = await make_tenant(hooks)
    tables = ["units", "multifamily_properties", "calls"]
    subscription = {"account_id": str(owner.account_id), "url": receiver.url(), "tables": tables}
    await subscribe(hooks_api, owner.headers, subscription)
    async with running_worker(hooks.settings, hooks.db):
        unit = await hooks_api.post("/units", json=unit_body(owner.account_id), headers=owner.headers)
        assert unit.status_code == 201, unit.text
        update = {"id": unit.json()["id"], "target_rental_rate": 2300, "status": "Available"}
        assert (await hooks_api.post("/units", json=update, headers=owner.headers)).status_code == 200
        created = await hooks_api.post(
            "/multifamily_properties", json=property_body(owner.account_id), headers=owner.headers
        )
        assert created.status_code == 200, created.text
        call = await hooks_api.post("/calls", json=call_body(owner.account_id), headers=owner.headers)
        assert call.status_code == 201, call.text
        requests = await receiver.wait_for(4)
    document = await _document(hooks_api)
    seen = []
    for request in requests:
        payload = request.json()
        validator = _payload_validator(document, payload["table"])
        assert validator.is_valid(payload), list(validator.iter_errors(payload))[:1]
        seen.append((payload["table"], payload["type"]))
    assert sorted(seen) == sorted(
        [("units", "INSERT"), ("units", "UPDATE"), ("multifamily_properties", "INSERT"), ("calls", "INSERT")]
    )
