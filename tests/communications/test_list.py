"""GET /calls and GET /messages (API.md §14): the `env` envelope read the way a public client reads it,
by one prospect or one phone number, across the given accounts."""

from typing import Any

import httpx
import pytest

from rentengine.runtime import Runtime
from tests.communications.factories import CALLS, KINDS, MESSAGES, PHONE, Kind
from tests.factories import Tenant, make_prospect_row, make_tenant

OTHER_PHONE = "5559876543"


async def record(client: httpx.AsyncClient, tenant: Tenant, kind: Kind, **fields: Any) -> dict[str, Any]:
    response = await client.post(
        kind.path, json=kind.body(tenant.account_id, **fields), headers=tenant.headers
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def listed(client: httpx.AsyncClient, tenant: Tenant, kind: Kind, **params: Any) -> dict[str, Any]:
    params.setdefault("account_ids", str(tenant.account_id))
    response = await client.get(kind.path, params=params, headers=tenant.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def read_all(
    client: httpx.AsyncClient, tenant: Tenant, kind: Kind, **params: Any
) -> list[dict[str, Any]]:
    """Every page, followed by `has_more` and `next_page_number`, as a client of the hosted API does."""
    items: list[dict[str, Any]] = []
    page: int | None = 0
    while page is not None:
        body = await listed(client, tenant, kind, page_number=page, **params)
        assert set(body) == {"data", "page"}
        info = body["page"]
        assert info["page_number"] == page
        assert info["next_page_number"] == (page + 1 if info["has_more"] else None)
        items.extend(body["data"])
        page = info["next_page_number"]
    return items


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.table)
async def test_the_envelope_by_phone_number(client: httpx.AsyncClient, tenant: Tenant, kind: Kind) -> None:
    mine = [await record(client, tenant, kind) for _ in range(2)]
    await record(client, tenant, kind, **{kind.contact_field: OTHER_PHONE})
    body = await listed(client, tenant, kind, phone_number=PHONE)
    assert body == {
        "data": mine,
        "page": {"limit": 50, "page_number": 0, "has_more": False, "next_page_number": None},
    }
    assert [item["id"] for item in body["data"]] == sorted(item["id"] for item in mine)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.table)
