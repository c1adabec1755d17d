"""The feed's validator: a strong ETag, 304 on a match, and a new tag whenever the body changes."""

import httpx

from rentengine.runtime import Runtime
from tests.factories import Tenant, make_tenant
from tests.listings.helpers import create_unit, feed_path, update_unit


async def get_feed(client: httpx.AsyncClient, tenant: Tenant, etag: str | None = None) -> httpx.Response:
    headers = {"If-None-Match": etag} if etag is not None else {}
    return await client.get(feed_path(tenant.account_id), headers=headers)


async def test_a_matching_validator_gets_304_without_a_body(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await create_unit(client, tenant, status="Available")
    first = await get_feed(client, tenant)
    etag = first.headers["etag"]
    assert etag.startswith('"')
    assert etag.endswith('"')
    assert not etag.startswith("W/")
    assert first.headers["cache-control"] == "public, no-cache"
    assert first.headers["access-control-expose-headers"] == "ETag"
    for sent in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = await get_feed(client, tenant, sent)
        assert again.status_code == 304, sent
        assert again.content == b""
        assert again.headers["etag"] == etag
        assert again.headers["cache-control"] == "public, no-cache"
        assert again.headers["access-control-allow-origin"] == "*"
    other = await get_feed(client, tenant, '"not-the-tag"')
    assert (other.status_code, other.content) == (200, first.content)


async def test_the_validator_changes_whenever_the_body_does(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    unit = await create_unit(client, tenant, status="Available")
    first = await get_feed(client, tenant)
    tags = {first.content: first.headers["etag"]}
    latest = [first.headers["etag"]]

    async def changed() -> None:
        response = await get_feed(client, tenant, latest[-1])
        assert response.status_code == 200
        tag = response.headers["etag"]
        assert tag != latest[-1]
        # One tag per body: a body seen before (a unit left again) has its old tag back, no other.
        assert tags.setdefault(response.content, tag) == tag
        assert list(tags.values()).count(tag) == 1
        latest.append(tag)

    await update_unit(client, tenant, unit["id"], target_rental_rate=2600)
    await changed()
    other = await create_unit(client, tenant, status="Available")
    await changed()
    await update_unit(client, tenant, other["id"], status="Leased")
    await changed()
    await update_unit(client, tenant, unit["id"], marketing_photos=[{"path": "a.jpg", "hidden": False}])
    await changed()
    moved = {
        "street_number": "9",
        "street_name": "Oak St",
        "city": "Austin",
        "state": "TX",
        "zip_code": "78702",
    }
    await update_unit(client, tenant, unit["id"], address=moved)
    await changed()
    # A unit outside the feed changes nothing the feed shows.
    await update_unit(client, tenant, other["id"], target_rental_rate=999)
    assert (await get_feed(client, tenant, latest[-1])).status_code == 304


async def test_feeds_of_two_accounts_have_different_validators(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime
) -> None:
    other = await make_tenant(runtime)
    first = await get_feed(client, tenant)
    second = await get_feed(client, other)
    assert first.content == second.content == b"[]"
    assert first.headers["etag"] != second.headers["etag"]
    assert (await get_feed(client, other, first.headers["etag"])).status_code == 200


async def test_the_cors_preflight_allows_if_none_match(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.options(
        feed_path(tenant.account_id),
        headers={
            "Origin": "https://owner-website.example.com",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "if-none-match",
        },
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["access-control-allow-methods"] == "GET"
    assert response.headers["access-control-allow-headers"] == "If-None-Match"
    assert response.content == b""
