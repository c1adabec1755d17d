"""POST /calls and POST /messages (API.md §14): the recorded object, validation and tenancy."""

import re
import uuid
from typing import Any

import httpx
import pytest

from rentengine.runtime import Runtime
from tests.communications.factories import CALLS, KINDS, MESSAGES, PHONE, Kind, count_rows
from tests.factories import Tenant, make_prospect_row, make_tenant

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


async def post(client: httpx.AsyncClient, tenant: Tenant, kind: Kind, body: Any) -> httpx.Response:
    return await client.post(kind.path, json=body, headers=tenant.headers)


async def created(client: httpx.AsyncClient, tenant: Tenant, kind: Kind, **fields: Any) -> dict[str, Any]:
    response = await post(client, tenant, kind, kind.body(tenant.account_id, **fields))
    assert response.status_code == 201, response.text
    record: dict[str, Any] = response.json()
    return record


async def test_a_call_comes_back_as_the_documented_object(client: httpx.AsyncClient, tenant: Tenant) -> None:
    record = await created(client, tenant, CALLS, status="missed", direction="inbound")
    assert tuple(record) == CALLS.fields
    assert isinstance(record["id"], int)
    assert not isinstance(record["id"], bool)
    assert record["account_id"] == str(tenant.account_id)
    assert record["prospect_id"] is None
    assert (record["direction"], record["status"]) == ("inbound", "missed")
    assert record["contact_number"] == PHONE
    assert record["call_duration"] is None
    assert record["user_id"] is None
    assert TIMESTAMP.match(record["created_at"])


async def test_a_message_comes_back_as_the_documented_object(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    record = await created(client, tenant, MESSAGES, channel="WhatsApp", body="Is the unit still available?")
    assert tuple(record) == MESSAGES.fields
    assert isinstance(record["id"], int)
    assert record["account_id"] == str(tenant.account_id)
    assert (record["prospect_id"], record["user_id"]) == (None, None)
    assert (record["direction"], record["channel"]) == ("outbound", "WhatsApp")
    assert (record["contact"], record["body"]) == (PHONE, "Is the unit still available?")
    assert TIMESTAMP.match(record["created_at"])


async def test_every_optional_field_is_stored_as_sent(client: httpx.AsyncClient, tenant: Tenant) -> None:
    call = await created(
        client,
        tenant,
        CALLS,
        direction=None,
        status="voicemail",
        call_duration=0,
        user_id=str(tenant.user_id),
        created_at="2024-10-05T13:41:12.204511-05:00",
    )
    assert call["direction"] is None
    assert call["call_duration"] == 0
    assert call["user_id"] == str(tenant.user_id)
    # The time of the activity, in UTC with a Z.
    assert call["created_at"] == "2024-10-05T18:41:12.204511Z"
    message = await created(
        client, tenant, MESSAGES, user_id=str(tenant.user_id), created_at="2024-01-02T03:04:05Z"
    )
    assert message["user_id"] == str(tenant.user_id)
    assert message["created_at"] == "2024-01-02T03:04:05.000000Z"


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.table)
async def test_every_vocabulary_value_is_accepted(
    client: httpx.AsyncClient, tenant: Tenant, kind: Kind
) -> None:
    for direction in ("inbound", "outbound", None):
        assert (await created(client, tenant, kind, direction=direction))["direction"] == direction
    values = (
        {"status": ["completed", "missed", "voicemail", "failed"]}
        if kind is CALLS
        else {"channel": ["Text Message", "Email", "WhatsApp", "Facebook Message", "Other"]}
    )
    for field, allowed in values.items():
        for value in allowed:
            assert (await created(client, tenant, kind, **{field: value}))[field] == value


def bad_call_bodies(account_id: uuid.UUID) -> list[Any]:
    body = CALLS.body
    without = body(account_id)
    return [
        body(account_id, contact_number="555123456"),
        body(account_id, contact_number="55512345678"),
        body(account_id, contact_number="555-123-4567"),
        body(account_id, contact_number="555123456a"),
        body(account_id, contact_number=5551234567),
        body(account_id, call_duration=-1),
        body(account_id, call_duration=1.5),
        body(account_id, call_duration="30"),
        body(account_id, call_duration=2**31),
        body(account_id, status="busy"),
        body(account_id, status=None),
        body(account_id, direction="sideways"),
        body(account_id, prospect_id="12"),
        body(account_id, user_id="not-a-uuid"),
        {**without, "account_id": "not-a-uuid"},
        body(account_id, created_at="2024-10-05"),
        body(account_id, created_at="2024-10-05T18:41:12"),
        body(account_id, created_at="1969-12-31T23:59:59Z"),
        body(account_id, id=5),
        body(account_id, notes="extra"),
        {k: v for k, v in without.items() if k != "direction"},
        {k: v for k, v in without.items() if k != "contact_number"},
        {k: v for k, v in without.items() if k != "status"},
        {k: v for k, v in without.items() if k != "account_id"},
        [without],
    ]