async def test_by_prospect(client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, kind: Kind) -> None:
    jane = await make_prospect_row(runtime, tenant.account_id, phone=PHONE)
    john = await make_prospect_row(runtime, tenant.account_id, phone=OTHER_PHONE)
    janes = [await record(client, tenant, kind), await record(client, tenant, kind, prospect_id=jane)]
    await record(client, tenant, kind, **{kind.contact_field: OTHER_PHONE})
    assert (await listed(client, tenant, kind, prospect_id=jane))["data"] == janes
    assert [r["prospect_id"] for r in (await listed(client, tenant, kind, prospect_id=john))["data"]] == [
        john
    ]
    for nobody in (john + 1_000_000, 0, -3, 2**31, 2**63):
        assert (await listed(client, tenant, kind, prospect_id=nobody))["data"] == []


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.table)
async def test_pages_cover_every_row_once_in_id_order(
    client: httpx.AsyncClient, tenant: Tenant, kind: Kind
) -> None:
    made = [(await record(client, tenant, kind))["id"] for _ in range(7)]
    first = await listed(client, tenant, kind, phone_number=PHONE, limit=3)
    assert first["page"] == {"limit": 3, "page_number": 0, "has_more": True, "next_page_number": 1}
    assert [item["id"] for item in await read_all(client, tenant, kind, phone_number=PHONE, limit=3)] == made
    # Exactly a page's worth: the last full page says there is nothing more.
    exact = await listed(client, tenant, kind, phone_number=PHONE, limit=7)
    assert exact["page"]["has_more"] is False
    past = await listed(client, tenant, kind, phone_number=PHONE, limit=3, page_number=5)
    assert past == {
        "data": [],
        "page": {"limit": 3, "page_number": 5, "has_more": False, "next_page_number": None},
    }


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.table)
async def test_several_accounts_are_listed_together(
    client: httpx.AsyncClient, runtime: Runtime, kind: Kind
) -> None:
    tenant = await make_tenant(runtime, accounts=2)
    second = tenant.other_account_ids[0]
    first_record = await record(client, tenant, kind)
    second_record = await record(client, tenant, kind, account_id=str(second))
    both = f"{tenant.account_id},{second}"
    assert (await listed(client, tenant, kind, account_ids=both, phone_number=PHONE))["data"] == [
        first_record,
        second_record,
    ]
    repeated: list[tuple[str, str | int | float | bool | None]] = [
        ("account_ids", str(tenant.account_id)),
        ("account_ids", str(second)),
        ("phone_number", PHONE),
    ]
    response = await client.get(kind.path, params=repeated, headers=tenant.headers)
    assert [item["id"] for item in response.json()["data"]] == [first_record["id"], second_record["id"]]
    only_second = await listed(client, tenant, kind, account_ids=str(second), phone_number=PHONE)
    assert only_second["data"] == [second_record]


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.table)
async def test_tenancy(client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, kind: Kind) -> None:
    other = await make_tenant(runtime)
    theirs = await make_prospect_row(runtime, other.account_id, phone=PHONE)
    await record(client, other, kind, prospect_id=theirs)
    # Another account's prospect matches nothing within the caller's accounts.
    assert (await listed(client, tenant, kind, prospect_id=theirs))["data"] == []
    assert (await listed(client, tenant, kind, phone_number=PHONE))["data"] == []
    # Naming an account the caller cannot access, alone or among its own, is refused.
    for accounts in (str(other.account_id), f"{tenant.account_id},{other.account_id}"):
        response = await client.get(
            kind.path, params={"account_ids": accounts, "phone_number": PHONE}, headers=tenant.headers
        )
        assert (response.status_code, response.json()) == (403, {"error": "Forbidden"})


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.table)
async def test_exactly_one_of_prospect_id_and_phone_number(
    client: httpx.AsyncClient, tenant: Tenant, kind: Kind
) -> None:
    account = str(tenant.account_id)
    cases: list[tuple[dict[str, Any], list[int] | None]] = [
        ({"account_ids": account}, None),
        ({"account_ids": account, "prospect_id": 1, "phone_number": PHONE}, [0, 1]),
    ]
    for params, passing in cases:
        response = await client.get(kind.path, params=params, headers=tenant.headers)
        assert response.status_code == 400
        body = response.json()
        assert body["error"] == "Invalid query parameters"
        [item] = body["details"]
        assert (item["keyword"], item["params"]["passingSchemas"]) == ("oneOf", passing)
        assert "exactly one of 'prospect_id' or 'phone_number'" in item["message"]
    assert "not both" in item["message"]


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.table)
async def test_each_invalid_query_is_a_400(client: httpx.AsyncClient, tenant: Tenant, kind: Kind) -> None:
    account = str(tenant.account_id)
    bad: list[dict[str, Any]] = [
        {"phone_number": PHONE},
        {"account_ids": "", "phone_number": PHONE},
        {"account_ids": "not-a-uuid", "phone_number": PHONE},
        {"account_ids": account, "phone_number": "555123456"},
        {"account_ids": account, "phone_number": "555-123-4567"},
        {"account_ids": account, "prospect_id": "abc"},
        {"account_ids": account, "prospect_id": "1.5"},
        {"account_ids": account, "phone_number": PHONE, "limit": 0},
        {"account_ids": account, "phone_number": PHONE, "limit": 101},
        {"account_ids": account, "phone_number": PHONE, "page_number": -1},
        {"account_ids": account, "phone_number": PHONE, "offset": 10},
        {"account_ids": account, "phone_number": PHONE, "account_id": account},
    ]
    for params in bad:
        response = await client.get(kind.path, params=params, headers=tenant.headers)
        assert response.status_code == 400, params
        assert response.json()["details"], params


async def test_messages_match_their_contact_by_phone_number(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    text = await record(client, tenant, MESSAGES, contact=PHONE)
    await record(client, tenant, MESSAGES, channel="Email", contact="jane@example.com")
    assert (await listed(client, tenant, MESSAGES, phone_number=PHONE))["data"] == [text]


async def test_calls_and_messages_are_listed_apart(client: httpx.AsyncClient, tenant: Tenant) -> None:
    call = await record(client, tenant, CALLS)
    message = await record(client, tenant, MESSAGES)
    assert (await listed(client, tenant, CALLS, phone_number=PHONE))["data"] == [call]
    assert (await listed(client, tenant, MESSAGES, phone_number=PHONE))["data"] == [message]
