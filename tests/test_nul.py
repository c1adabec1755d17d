"""The NUL character is refused with a 400 on every backend (PostgreSQL cannot store it)."""

import httpx
import pytest

from tests.factories import Tenant, property_body


@pytest.mark.parametrize(
    ("override", "path"),
    [
        ({"community_name": "Sunset\u0000Towers"}, "/community_name"),
        ({"external_ids": {"mls\u0000": "X1"}}, "/external_ids/mls\u0000"),
        ({"photos": [{"path": "a\u0000.jpg", "hidden": False}]}, "/photos/0/path"),
    ],
)
async def test_nul_in_a_body_is_refused_and_writes_nothing(
    client: httpx.AsyncClient, tenant: Tenant, override: dict[str, object], path: str
) -> None:
    response = await client.post(
        "/multifamily_properties", json=property_body(tenant.account_id, **override), headers=tenant.headers
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "Invalid request parameters"
    assert [d["instancePath"] for d in body["details"]] == [path]
    assert (await client.get("/multifamily_properties", headers=tenant.headers)).json() == []


@pytest.mark.parametrize(
    "url", ["/audit_log?table=%00", "/units?city=Aus%00tin", "/lockboxes?serial_numbers=A%00"]
)
async def test_nul_in_a_query_is_refused(client: httpx.AsyncClient, tenant: Tenant, url: str) -> None:
    response = await client.get(url, headers=tenant.headers)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "Invalid query parameters"
    assert body["details"][0]["keyword"] == "pattern"


async def test_escaped_backslash_u0000_text_is_ordinary_text(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    # The six characters \u0000 (an escaped backslash in JSON) are not a NUL character.
    body = property_body(tenant.account_id, description="literal \\u0000 text")
    response = await client.post("/multifamily_properties", json=body, headers=tenant.headers)
    assert response.status_code == 200
    assert response.json()[0]["description"] == "literal \\u0000 text"


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
async def test_date_times_outside_the_representable_range_are_a_400(
    client: httpx.AsyncClient, tenant: Tenant, value: str
) -> None:
    response = await client.get("/audit_log", params={"created_after": value}, headers=tenant.headers)
    assert response.status_code == 400
    assert response.json()["details"][0]["instancePath"] == "/created_after"
