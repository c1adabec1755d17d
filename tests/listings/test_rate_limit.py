"""The feed is rate-limited per client address (API.md §5.1), behind trusted proxies the visitor's."""

from collections.abc import Callable

import httpx

from tests.factories import Tenant
from tests.listings.helpers import feed_path

MakeClient = Callable[..., httpx.AsyncClient]


async def test_the_limit_counts_per_address_with_headers_and_retry_after(
    make_client: MakeClient, tenant: Tenant
) -> None:
    async with make_client(rate_limit="2/minute") as client:
        answers = [await client.get(feed_path(tenant.account_id)) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert [a.headers["x-ratelimit-remaining"] for a in answers] == ["1", "0", "0"]
    assert all(a.headers["x-ratelimit-limit"] == "2" for a in answers)
    refused = answers[2]
    assert refused.json() == {"error": "Too many requests"}
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert 0 <= int(refused.headers["x-ratelimit-reset"]) <= 60
    assert refused.headers["access-control-allow-origin"] == "*"


async def test_a_forwarded_address_counts_only_from_a_trusted_proxy(
    make_client: MakeClient, tenant: Tenant
) -> None:
    path = feed_path(tenant.account_id)
    # The test transport's peer is 127.0.0.1: untrusted, its X-Forwarded-For is ignored.
    async with make_client(rate_limit="1/minute") as client:
        first = await client.get(path, headers={"X-Forwarded-For": "203.0.113.1"})
        second = await client.get(path, headers={"X-Forwarded-For": "203.0.113.2"})
    assert (first.status_code, second.status_code) == (200, 429)
    # Trusted: each visitor behind the proxy has a window of their own.
    async with make_client(rate_limit="1/minute", trusted_proxies="127.0.0.1") as client:
        visitors = [await client.get(path, headers={"X-Forwarded-For": f"198.51.100.{i}"}) for i in range(3)]
        repeat = await client.get(path, headers={"X-Forwarded-For": "198.51.100.0"})
    assert [v.status_code for v in visitors] == [200, 200, 200]
    assert repeat.status_code == 429


async def test_the_limit_is_not_shared_with_tokens(make_client: MakeClient, tenant: Tenant) -> None:
    async with make_client(rate_limit="1/minute") as client:
        assert (await client.get(feed_path(tenant.account_id))).status_code == 200
        assert (await client.get("/units", headers=tenant.headers)).status_code == 200
