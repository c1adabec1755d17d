"""A client that pages with limit=100 sees every unit exactly once, in id order."""

import httpx

from rentengine.runtime import Runtime
from tests.factories import Tenant, make_tenant
from tests.units.helpers import create_unit, list_ids

TOTAL = 105


async def test_paging_with_limit_100_returns_every_unit_once(
    client: httpx.AsyncClient, tenant: Tenant, runtime: Runtime
) -> None:
    neighbour = await make_tenant(runtime)
    created: list[int] = []
    for i in range(TOTAL):
        created.append((await create_unit(client, tenant))["id"])
        if i % 25 == 0:
            # Another account's rows interleave with ours in the id sequence.
            await create_unit(client, neighbour)
    seen: list[int] = []
    page = 0
    while True:
        ids = await list_ids(client, tenant, {"limit": "100", "page_number": str(page)})
        seen.extend(ids)
        if len(ids) < 100:
            break
        page += 1
    assert page == 1
    assert seen == created
    assert sorted(set(seen)) == seen


async def test_default_page_size_is_50(client: httpx.AsyncClient, tenant: Tenant) -> None:
    created = [(await create_unit(client, tenant))["id"] for _ in range(51)]
    assert await list_ids(client, tenant) == created[:50]
    assert await list_ids(client, tenant, {"page_number": "1"}) == created[50:]
