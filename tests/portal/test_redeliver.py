"""The deliveries page's redeliver form leads back to the view it came from, and only to a valid one.

This module runs its own server per backend that allows loopback targets (and runs no delivery
worker): its webhooks point at a local port where nothing listens, so test sends fail at once and
are dead-lettered, and other deliveries stay pending.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import APIResponse

from tests.conftest import BACKENDS
from tests.factories import property_body
from tests.portal.conftest import (
    Member,
    Portal,
    PortalServer,
    bearer,
    empty_database,
    make_api_key,
    running_server,
)
from tests.ports import free_port

pytestmark = pytest.mark.slow

MakeMember = Callable[..., Awaitable[Member]]
CRAFTED = ["page=0", "after=yesterday", "status=bogus", "status=pending&page=0&before=soon"]


@pytest.fixture(scope="module", params=BACKENDS)
async def redeliver_database_url(
    request: pytest.FixtureRequest, chromium: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    async with empty_database(request.param, tmp_path_factory.mktemp("redeliver"), "redeliver") as url:
        yield url


@pytest.fixture(scope="module")
async def portal_server(
    redeliver_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[PortalServer]:
    """Replaces the harness's server for this module: may send to 127.0.0.1, no worker."""
    log = tmp_path_factory.mktemp("redeliver-log") / "server.log"
    allow = {"RENTENGINE_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true", "RENTENGINE_WEBHOOK_TIMEOUT_SECONDS": "5"}
    async with running_server(redeliver_database_url, log, allow) as server:
        yield server


async def _dead_test_delivery(api: httpx.AsyncClient, token: str, webhook_id: str) -> str:
    """A test send to a port where nothing listens: one failed attempt, dead-lettered."""
    response = await api.post(f"/webhooks/{webhook_id}/test", headers=bearer(token))
    assert response.status_code == 200, response.text
    delivery: dict[str, Any] = response.json()
    assert delivery["status"] == "dead_lettered", delivery
    return str(delivery["id"])


@pytest.mark.parametrize("back", CRAFTED)
async def test_a_crafted_back_value_leads_to_the_plain_deliveries_page(
    portal: Portal, make_member: MakeMember, api: httpx.AsyncClient, back: str
) -> None:
    member = await make_member("redeliver")
    _, token = await make_api_key(portal.server, member, "pms")
    body = {
        "account_id": str(member.account_id),
        "url": f"http://127.0.0.1:{free_port()}/hooks",
        "tables": ["multifamily_properties"],
        "event_types": ["INSERT"],
    }
    created = await api.post("/webhooks", json=body, headers=bearer(token))
    assert created.status_code == 201, created.text
    webhook_id = created.json()["id"]
    written = await api.post(
        "/multifamily_properties", json=property_body(member.account_id), headers=bearer(token)
    )
    assert written.status_code == 200, written.text
    [pending] = (await api.get(f"/webhooks/{webhook_id}/deliveries", headers=bearer(token))).json()
    assert pending["status"] == "pending"
    dead = await _dead_test_delivery(api, token, webhook_id)

    await portal.signed_in_as(member)
    page = f"/portal/webhooks/{webhook_id}/deliveries"
    await portal.goto(page)
    csrf_token = await portal.page.locator("input[name=csrf_token]").first.input_value()

    async def redeliver(delivery_id: str) -> APIResponse:
        form: dict[str, str | float | bool] = {"csrf_token": csrf_token, "back": back}
        return await portal.page.request.post(
            portal.server.url(f"{page}/{delivery_id}/redeliver"), form=form, max_redirects=0
        )

    # Refused (still pending): the page says why, over the unfiltered list.
    refused = await redeliver(pending["id"])
    assert refused.status == 409
    text = await refused.text()
    assert "Not redelivered" in text
    assert pending["id"] in text
    assert dead in text
    # Queued again: back to the unfiltered page, which opens.
    queued = await redeliver(dead)
    assert queued.status == 303
    assert queued.headers["location"] == f"{page}?notice=redelivered"
    opened = await portal.goto(queued.headers["location"])
    assert opened.status == 200
    assert await portal.page.inner_text(".notice") == "Delivery queued again."
