"""GET/POST /webhooks and DELETE /webhooks/{id} (API.md §19.2, §19.4): validation, target rules,
account scoping, update semantics, soft delete and the masked audit trail."""

import base64
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from rentengine.runtime import Runtime
from tests.factories import Tenant, make_tenant

PATH = "/webhooks"
# Nothing listens on the discard port; no worker runs in these tests anyway.
RECEIVER = "http://127.0.0.1:9/hooks"


def subscription_body(account: uuid.UUID, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "account_id": str(account),
        "url": RECEIVER,
        "tables": ["multifamily_properties"],
        "event_types": ["INSERT", "UPDATE"],
    }
    body.update(overrides)
    return body


async def create_subscription(
    client: httpx.AsyncClient, tenant: Tenant, account_id: uuid.UUID | None = None, **overrides: Any
) -> dict[str, Any]:
    body = subscription_body(account_id or tenant.account_id, **overrides)
    response = await client.post(PATH, json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text
    record: dict[str, Any] = response.json()
    return record


async def list_subscriptions(
    client: httpx.AsyncClient, tenant: Tenant, **params: Any
) -> list[dict[str, Any]]:
    response = await client.get(PATH, params=params, headers=tenant.headers)
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()
    return rows


def reaching(webhook_id: str) -> list[tuple[str, str, dict[str, Any] | None]]:
    """Every request that names one subscription: update, delete, its deliveries."""
    return [
        ("POST", PATH, {"id": webhook_id, "enabled": True}),
        ("DELETE", f"{PATH}/{webhook_id}", None),
        ("GET", f"{PATH}/{webhook_id}/deliveries", None),
    ]


@pytest.fixture
async def api(make_client: Callable[..., httpx.AsyncClient]) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a server that allows private webhook targets (the local test receiver)."""
    async with make_client(webhook_allow_private_targets=True) as client:
        yield client


async def test_create_returns_the_subscription_with_a_generated_secret(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    response = await api.post(PATH, json=subscription_body(tenant.account_id), headers=tenant.headers)
    assert response.status_code == 201
    record = response.json()
    assert set(record) == {
        "id",
        "account_id",
        "url",
        "tables",
        "event_types",
        "api_key",
        "signing_secret",
        "enabled",
        "created_at",
        "updated_at",
    }
    uuid.UUID(record["id"])
    assert record["account_id"] == str(tenant.account_id)
    assert (record["url"], record["tables"], record["event_types"]) == (
        RECEIVER,
        ["multifamily_properties"],
        ["INSERT", "UPDATE"],
    )
    assert (record["api_key"], record["enabled"]) == (None, True)
    assert record["signing_secret"].startswith("whsec_")
    assert len(base64.b64decode(record["signing_secret"].removeprefix("whsec_"), validate=True)) == 32
    assert record["created_at"] == record["updated_at"]
    assert record["created_at"].endswith("Z")
    assert await list_subscriptions(api, tenant) == [record]


async def test_every_secret_is_new(api: httpx.AsyncClient, tenant: Tenant) -> None:
    secrets = {(await create_subscription(api, tenant))["signing_secret"] for _ in range(3)}
    assert len(secrets) == 3


async def test_create_with_every_optional_field(api: httpx.AsyncClient, tenant: Tenant) -> None:
    tables = ["units", "lockboxes", "lockbox_events", "multifamily_properties", "prospects"]
    tables += ["leasing_events", "showings", "rental_application_groups", "calls", "messages"]
    record = await create_subscription(
        api,
        tenant,
        tables=tables,
        event_types=["DELETE", "INSERT", "UPDATE"],
        api_key="receiver key 42",
        enabled=False,
    )
    assert record["tables"] == tables
    assert record["event_types"] == ["DELETE", "INSERT", "UPDATE"]
    assert (record["api_key"], record["enabled"]) == ("receiver key 42", False)
    assert await list_subscriptions(api, tenant) == [record]


async def test_create_requires_account_url_tables_and_event_types(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    response = await api.post(PATH, json={"api_key": "k"}, headers=tenant.headers)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "Invalid request parameters"
    assert [(d["keyword"], d["instancePath"], d["params"]) for d in body["details"]] == [
        ("required", "", {"missingProperty": name}) for name in ("account_id", "url", "tables", "event_types")
    ]


BAD_BODIES: list[tuple[dict[str, Any], str, str]] = [
    ({"tables": []}, "minItems", "/tables"),
    ({"tables": ["units", "units"]}, "uniqueItems", "/tables"),
    ({"tables": ["units", "webhooks"]}, "enum", "/tables/1"),
    ({"tables": ["audit_entries"]}, "enum", "/tables/0"),
    ({"tables": ["Units"]}, "enum", "/tables/0"),
    ({"tables": "units"}, "type", "/tables"),
    ({"tables": ["units"] * 11}, "maxItems", "/tables"),
    ({"tables": None}, "type", "/tables"),
    ({"event_types": []}, "minItems", "/event_types"),
    ({"event_types": ["INSERT", "INSERT"]}, "uniqueItems", "/event_types"),
    ({"event_types": ["insert"]}, "enum", "/event_types/0"),
    ({"event_types": ["INSERT", "UPSERT"]}, "enum", "/event_types/1"),
    ({"event_types": ["INSERT", "UPDATE", "DELETE", "INSERT"]}, "maxItems", "/event_types"),
    ({"url": 42}, "type", "/url"),
    ({"url": None}, "type", "/url"),
    ({"url": ""}, "minLength", "/url"),
    ({"url": "https://hooks.example.com/" + "a" * 2048}, "maxLength", "/url"),
    ({"url": "ftp://127.0.0.1/hooks"}, "scheme", "/url"),
    ({"url": "127.0.0.1:9/hooks"}, "scheme", "/url"),
    ({"url": "http://"}, "format", "/url"),
    ({"url": "http://user:password@127.0.0.1:9/hooks"}, "credentials", "/url"),
    ({"url": "http://127.0.0.1:9/ho oks"}, "format", "/url"),
    ({"api_key": ""}, "minLength", "/api_key"),
    ({"api_key": "k" * 1025}, "maxLength", "/api_key"),
    ({"api_key": "line\r\nX-Injected: 1"}, "pattern", "/api_key"),
    ({"api_key": 12345}, "type", "/api_key"),
    ({"enabled": "true"}, "type", "/enabled"),
    ({"enabled": None}, "type", "/enabled"),
    ({"account_id": "acme"}, "format", "/account_id"),
    ({"signing_secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, "additionalProperties", ""),
    ({"secret": "x"}, "additionalProperties", ""),
]


@pytest.mark.parametrize(("overrides", "keyword", "path"), BAD_BODIES)
async def test_invalid_bodies_are_400_with_the_failing_path(
    api: httpx.AsyncClient, tenant: Tenant, overrides: dict[str, Any], keyword: str, path: str
) -> None:
    response = await api.post(
        PATH, json=subscription_body(tenant.account_id, **overrides), headers=tenant.headers
    )
    assert response.status_code == 400, response.text
    details = response.json()["details"]
    assert [(d["keyword"], d["instancePath"]) for d in details] == [(keyword, path)]
    assert await list_subscriptions(api, tenant) == []


async def test_the_secret_cannot_be_sent_on_update_either(api: httpx.AsyncClient, tenant: Tenant) -> None:
    record = await create_subscription(api, tenant)
    body = {"id": record["id"], "signing_secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
    response = await api.post(PATH, json=body, headers=tenant.headers)
    assert response.status_code == 400
    [item] = response.json()["details"]
    assert item["params"] == {"additionalProperty": "signing_secret"}
    assert await list_subscriptions(api, tenant) == [record]


PRIVATE_URLS = [
    "http://127.0.0.1:9/hooks",
    "http://localhost:8000/hooks",
    "http://10.0.0.7/hooks",
    "http://192.168.1.20/hooks",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]:8080/hooks",
    "http://[::ffff:127.0.0.1]/hooks",
    "http://2130706433/hooks",
]


@pytest.mark.parametrize("url", PRIVATE_URLS)
async def test_private_targets_are_refused_by_default(
    client: httpx.AsyncClient, tenant: Tenant, url: str
) -> None:
    response = await client.post(
        PATH, json=subscription_body(tenant.account_id, url=url), headers=tenant.headers
    )
    assert response.status_code == 400
    [item] = response.json()["details"]
    assert (item["keyword"], item["instancePath"]) == ("publicTarget", "/url")
    assert item["message"] == "the target is not allowed"
    assert await list_subscriptions(client, tenant) == []


@pytest.mark.parametrize("url", PRIVATE_URLS)
async def test_private_targets_are_accepted_when_the_server_allows_them(
    api: httpx.AsyncClient, tenant: Tenant, url: str
) -> None:
    assert (await create_subscription(api, tenant, url=url))["url"] == url


@pytest.mark.parametrize("use_api", [False, True])
async def test_a_host_that_does_not_resolve_is_refused(
    client: httpx.AsyncClient, api: httpx.AsyncClient, tenant: Tenant, use_api: bool
) -> None:
    body = subscription_body(tenant.account_id, url="https://hooks.no-such-host.invalid/events")
    response = await (api if use_api else client).post(PATH, json=body, headers=tenant.headers)
    assert response.status_code == 400
    [item] = response.json()["details"]
    assert item["keyword"] == "publicTarget"
    assert item["message"] == "the target is not allowed"


async def test_a_public_literal_address_is_accepted_by_default(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    # Created disabled: nothing may ever be sent to this address from a test.
    record = await create_subscription(client, tenant, url="https://8.8.8.8/hooks", enabled=False)
    assert record["url"] == "https://8.8.8.8/hooks"


async def test_an_update_to_a_private_target_is_refused_by_default(
    client: httpx.AsyncClient, api: httpx.AsyncClient, tenant: Tenant
) -> None:
    record = await create_subscription(api, tenant)
    body = {"id": record["id"], "url": "http://10.0.0.7/hooks"}
    response = await client.post(PATH, json=body, headers=tenant.headers)
    assert response.status_code == 400
    assert response.json()["details"][0]["keyword"] == "publicTarget"
    assert await list_subscriptions(client, tenant) == [record]


async def test_update_changes_only_the_sent_fields(api: httpx.AsyncClient, tenant: Tenant) -> None:
    created = await create_subscription(api, tenant, api_key="first-key")
    changes = {"tables": ["units", "lockboxes"], "api_key": "second-key"}
    response = await api.post(PATH, json={"id": created["id"], **changes}, headers=tenant.headers)
    assert response.status_code == 200
    updated = response.json()
    assert updated == {**created, **changes, "updated_at": updated["updated_at"]}
    assert updated["updated_at"] > created["updated_at"]
    assert await list_subscriptions(api, tenant) == [updated]

    cleared = await api.post(PATH, json={"id": created["id"], "api_key": None}, headers=tenant.headers)
    assert cleared.status_code == 200
    assert cleared.json()["api_key"] is None
    moved = {"id": created["id"], "url": "http://localhost:8081/other", "event_types": ["DELETE"]}
    response = await api.post(PATH, json=moved, headers=tenant.headers)
    assert (response.json()["url"], response.json()["event_types"]) == (moved["url"], ["DELETE"])
    assert response.json()["signing_secret"] == created["signing_secret"]


async def test_update_accepts_the_same_account_only(api: httpx.AsyncClient, runtime: Runtime) -> None:
    tenant = await make_tenant(runtime, accounts=2)
    created = await create_subscription(api, tenant)
    same = {"id": created["id"], "account_id": str(tenant.account_id), "enabled": False}
    assert (await api.post(PATH, json=same, headers=tenant.headers)).status_code == 200
    other = {"id": created["id"], "account_id": str(tenant.other_account_ids[0]), "enabled": True}
    response = await api.post(PATH, json=other, headers=tenant.headers)
    assert response.status_code == 400
    [item] = response.json()["details"]
    assert (item["keyword"], item["instancePath"]) == ("const", "/account_id")
    assert item["params"] == {"allowedValue": str(tenant.account_id)}
    [row] = await list_subscriptions(api, tenant)
    assert (row["account_id"], row["enabled"]) == (str(tenant.account_id), False)


async def test_update_validates_what_it_is_sent(api: httpx.AsyncClient, tenant: Tenant) -> None:
    created = await create_subscription(api, tenant)
    changes: list[tuple[dict[str, Any], str]] = [
        ({"tables": []}, "minItems"),
        ({"url": "gopher://x"}, "scheme"),
    ]
    for change, keyword in changes:
        response = await api.post(PATH, json={"id": created["id"], **change}, headers=tenant.headers)
        assert response.status_code == 400
        assert response.json()["details"][0]["keyword"] == keyword
    assert await list_subscriptions(api, tenant) == [created]


async def test_accounts_are_scoped(api: httpx.AsyncClient, runtime: Runtime, tenant: Tenant) -> None:
    stranger = await make_tenant(runtime)
    theirs = await create_subscription(api, stranger)
    forbidden = await api.post(PATH, json=subscription_body(stranger.account_id), headers=tenant.headers)
    assert (forbidden.status_code, forbidden.json()) == (403, {"error": "Forbidden"})
    listing = await api.get(PATH, params={"account_id": str(stranger.account_id)}, headers=tenant.headers)
    assert listing.status_code == 403
    mine = await create_subscription(api, tenant)
    moved = {"id": mine["id"], "account_id": str(stranger.account_id)}
    assert (await api.post(PATH, json=moved, headers=tenant.headers)).status_code == 403
    assert await list_subscriptions(api, tenant) == [mine]
    for method, path, body in reaching(theirs["id"]):
        response = await api.request(method, path, json=body, headers=tenant.headers)
        assert (response.status_code, response.json()) == (404, {"error": "Not found"}), (method, path)
    assert await list_subscriptions(api, stranger) == [theirs]


async def test_unknown_ids_are_404_and_malformed_ids_400(api: httpx.AsyncClient, tenant: Tenant) -> None:
    unknown = str(uuid.uuid4())
    assert (
        await api.post(PATH, json={"id": unknown, "enabled": True}, headers=tenant.headers)
    ).status_code == 404
    assert (await api.delete(f"{PATH}/{unknown}", headers=tenant.headers)).status_code == 404
    response = await api.delete(f"{PATH}/not-a-uuid", headers=tenant.headers)
    assert response.status_code == 400
    assert response.json()["details"][0]["instancePath"] == "/id"


async def test_lists_cover_every_account_or_the_one_asked(api: httpx.AsyncClient, runtime: Runtime) -> None:
    tenant = await make_tenant(runtime, accounts=2)
    first = await create_subscription(api, tenant)
    second = await create_subscription(api, tenant, account_id=tenant.other_account_ids[0])
    assert await list_subscriptions(api, tenant) == [first, second]
    assert await list_subscriptions(api, tenant, account_id=str(tenant.account_id)) == [first]
    assert await list_subscriptions(api, tenant, account_id=str(tenant.other_account_ids[0])) == [second]


async def test_lists_page_in_creation_order(api: httpx.AsyncClient, tenant: Tenant) -> None:
    created = [await create_subscription(api, tenant) for _ in range(5)]
    pages = [await list_subscriptions(api, tenant, limit=2, page_number=n) for n in range(4)]
    assert [len(page) for page in pages] == [2, 2, 1, 0]
    assert [row for page in pages for row in page] == created


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({"limit": 0}, "/limit"),
        ({"limit": 101}, "/limit"),
        ({"page_number": -1}, "/page_number"),
        ({"limit": "ten"}, "/limit"),
        ({"account_id": "acme"}, "/account_id"),
        ({"status": "pending"}, ""),
    ],
)
async def test_bad_list_parameters_are_400(
    api: httpx.AsyncClient, tenant: Tenant, params: dict[str, Any], path: str
) -> None:
    response = await api.get(PATH, params=params, headers=tenant.headers)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "Invalid query parameters"
    assert [d["instancePath"] for d in body["details"]] == [path]


async def test_delete_is_204_and_the_subscription_is_then_not_found(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    kept = await create_subscription(api, tenant)
    gone = await create_subscription(api, tenant)
    response = await api.delete(f"{PATH}/{gone['id']}", headers=tenant.headers)
    assert (response.status_code, response.content) == (204, b"")
    assert await list_subscriptions(api, tenant) == [kept]
    for method, path, body in reaching(gone["id"]):
        response = await api.request(method, path, json=body, headers=tenant.headers)
        assert response.status_code == 404, (method, path)


async def _audit(api: httpx.AsyncClient, tenant: Tenant) -> httpx.Response:
    response = await api.get("/audit_log", params={"table": "webhooks"}, headers=tenant.headers)
    assert response.status_code == 200
    return response


async def test_management_writes_are_audited_without_secrets(api: httpx.AsyncClient, tenant: Tenant) -> None:
    created = await create_subscription(api, tenant, api_key="first-receiver-key")
    update = {"id": created["id"], "api_key": "second-receiver-key", "enabled": False}
    updated = (await api.post(PATH, json=update, headers=tenant.headers)).json()
    assert (await api.delete(f"{PATH}/{created['id']}", headers=tenant.headers)).status_code == 204

    response = await _audit(api, tenant)
    for secret in ("first-receiver-key", "second-receiver-key", created["signing_secret"]):
        assert secret not in response.text
    inserted, changed, deleted = response.json()
    assert [e["action"] for e in (inserted, changed, deleted)] == ["INSERT", "UPDATE", "DELETE"]
    assert {e["record_id"] for e in (inserted, changed, deleted)} == {created["id"]}
    assert {e["table"] for e in (inserted, changed, deleted)} == {"webhooks"}
    assert (changed["api_key_id"], changed["request_method"]) == (str(tenant.key_id), "POST")
    assert changed["changes"] == {"enabled": [True, False]}
    assert deleted["request_path"] == f"/api/public/v1/webhooks/{created['id']}"
    assert updated["api_key"] == "second-receiver-key"  # the caller still reads its own key


async def test_setting_or_clearing_a_key_shows_in_the_audit_as_redacted(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    created = await create_subscription(api, tenant)
    for key in ("receiver-key", None):
        assert (
            await api.post(PATH, json={"id": created["id"], "api_key": key}, headers=tenant.headers)
        ).is_success
    _, set_key, cleared = (await _audit(api, tenant)).json()
    assert set_key["changes"] == {"api_key": [None, "[redacted]"]}
    assert cleared["changes"] == {"api_key": ["[redacted]", None]}


async def test_failed_management_writes_leave_nothing(api: httpx.AsyncClient, tenant: Tenant) -> None:
    bad = subscription_body(tenant.account_id, tables=["units", "units"])
    assert (await api.post(PATH, json=bad, headers=tenant.headers)).status_code == 400
    assert (await _audit(api, tenant)).json() == []
    assert await list_subscriptions(api, tenant) == []
