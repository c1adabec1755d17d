"""What the report tests write: showings in any state (the API only books new ones), and readers of
the reports as a client calls them."""

import uuid
from datetime import datetime
from typing import Any

import httpx

from rentengine.runtime import Runtime
from rentengine.showings.models import Showing
from tests.factories import Tenant
from tests.showings.helpers import z

PERFORMANCE = "/reporting/leasing-performance/units/{}"
ACCOUNT_REPORTS = (
    "/reporting/marketing-sources",
    "/reporting/showings",
    "/reporting/calls",
    "/reporting/units",
    "/reporting/applications",
)


async def add_showing(
    runtime: Runtime,
    account_id: uuid.UUID,
    unit_id: int,
    prospect_id: int,
    *,
    planned: datetime,
    created_at: datetime,
    status: str = "Scheduled",
    **fields: Any,
) -> int:
    """A showing row as the platform leaves it after the visit (completed, canceled, missed)."""
    async with runtime.db.transaction() as session:
        showing = Showing(
            account_id=account_id,
            unit_id=unit_id,
            prospect_id=prospect_id,
            planned_date_time=planned,
            status=status,
            created_at=created_at,
            updated_at=created_at,
            **fields,
        )
        session.add(showing)
        await session.flush()
        return showing.id


async def performance(
    client: httpx.AsyncClient, tenant: Tenant, unit_id: Any, start: datetime, end: datetime
) -> dict[str, Any]:
    response = await client.get(
        PERFORMANCE.format(unit_id), params={"start": z(start), "end": z(end)}, headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def report_page(
    client: httpx.AsyncClient,
    tenant: Tenant,
    path: str,
    start: datetime,
    end: datetime,
    accounts: list[uuid.UUID] | None = None,
    **params: Any,
) -> dict[str, Any]:
    """One page of an account report (the `env` envelope)."""
    ids = ",".join(str(a) for a in accounts or [tenant.account_id])
    response = await client.get(
        path, params={"account_ids": ids, "start": z(start), "end": z(end), **params}, headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert list(body) == ["data", "page"]
    return body


async def report_rows(
    client: httpx.AsyncClient, tenant: Tenant, path: str, start: datetime, end: datetime, **params: Any
) -> list[dict[str, Any]]:
    """Every row, following `page.has_more` as a client does."""
    rows: list[dict[str, Any]] = []
    page_number = 0
    while True:
        body = await report_page(client, tenant, path, start, end, page_number=page_number, **params)
        rows.extend(body["data"])
        if not body["page"]["has_more"]:
            return rows
        page_number = body["page"]["next_page_number"]
