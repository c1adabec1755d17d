"""The outbox seen through GET /webhooks/{id}/deliveries: what real writes enqueue (API.md §19.1), what
disabling and deleting cancel (§19.3, §19.4), and the list's filters and paging.

No delivery worker runs here, so deliveries stay where the API left them unless a test moves them
the way the worker would (status changes, attempt rows).
"""

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from sqlalchemy import event, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.auth.service import Principal
from rentengine.changes.types import Actor
from rentengine.properties import service as properties_service
from rentengine.properties.schemas import PropertyUpsert
from rentengine.runtime import Runtime
from rentengine.webhooks.models import WebhookAttempt, WebhookDelivery
from tests.factories import Tenant, make_tenant, property_body
from tests.webhooks.test_subscriptions import PATH, create_subscription

PROPERTIES = "/multifamily_properties"
TABLE = "multifamily_properties"


@pytest.fixture
async def api(make_client: Callable[..., httpx.AsyncClient]) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(webhook_allow_private_targets=True) as client:
        yield client


async def deliveries(
    client: httpx.AsyncClient, tenant: Tenant, webhook_id: str, **params: Any
) -> list[dict[str, Any]]:
    response = await client.get(f"{PATH}/{webhook_id}/deliveries", params=params, headers=tenant.headers)
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()
    return rows