def bad_message_bodies(account_id: uuid.UUID) -> list[Any]:
    body = MESSAGES.body
    without = body(account_id)
    return [
        body(account_id, body=""),
        body(account_id, body="x" * 50_001),
        body(account_id, body=None),
        body(account_id, contact=""),
        body(account_id, contact="a" * 321),
        body(account_id, contact=5551234567),
        body(account_id, channel="SMS"),
        body(account_id, direction="in"),
        body(account_id, created_at="yesterday"),
        body(account_id, id=1),
        {k: v for k, v in without.items() if k != "direction"},
        {k: v for k, v in without.items() if k != "channel"},
        {k: v for k, v in without.items() if k != "contact"},
        {k: v for k, v in without.items() if k != "body"},
    ]


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.table)
async def test_each_invalid_body_is_a_400_and_writes_nothing(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, kind: Kind
) -> None:
    bodies = bad_call_bodies(tenant.account_id) if kind is CALLS else bad_message_bodies(tenant.account_id)
    for body in bodies:
        response = await post(client, tenant, kind, body)
        assert response.status_code == 400, body
        error = response.json()
        assert error["error"] == "Invalid request parameters"
        assert error["details"]
        assert all({"keyword", "instancePath", "message"} <= set(d) for d in error["details"])
    assert await count_rows(runtime, kind, tenant.account_id) == 0


async def test_details_name_the_failing_field(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await post(client, tenant, CALLS, CALLS.body(tenant.account_id, contact_number="123"))
    [item] = response.json()["details"]
    assert (item["keyword"], item["instancePath"]) == ("pattern", "/contact_number")
    response = await post(client, tenant, CALLS, CALLS.body(tenant.account_id, call_duration=-5))
    [item] = response.json()["details"]
    assert (item["keyword"], item["instancePath"], item["params"]["limit"]) == (
        "minimum",
        "/call_duration",
        0,
    )
    body = CALLS.body(tenant.account_id)
    del body["direction"]
    [item] = (await post(client, tenant, CALLS, body)).json()["details"]
    assert (item["keyword"], item["params"]) == ("required", {"missingProperty": "direction"})
    response = await post(client, tenant, MESSAGES, MESSAGES.body(tenant.account_id, body=""))
    [item] = response.json()["details"]
    assert (item["keyword"], item["instancePath"]) == ("minLength", "/body")


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.table)
async def test_an_account_the_caller_cannot_access_is_a_403(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, kind: Kind
) -> None:
    other = await make_tenant(runtime)
    for account_id in (other.account_id, uuid.uuid4()):
        response = await post(client, tenant, kind, kind.body(account_id))
        assert (response.status_code, response.json()) == (403, {"error": "Forbidden"})
    assert await count_rows(runtime, kind, other.account_id) == 0


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.table)
async def test_a_prospect_outside_the_account_is_a_404(
    client: httpx.AsyncClient, runtime: Runtime, kind: Kind
) -> None:
    tenant = await make_tenant(runtime, accounts=2)
    stranger = await make_tenant(runtime)
    # Another account of the same user, another user's account, and prospects that do not exist.
    sibling = await make_prospect_row(runtime, tenant.other_account_ids[0])
    theirs = await make_prospect_row(runtime, stranger.account_id)
    for prospect_id in (sibling, theirs, theirs + 1_000_000, 0, -1, 2**31, 2**63):
        response = await post(client, tenant, kind, kind.body(tenant.account_id, prospect_id=prospect_id))
        assert (response.status_code, response.json()) == (404, {"error": "Not found"}), prospect_id
    assert await count_rows(runtime, kind, tenant.account_id) == 0


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.table)
async def test_the_user_must_be_a_member_of_the_account(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, kind: Kind
) -> None:
    outsider = await make_tenant(runtime)
    for user_id in (outsider.user_id, uuid.uuid4()):
        response = await post(client, tenant, kind, kind.body(tenant.account_id, user_id=str(user_id)))
        assert response.status_code == 400
        [item] = response.json()["details"]
        assert item["instancePath"] == "/user_id"
    assert await count_rows(runtime, kind, tenant.account_id) == 0
    await created(client, tenant, kind, user_id=str(tenant.user_id))
    assert await count_rows(runtime, kind, tenant.account_id) == 1


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.table)
async def test_a_write_is_audited_with_the_caller(
    client: httpx.AsyncClient, tenant: Tenant, kind: Kind
) -> None:
    record = await created(client, tenant, kind)
    response = await client.get("/audit_log", params={"table": kind.table}, headers=tenant.headers)
    [entry] = response.json()
    assert entry["record_id"] == str(record["id"])
    assert entry["action"] == "INSERT"
    assert entry["changes"] is None
    assert (entry["user_id"], entry["api_key_id"]) == (str(tenant.user_id), str(tenant.key_id))
    assert (entry["request_method"], entry["request_path"]) == ("POST", f"/api/public/v1{kind.path}")
