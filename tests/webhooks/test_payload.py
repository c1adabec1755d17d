"""The webhook body (API.md §19.1): exactly four keys, nulls where a side is absent, and the test send's
example record taken from the OpenAPI document."""

import uuid
from typing import Any

import orjson
import pytest

from rentengine.app import create_app
from rentengine.changes.types import Change
from rentengine.webhooks.delivery.payload import payload_of
from rentengine.webhooks.delivery.testsend import NIL_UUID, as_test_record
from rentengine.webhooks.openapi import example_record
from tests.conftest import make_settings

ACCOUNT = uuid.UUID("4b88ff32-8ba0-4bbf-8e60-c789909ac176")
BEFORE: dict[str, Any] = {"id": 7, "status": "Available", "target_rental_rate": "1800", "notes": None}
AFTER: dict[str, Any] = {**BEFORE, "status": "On Hold"}


def _body(change: Change) -> dict[str, Any]:
    text = payload_of(change)
    parsed: dict[str, Any] = orjson.loads(text)
    return parsed


def test_insert() -> None:
    body = _body(Change.insert("units", ACCOUNT, AFTER))
    assert body == {"type": "INSERT", "table": "units", "record": AFTER, "old_record": None}
    assert list(body) == ["type", "table", "record", "old_record"]


def test_update() -> None:
    body = _body(Change.update("units", ACCOUNT, AFTER, BEFORE))
    assert body == {"type": "UPDATE", "table": "units", "record": AFTER, "old_record": BEFORE}


def test_delete() -> None:
    body = _body(Change.delete("units", ACCOUNT, BEFORE))
    assert body == {"type": "DELETE", "table": "units", "record": None, "old_record": BEFORE}


def test_the_body_is_compact_utf8_json_with_nulls_kept() -> None:
    record = {"id": "c81d4e2f", "name": "Résidence Étoile", "deleted_at": None}
    text = payload_of(Change.insert("lockboxes", ACCOUNT, record))
    assert (
        text
        == '{"type":"INSERT","table":"lockboxes","record":'
        + orjson.dumps(record).decode()
        + ',"old_record":null}'
    )
    assert "Résidence" in text


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    # Building the document opens no database connection.
    app = create_app(make_settings(f"sqlite:///{tmp_path_factory.mktemp('doc') / 'unused.db'}"))
    return app.openapi()


def _success_example(document: dict[str, Any], path: str, method: str, status: str) -> Any:
    return document["paths"][path][method]["responses"][status]["content"]["application/json"]["example"]


def test_the_example_record_is_the_first_record_of_the_tables_list_example(document: dict[str, Any]) -> None:
    for table in ("lockboxes", "lockbox_events", "multifamily_properties", "units"):
        listed = _success_example(document, f"/{table}", "get", "200")
        assert example_record(document, table) == listed[0], table


def _documented(method: str, status: str, example: Any) -> dict[str, Any]:
    media = {"application/json": {"example": example}}
    return {"paths": {"/calls": {method: {"responses": {status: {"content": media}}}}}}


def test_a_table_without_a_list_example_falls_back_to_its_create_example() -> None:
    created = {"id": "a1", "type": "call"}
    assert example_record(_documented("post", "201", created), "calls") == created
    enveloped = {"data": [created], "page": {"limit": 50, "page_number": 0, "has_more": False}}
    assert example_record(_documented("get", "200", enveloped), "calls") == created
    assert example_record({"paths": {}}, "messages") == {}


def test_the_test_record_takes_the_account_zeroes_the_ids_and_says_it_is_a_test() -> None:
    account = uuid.uuid4()
    example = {
        "id": "c81d4e2f-7a3b-4c5d-9e6f-1a2b3c4d5e6f",
        "unit_id": "12345",
        "prospect_id": 90211,
        "user_id": None,
        "account_id": "4b88ff32-8ba0-4bbf-8e60-c789909ac176",
        "prospect": {"id": 7, "account_id": "4b88ff32-8ba0-4bbf-8e60-c789909ac176", "name": "Ana"},
        "photos": [{"id": 3, "path": "a.jpg"}],
        "is_active": True,
    }
    assert as_test_record(example, account) == {
        "id": NIL_UUID,
        "unit_id": "0",
        "prospect_id": 0,
        "user_id": None,
        "account_id": str(account),
        "prospect": {"id": 0, "account_id": str(account), "name": "Ana"},
        "photos": [{"id": 0, "path": "a.jpg"}],
        "is_active": True,
        "test": True,
    }
    assert as_test_record({}, account) == {"test": True}
