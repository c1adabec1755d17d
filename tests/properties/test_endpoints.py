import uuid

import httpx

from rentengine.runtime import Runtime
from tests.factories import Tenant, make_tenant, property_body

PATH = "/multifamily_properties"


async def test_official_post_example_creates_one_property(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.post(PATH, json=property_body(tenant.account_id), headers=tenant.headers)
    assert response.status_code == 200  # a create answers 200 too, like the hosted API
    [record] = response.json()
    assert record["community_name"] == "Sunset Towers"
    assert record["account_id"] == str(tenant.account_id)
    assert record["external_ids"] == {}
    assert record["deleted"] is False
    assert record["paid_feed_requirements"] == ["Zillow", "Apartments.com"]
    assert record["created_at"].endswith("Z")
    uuid.UUID(record["id"])


async def test_official_get_example_finds_the_property(client: httpx.AsyncClient, tenant: Tenant) -> None:
    created = (await client.post(PATH, json=property_body(tenant.account_id), headers=tenant.headers)).json()[
        0
    ]
    params = {"account_id": str(tenant.account_id), "id": created["id"], "deleted": "false"}
    response = await client.get(PATH, params=params, headers=tenant.headers)
    assert response.status_code == 200
    assert response.json() == [created]


async def test_update_changes_only_sent_fields(client: httpx.AsyncClient, tenant: Tenant) -> None:
    created = (await client.post(PATH, json=property_body(tenant.account_id), headers=tenant.headers)).json()[
        0
    ]
    response = await client.post(PATH, json={"id": created["id"], "unit_count": 10}, headers=tenant.headers)
    assert response.status_code == 200
    [updated] = response.json()
    assert updated["unit_count"] == 10
    assert updated["paid_feed_requirements"] == ["Apartments.com"]
    assert updated["community_name"] == created["community_name"]
    assert updated["updated_at"] > created["updated_at"]


async def test_paid_feed_thresholds_are_strictly_above(client: httpx.AsyncClient, tenant: Tenant) -> None:
    expectations = {4: [], 5: ["Apartments.com"], 24: ["Apartments.com"], 25: ["Zillow", "Apartments.com"]}
    for count, feeds in expectations.items():
        body = property_body(tenant.account_id, unit_count=count)
        [record] = (await client.post(PATH, json=body, headers=tenant.headers)).json()
        assert record["paid_feed_requirements"] == feeds, count


async def test_soft_delete_and_restore(client: httpx.AsyncClient, tenant: Tenant) -> None:
    created = (await client.post(PATH, json=property_body(tenant.account_id), headers=tenant.headers)).json()[
        0
    ]
    await client.post(PATH, json={"id": created["id"], "deleted": True}, headers=tenant.headers)
    live = (await client.get(PATH, headers=tenant.headers)).json()
    deleted = (await client.get(PATH, params={"deleted": "true"}, headers=tenant.headers)).json()
    assert [p["id"] for p in live] == []
    assert [p["id"] for p in deleted] == [created["id"]]
    await client.post(PATH, json={"id": created["id"], "deleted": False}, headers=tenant.headers)
    assert [p["id"] for p in (await client.get(PATH, headers=tenant.headers)).json()] == [created["id"]]


async def test_create_requires_the_documented_fields(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.post(PATH, json={"community_name": "X"}, headers=tenant.headers)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "Invalid request parameters"
    missing = {d["params"]["missingProperty"] for d in body["details"] if d["keyword"] == "required"}
    assert missing == {
        "building_count",
        "unit_count",
        "structure_type",
        "year_built",
        "photos",
        "text_address",
        "account_id",
    }


async def test_invalid_bodies_are_refused_and_write_nothing(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    bad_bodies = [
        property_body(tenant.account_id, building_count=0),
        property_body(tenant.account_id, building_count="3"),
        property_body(tenant.account_id, structure_type="Tower"),
        property_body(tenant.account_id, year_built=1799),
        property_body(tenant.account_id, year_built=9999),
        property_body(tenant.account_id, photos=[{"path": "x"}]),
        property_body(tenant.account_id, paid_feed_requirements=["Zillow"]),
        property_body(tenant.account_id, community_name=None),
        property_body(tenant.account_id, external_ids={"mls": 5}),
        property_body(tenant.account_id, extra_field=1),
    ]
    for body in bad_bodies:
        response = await client.post(PATH, json=body, headers=tenant.headers)
        assert response.status_code == 400, body
        assert response.json()["details"], body
    assert (await client.get(PATH, headers=tenant.headers)).json() == []


async def test_update_cannot_move_a_property_to_another_account(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    tenant = await make_tenant(runtime, accounts=2)
    created = (await client.post(PATH, json=property_body(tenant.account_id), headers=tenant.headers)).json()[
        0
    ]
    body = {"id": created["id"], "account_id": str(tenant.other_account_ids[0]), "unit_count": 1}
    response = await client.post(PATH, json=body, headers=tenant.headers)
    assert response.status_code == 400
    assert response.json()["details"][0]["instancePath"] == "/account_id"
    [unchanged] = (await client.get(PATH, params={"id": created["id"]}, headers=tenant.headers)).json()
    assert unchanged["unit_count"] == 75


async def test_account_scoping(client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime) -> None:
    other = await make_tenant(runtime)
    theirs = (await client.post(PATH, json=property_body(other.account_id), headers=other.headers)).json()[0]
    forbidden_list = await client.get(
        PATH, params={"account_id": str(other.account_id)}, headers=tenant.headers
    )
    assert forbidden_list.status_code == 403
    assert forbidden_list.json() == {"error": "Forbidden"}
    forbidden_create = await client.post(PATH, json=property_body(other.account_id), headers=tenant.headers)
    assert forbidden_create.status_code == 403
    hidden_update = await client.post(
        PATH, json={"id": theirs["id"], "unit_count": 1}, headers=tenant.headers
    )
    assert hidden_update.status_code == 404
    assert hidden_update.json() == {"error": "Not found"}
    unknown_update = await client.post(
        PATH, json={"id": str(uuid.uuid4()), "unit_count": 1}, headers=tenant.headers
    )
    assert unknown_update.status_code == 404
    # An id filter naming another account's property simply matches nothing.
    assert (await client.get(PATH, params={"id": theirs["id"]}, headers=tenant.headers)).json() == []


async def test_list_covers_every_account_of_the_user(client: httpx.AsyncClient, runtime: Runtime) -> None:
    tenant = await make_tenant(runtime, accounts=2)
    for account_id in (tenant.account_id, *tenant.other_account_ids):
        await client.post(PATH, json=property_body(account_id), headers=tenant.headers)
    rows = (await client.get(PATH, headers=tenant.headers)).json()
    assert {r["account_id"] for r in rows} == {str(tenant.account_id), str(tenant.other_account_ids[0])}
    only = (
        await client.get(PATH, params={"account_id": str(tenant.account_id)}, headers=tenant.headers)
    ).json()
    assert [r["account_id"] for r in only] == [str(tenant.account_id)]


async def test_pages_cover_every_row_once_in_order(client: httpx.AsyncClient, tenant: Tenant) -> None:
    created = [
        (
            await client.post(
                PATH, json=property_body(tenant.account_id, community_name=f"C{i}"), headers=tenant.headers
            )
        ).json()[0]["id"]
        for i in range(7)
    ]
    seen: list[str] = []
    page = 0
    while True:
        rows = (
            await client.get(PATH, params={"limit": 3, "page_number": page}, headers=tenant.headers)
        ).json()
        seen.extend(r["id"] for r in rows)
        if len(rows) < 3:
            break
        page += 1
    assert seen == created