async def create_property(client: httpx.AsyncClient, tenant: Tenant, **overrides: Any) -> dict[str, Any]:
    response = await client.post(
        PROPERTIES, json=property_body(tenant.account_id, **overrides), headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    [record] = response.json()
    return dict(record)


async def update_property(client: httpx.AsyncClient, tenant: Tenant, **fields: Any) -> dict[str, Any]:
    response = await client.post(PROPERTIES, json=fields, headers=tenant.headers)
    assert response.status_code == 200, response.text
    [record] = response.json()
    return dict(record)


async def read_property(client: httpx.AsyncClient, tenant: Tenant, property_id: str) -> dict[str, Any]:
    """The record as GET /multifamily_properties shows it: the payload must be exactly this."""
    response = await client.get(PROPERTIES, params={"id": property_id}, headers=tenant.headers)
    [record] = response.json()
    return dict(record)


async def outbox_statuses(runtime: Runtime, webhook_id: str) -> list[tuple[str, datetime | None]]:
    """Status and next attempt of every delivery of a subscription, deleted ones included."""
    async with runtime.db.transaction(writes=False) as session:
        rows = await session.execute(
            select(WebhookDelivery.status, WebhookDelivery.next_attempt_at)
            .where(WebhookDelivery.webhook_id == uuid.UUID(webhook_id))
            .order_by(WebhookDelivery.created_at, WebhookDelivery.id)
        )
        return [(row.status, row.next_attempt_at) for row in rows]


async def outbox_statuses_in(session: AsyncSession, webhook_id: str) -> list[str]:
    """The same, inside a transaction that has not committed yet."""
    rows = await session.scalars(
        select(WebhookDelivery.status).where(WebhookDelivery.webhook_id == uuid.UUID(webhook_id))
    )
    return list(rows)


async def set_status(runtime: Runtime, delivery_id: str, status: str) -> None:
    """What the worker does after an attempt."""
    async with runtime.db.transaction() as session:
        await session.execute(
            update(WebhookDelivery).where(WebhookDelivery.id == uuid.UUID(delivery_id)).values(status=status)
        )


async def test_a_write_enqueues_its_get_representation_for_every_listening_subscription(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    both = await create_subscription(api, tenant, event_types=["INSERT", "UPDATE"])
    inserts = await create_subscription(api, tenant, event_types=["INSERT"])
    units_only = await create_subscription(api, tenant, tables=["units"], event_types=["INSERT", "UPDATE"])

    created = await create_property(api, tenant)
    inserted = await read_property(api, tenant, created["id"])
    [first] = await deliveries(api, tenant, both["id"])
    [other] = await deliveries(api, tenant, inserts["id"])
    assert await deliveries(api, tenant, units_only["id"]) == []
    assert first["payload"] == {"type": "INSERT", "table": TABLE, "record": inserted, "old_record": None}
    assert other["payload"] == first["payload"]
    assert other["event_id"] == first["event_id"]
    assert other["id"] != first["id"]
    assert (first["webhook_id"], first["table"], first["type"]) == (both["id"], TABLE, "INSERT")
    assert (first["status"], first["attempts"]) == ("pending", [])
    assert first["next_attempt_at"] is not None
    assert first["event_id"].startswith("msg_")

    await update_property(api, tenant, id=created["id"], unit_count=10)
    updated = await read_property(api, tenant, created["id"])
    assert updated != inserted
    _, second = await deliveries(api, tenant, both["id"])
    assert second["payload"] == {"type": "UPDATE", "table": TABLE, "record": updated, "old_record": inserted}
    assert second["event_id"] != first["event_id"]
    assert len(await deliveries(api, tenant, inserts["id"])) == 1


async def test_other_accounts_writes_are_not_delivered(
    api: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    subscription = await create_subscription(api, tenant)
    stranger = await make_tenant(runtime)
    await create_property(api, stranger)
    assert await deliveries(api, tenant, subscription["id"]) == []


async def test_a_refused_write_enqueues_nothing(api: httpx.AsyncClient, tenant: Tenant) -> None:
    subscription = await create_subscription(api, tenant)
    created = await create_property(api, tenant)
    refused = await api.post(
        PROPERTIES, json={"id": created["id"], "year_built": 1700}, headers=tenant.headers
    )
    assert refused.status_code == 400
    other_account = {"id": created["id"], "account_id": str(uuid.uuid4()), "unit_count": 3}
    assert (await api.post(PROPERTIES, json=other_account, headers=tenant.headers)).status_code == 400
    assert [d["type"] for d in await deliveries(api, tenant, subscription["id"])] == ["INSERT"]


async def test_a_rolled_back_transaction_enqueues_nothing(
    api: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    """The change is recorded (audit and outbox rows written), then the transaction fails."""
    subscription = await create_subscription(api, tenant)
    principal = Principal(tenant.user_id, tenant.key_id, frozenset({tenant.account_id}))
    body = PropertyUpsert.model_validate(property_body(tenant.account_id))
    enqueued: list[str] = []

    async def write_then_fail() -> None:
        async with runtime.db.transaction() as session:
            await properties_service.upsert_property(
                session, principal, Actor(tenant.user_id), body, runtime.settings.paid_feed_thresholds
            )
            enqueued.extend(await outbox_statuses_in(session, subscription["id"]))
            raise RuntimeError("after the write")

    with pytest.raises(RuntimeError, match="after the write"):
        await write_then_fail()
    assert enqueued == ["pending"]
    assert await deliveries(api, tenant, subscription["id"]) == []
    assert await outbox_statuses(runtime, subscription["id"]) == []


async def test_a_disabled_subscription_gets_nothing_and_nothing_is_backfilled(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    subscription = await create_subscription(api, tenant, enabled=False)
    created = await create_property(api, tenant)
    assert await deliveries(api, tenant, subscription["id"]) == []
    enable = {"id": subscription["id"], "enabled": True}
    assert (await api.post(PATH, json=enable, headers=tenant.headers)).status_code == 200
    assert await deliveries(api, tenant, subscription["id"]) == []
    await update_property(api, tenant, id=created["id"], unit_count=10)
    assert [d["type"] for d in await deliveries(api, tenant, subscription["id"])] == ["UPDATE"]


async def test_disabling_cancels_pending_and_retrying_deliveries_only(
    api: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    subscription = await create_subscription(api, tenant)
    bystander = await create_subscription(api, tenant)
    for _ in range(4):
        await create_property(api, tenant)
    pending, retrying, succeeded, dead = await deliveries(api, tenant, subscription["id"])
    await set_status(runtime, retrying["id"], "retrying")
    await set_status(runtime, succeeded["id"], "succeeded")
    await set_status(runtime, dead["id"], "dead_lettered")

    disable = {"id": subscription["id"], "enabled": False}
    assert (await api.post(PATH, json=disable, headers=tenant.headers)).status_code == 200
    after = await deliveries(api, tenant, subscription["id"])
    assert [d["status"] for d in after] == ["cancelled", "cancelled", "succeeded", "dead_lettered"]
    assert [d["next_attempt_at"] for d in after[:2]] == [None, None]
    assert [d["id"] for d in after] == [pending["id"], retrying["id"], succeeded["id"], dead["id"]]
    assert {d["status"] for d in await deliveries(api, tenant, bystander["id"])} == {"pending"}

    await create_property(api, tenant)  # while disabled
    assert len(await deliveries(api, tenant, subscription["id"])) == 4
    assert len(await deliveries(api, tenant, bystander["id"])) == 5


async def test_deleting_cancels_open_deliveries_and_keeps_the_log(
    api: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    subscription = await create_subscription(api, tenant)
    bystander = await create_subscription(api, tenant)
    await create_property(api, tenant)
    await create_property(api, tenant)
    first, _ = await deliveries(api, tenant, subscription["id"])
    await set_status(runtime, first["id"], "succeeded")

    assert (await api.delete(f"{PATH}/{subscription['id']}", headers=tenant.headers)).status_code == 204
    assert [status for status, _ in await outbox_statuses(runtime, subscription["id"])] == [
        "succeeded",
        "cancelled",
    ]
    assert (await outbox_statuses(runtime, subscription["id"]))[1][1] is None
    await create_property(api, tenant)
    assert len(await outbox_statuses(runtime, subscription["id"])) == 2
    assert [d["status"] for d in await deliveries(api, tenant, bystander["id"])] == ["pending"] * 3


async def _three_deliveries(api: httpx.AsyncClient, tenant: Tenant) -> tuple[str, list[dict[str, Any]]]:
    subscription = await create_subscription(api, tenant)
    for _ in range(3):
        await create_property(api, tenant)
    return subscription["id"], await deliveries(api, tenant, subscription["id"])


async def test_filters_by_status_and_creation_time(
    api: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    webhook_id, (first, second, third) = await _three_deliveries(api, tenant)
    assert first["created_at"] < second["created_at"] < third["created_at"]
    await set_status(runtime, second["id"], "dead_lettered")
    await set_status(runtime, third["id"], "succeeded")

    def ids(rows: list[dict[str, Any]]) -> list[str]:
        return [row["id"] for row in rows]

    assert ids(await deliveries(api, tenant, webhook_id, status="pending")) == [first["id"]]
    both = await deliveries(api, tenant, webhook_id, status="succeeded,pending")
    assert ids(both) == [first["id"], third["id"]]
    repeated = await api.get(
        f"{PATH}/{webhook_id}/deliveries?status=succeeded&status=dead_lettered", headers=tenant.headers
    )
    assert ids(repeated.json()) == [second["id"], third["id"]]
    assert await deliveries(api, tenant, webhook_id, status="cancelled,retrying") == []
    after = await deliveries(api, tenant, webhook_id, created_after=second["created_at"])
    assert ids(after) == [second["id"], third["id"]]
    before = await deliveries(api, tenant, webhook_id, created_before=second["created_at"])
    assert ids(before) == [first["id"]]
    window = await deliveries(
        api, tenant, webhook_id, created_after=second["created_at"], created_before=third["created_at"]
    )
    assert ids(window) == [second["id"]]
    # Offsets other than Z name the same instants.
    shifted = datetime.fromisoformat(second["created_at"]).astimezone(timezone(timedelta(hours=2)))
    assert ids(await deliveries(api, tenant, webhook_id, created_after=shifted.isoformat())) == ids(after)


async def test_pages_in_creation_order(api: httpx.AsyncClient, tenant: Tenant) -> None:
    webhook_id, rows = await _three_deliveries(api, tenant)
    pages = [await deliveries(api, tenant, webhook_id, limit=2, page_number=n) for n in range(3)]
    assert [len(page) for page in pages] == [2, 1, 0]
    assert [row for page in pages for row in page] == rows


@pytest.mark.parametrize(
    ("params", "keyword", "path"),
    [
        ({"status": "sent"}, "enum", "/status/0"),
        ({"status": "pending,Pending"}, "enum", "/status/1"),
        ({"created_after": "2024-10-05"}, "format", "/created_after"),
        ({"created_before": "yesterday"}, "format", "/created_before"),
        ({"limit": 0}, "minimum", "/limit"),
        ({"page_number": 100_001}, "maximum", "/page_number"),
        ({"account_id": str(uuid.uuid4())}, "additionalProperties", ""),
    ],
)
async def test_bad_parameters_are_400(
    api: httpx.AsyncClient, tenant: Tenant, params: dict[str, Any], keyword: str, path: str
) -> None:
    subscription = await create_subscription(api, tenant)
    response = await api.get(f"{PATH}/{subscription['id']}/deliveries", params=params, headers=tenant.headers)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "Invalid query parameters"
    assert [(d["keyword"], d["instancePath"]) for d in body["details"]] == [(keyword, path)]


async def _record_attempts(runtime: Runtime, delivery_id: str, count: int) -> None:
    """Attempt rows as the worker writes them, numbered from 1."""
    start = datetime.now(UTC)
    rows = [
        {
            "delivery_id": uuid.UUID(delivery_id),
            "attempt_number": n,
            "attempted_at": start + timedelta(seconds=n),
            "status_code": 503 if n < count else None,
            "duration_ms": 10 * n,
            "response_body": "busy" if n < count else None,
            "error": None if n < count else "connection refused",
        }
        for n in range(1, count + 1)
    ]
    async with runtime.db.transaction() as session:
        await session.execute(insert(WebhookAttempt), rows)


async def test_each_delivery_carries_its_attempts_in_order(
    api: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    webhook_id, (first, _, third) = await _three_deliveries(api, tenant)
    await _record_attempts(runtime, first["id"], 3)
    await _record_attempts(runtime, third["id"], 1)
    one, two, three = await deliveries(api, tenant, webhook_id)
    assert [a["attempt_number"] for a in one["attempts"]] == [1, 2, 3]
    assert one["attempts"][0] == {
        "attempt_number": 1,
        "attempted_at": one["attempts"][0]["attempted_at"],
        "status_code": 503,
        "duration_ms": 10,
        "error": None,
        "response": "busy",
    }
    assert (one["attempts"][2]["status_code"], one["attempts"][2]["error"]) == (None, "connection refused")
    assert two["attempts"] == []
    assert [a["attempt_number"] for a in three["attempts"]] == [1]


async def test_attempts_of_a_whole_page_are_read_in_one_query(
    api: httpx.AsyncClient, client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    """The statement count of a page does not grow with the number of deliveries on it."""
    webhook_id, rows = await _three_deliveries(api, tenant)
    for row in rows:
        await _record_attempts(runtime, row["id"], 2)
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "webhook_" in statement:  # the endpoint's own statements, not the token check
            statements.append(statement)

    engine = runtime.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        await deliveries(client, tenant, webhook_id, limit=1)
        one = len(statements)
        statements.clear()
        page = await deliveries(client, tenant, webhook_id, limit=3)
        three = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert [len(row["attempts"]) for row in page] == [2, 2, 2]
    assert three == one == 3  # the subscription, the page of deliveries, their attempts
    assert sum("webhook_attempts" in s for s in statements) == 1
