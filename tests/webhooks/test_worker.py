"""The delivery worker's mechanics on both databases: atomic claims, leases, wake-ups, stopping,
retention, and `rentengine worker` / `rentengine serve` as real processes.

Subscriptions are inserted directly (a plain factory) and changes go through the change seam, so
these tests exercise the worker without the management API in between.
"""

import asyncio
import os
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text

from rentengine.changes.seam import record_changes
from rentengine.changes.types import Actor, Change
from rentengine.db.session import Database
from rentengine.kit.clock import utc_now
from rentengine.kit.ids import new_uuid
from rentengine.runtime import Runtime
from rentengine.webhooks.delivery.service import claim_due
from rentengine.webhooks.delivery.signing import new_signing_secret
from rentengine.webhooks.delivery.worker import LISTEN_APPLICATION_NAME, DeliveryWorker
from rentengine.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from rentengine.webhooks.secrets import keyring_of, seal_signing_secret
from tests.conftest import TEST_SECRET, make_settings
from tests.factories import Tenant, property_body
from tests.ports import free_port
from tests.webhooks.receiver import (
    Received,
    Receiver,
    Reply,
    cancel_open_deliveries,
    fresh_database,
    running_worker,
    settings_with,
    wait_until,
)

RENTENGINE = Path(sys.executable).with_name("rentengine")
# The keyring of every runtime here (they share the test secret key): rows written straight into the
# table are encrypted with it, as the service would.
KEYRING = keyring_of(make_settings("sqlite:///unused.db"))


@pytest.fixture(scope="module")
async def hooks(backend: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Runtime]:
    async with fresh_database(backend, tmp_path_factory.mktemp("worker")) as url:
        runtime = Runtime.build(make_settings(url, webhook_allow_private_targets=True))
        try:
            yield runtime
        finally:
            await runtime.db.dispose()


@pytest.fixture(autouse=True)
async def _nothing_left_due(hooks: Runtime) -> AsyncIterator[None]:
    yield
    await cancel_open_deliveries(hooks.db)


async def make_subscription(
    db: Database, account_id: uuid.UUID, url: str, **fields: Any
) -> WebhookSubscription:
    now = utc_now()
    webhook_id = new_uuid()
    values: dict[str, Any] = {
        "id": webhook_id,
        "account_id": account_id,
        "url": url,
        "tables": ["units"],
        "event_types": ["INSERT", "UPDATE", "DELETE"],
        "api_key_sealed": None,
        "signing_secret_sealed": seal_signing_secret(KEYRING, webhook_id, new_signing_secret()),
        "enabled": True,
        "created_at": now,
        "updated_at": now,
        **fields,
    }
    row = WebhookSubscription(**values)
    async with db.transaction() as session:
        session.add(row)
    return row


async def emit(db: Database, account_id: uuid.UUID, count: int = 1) -> list[int]:
    """`count` unit INSERTs, each committed on its own, through the change seam; returns their ids."""
    ids = [int(time.monotonic_ns() % 10**9) + n for n in range(count)]
    for unit_id in ids:
        async with db.transaction() as session:
            change = Change.insert("units", account_id, {"id": unit_id, "account_id": str(account_id)})
            await record_changes(session, Actor(user_id=None), [change])
    return ids


async def rows_of(db: Database, webhook_id: uuid.UUID) -> Sequence[WebhookDelivery]:
    async with db.transaction(writes=False) as session:
        stmt = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
        return (await session.scalars(stmt.order_by(WebhookDelivery.created_at))).all()


async def statuses_become(db: Database, webhook_id: uuid.UUID, statuses: list[str]) -> None:
    async def reached() -> bool:
        return [row.status for row in await rows_of(db, webhook_id)] == statuses

    await wait_until(reached, f"statuses {statuses}")


async def test_concurrent_claims_share_nothing_and_miss_nothing(hooks: Runtime, owner: Tenant) -> None:
    subscription = await make_subscription(hooks.db, owner.account_id, "http://127.0.0.1:9/unused")
    await emit(hooks.db, owner.account_id, 40)

    async def claim(name: str) -> list[uuid.UUID]:
        async with hooks.db.transaction() as session:
            return [job.id for job in await claim_due(session, name, 15, 60, KEYRING)]

    batches = await asyncio.gather(*(claim(f"worker-{n}") for n in range(4)))
    claimed = [job_id for batch in batches for job_id in batch]
    assert len(claimed) == len(set(claimed)) == 40
    assert all(len(batch) <= 15 for batch in batches)
    assert await claim("latecomer") == []  # every lease still runs
    rows = await rows_of(hooks.db, subscription.id)
    assert {row.lease_owner for row in rows} == {f"worker-{n}" for n, b in enumerate(batches) if b}


async def test_a_claim_cancels_deliveries_of_disabled_or_deleted_subscriptions(
    hooks: Runtime, owner: Tenant
) -> None:
    # Written straight into the table: the API cancels these itself when it disables or deletes.
    disabled = await make_subscription(hooks.db, owner.account_id, "http://127.0.0.1:9/a")
    deleted = await make_subscription(hooks.db, owner.account_id, "http://127.0.0.1:9/b")
    await emit(hooks.db, owner.account_id)
    async with hooks.db.transaction() as session:
        (await session.get_one(WebhookSubscription, disabled.id)).enabled = False
        (await session.get_one(WebhookSubscription, deleted.id)).deleted_at = utc_now()
    async with hooks.db.transaction() as session:
        assert await claim_due(session, "worker", 10, 60, KEYRING) == []
    for subscription in (disabled, deleted):
        assert [row.status for row in await rows_of(hooks.db, subscription.id)] == ["cancelled"]


async def test_a_killed_workers_lease_runs_out_and_another_worker_delivers(
    hooks: Runtime, owner: Tenant, receiver: Receiver
) -> None:
    settings = settings_with(hooks.settings, webhook_lease_seconds=5)
    subscription = await make_subscription(hooks.db, owner.account_id, receiver.url())
    await emit(hooks.db, owner.account_id)
    killed = DeliveryWorker(settings, hooks.db)  # claims, then never reports back
    async with hooks.db.transaction() as session:
        [job] = await claim_due(session, killed.name, 10, settings.webhook_lease_seconds, KEYRING)
    claimed_at = time.monotonic()
    async with running_worker(settings, hooks.db) as survivor:
        [request] = await receiver.wait_for(1)
        await statuses_become(hooks.db, subscription.id, ["succeeded"])
    assert request.at - claimed_at >= 4.5  # not before the dead worker's lease ran out
    assert request.headers["webhook-id"] == job.event_id
    [row] = await rows_of(hooks.db, subscription.id)
    assert (row.attempt_count, row.lease_owner) == (1, None)
    assert survivor.name != killed.name


async def test_stopping_finishes_the_attempt_on_the_wire_and_hands_back_the_rest(
    hooks: Runtime, owner: Tenant, receiver: Receiver
) -> None:
    settings = settings_with(hooks.settings, webhook_concurrency=1)
    subscription = await make_subscription(hooks.db, owner.account_id, receiver.url())
    await emit(hooks.db, owner.account_id, 3)
    receiver.reply_with(Reply(delay=1))
    async with running_worker(settings, hooks.db):
        await receiver.wait_for(1)
    rows = await rows_of(hooks.db, subscription.id)
    assert [(r.status, r.lease_owner) for r in rows] == [
        ("succeeded", None),
        ("pending", None),
        ("pending", None),
    ]
    assert len(receiver.requests) == 1
    started = time.monotonic()
    async with running_worker(settings, hooks.db):  # no lease to wait for: the rest go at once
        await statuses_become(hooks.db, subscription.id, ["succeeded"] * 3)
    assert time.monotonic() - started < settings.webhook_lease_seconds
    assert len(receiver.requests) == 3


def _gaps(requests: Sequence[Received]) -> list[float]:
    """Seconds between consecutive arrivals."""
    return [later.at - earlier.at for earlier, later in pairwise(requests)]


async def test_a_subscription_gets_several_requests_in_flight_while_it_answers_2xx(
    hooks: Runtime, owner: Tenant, receiver: Receiver
) -> None:
    subscription = await make_subscription(hooks.db, owner.account_id, receiver.url())
    await emit(hooks.db, owner.account_id, 40)
    receiver.default = Reply(delay=0.05)
    started = time.monotonic()
    async with running_worker(hooks.settings, hooks.db):
        requests = await receiver.wait_for(40)
        await statuses_become(hooks.db, subscription.id, ["succeeded"] * 40)
    # One at a time this takes 40 x 50 ms; the window opens after the first successes.
    assert time.monotonic() - started < 1.5
    assert sum(gap < 0.025 for gap in _gaps(requests)) >= 20
    assert len({r.headers["webhook-id"] for r in requests}) == 40


async def test_a_failing_subscription_gets_one_request_at_a_time(
    hooks: Runtime, owner: Tenant, receiver: Receiver
) -> None:
    subscription = await make_subscription(hooks.db, owner.account_id, receiver.url())
    # Two successes open the window to 4; then every answer is a failure.
    await emit(hooks.db, owner.account_id, 2)
    async with running_worker(hooks.settings, hooks.db) as worker:
        await receiver.wait_for(2)
        await statuses_become(hooks.db, subscription.id, ["succeeded"] * 2)
        await _idle(worker)
        receiver.default = Reply(503, delay=0.05)
        await emit(hooks.db, owner.account_id, 8)
        requests = (await receiver.wait_for(10))[2:]
        await statuses_become(hooks.db, subscription.id, ["succeeded"] * 2 + ["retrying"] * 8)
    # The window the lane had (4) lets the first few go together; after the first failure, one.
    assert all(gap >= 0.045 for gap in _gaps(requests)[4:])


async def test_another_process_commit_wakes_an_idle_worker_whose_poll_is_far_away(
    backend: str, hooks: Runtime, owner: Tenant, receiver: Receiver
) -> None:
    """PostgreSQL: NOTIFY, also after the LISTEN connection was lost. SQLite: the 20 ms peek."""
    await make_subscription(hooks.db, owner.account_id, receiver.url())
    # Another Database stands for another process: its commits wake nobody here in process.
    elsewhere = Database(hooks.settings.database_url, pool_size=1)
    try:
        async with running_worker(hooks.settings, hooks.db, poll_seconds=120) as worker:
            first = await _listening_pid(hooks.db) if backend == "postgresql" else 0
            await _idle(worker)
            await emit(elsewhere, owner.account_id)
            await receiver.wait_for(1, within=5)
            if backend == "postgresql":
                async with hooks.db.transaction() as session:
                    await session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
                await wait_until(lambda: _listener_replaced(hooks.db, first), "a new LISTEN connection")
                await _idle(worker)
                await emit(elsewhere, owner.account_id)
                await receiver.wait_for(2, within=5)
    finally:
        await elsewhere.dispose()


async def _idle(worker: DeliveryWorker) -> None:
    async def idle() -> bool:
        return worker.is_idle()

    await wait_until(idle, "the worker to be idle")


async def _listener_replaced(db: Database, old: int) -> bool:
    return await _listening_pid(db) != old


async def _listening_pid(db: Database) -> int:
    found: list[int] = []

    async def listening() -> bool:
        async with db.transaction(writes=False) as session:
            stmt = text(
                "SELECT pid FROM pg_stat_activity"
                " WHERE application_name = :name AND datname = current_database()"
            )
            found[:] = (await session.scalars(stmt, {"name": LISTEN_APPLICATION_NAME})).all()
        return len(found) == 1

    await wait_until(listening, "the worker's LISTEN connection")
    return found[0]


async def test_retention_removes_finished_deliveries_past_the_period_and_keeps_the_rest(
    hooks: Runtime, owner: Tenant
) -> None:
    live = await make_subscription(hooks.db, owner.account_id, "http://127.0.0.1:9/live")
    old_deleted = await make_subscription(
        hooks.db, owner.account_id, "http://127.0.0.1:9/gone", deleted_at=utc_now() - timedelta(days=31)
    )
    old, recent = utc_now() - timedelta(days=31), utc_now() - timedelta(days=29)
    expiring = [
        await _delivery(hooks.db, live, "succeeded", old, attempts=2),
        await _delivery(hooks.db, live, "dead_lettered", old),
        await _delivery(hooks.db, old_deleted, "cancelled", old),
    ]
    kept = [
        await _delivery(hooks.db, live, "retrying", old),
        await _delivery(hooks.db, live, "succeeded", recent),
    ]

    worker = DeliveryWorker(settings_with(hooks.settings, webhook_retention_days=30), hooks.db)
    assert await worker.purge_expired() == 3
    assert [row.id for row in await rows_of(hooks.db, live.id)] == kept
    async with hooks.db.transaction(writes=False) as session:
        attempts = select(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(expiring))
        assert (await session.scalars(attempts)).all() == []
        assert await session.get(WebhookSubscription, old_deleted.id) is None
        assert await session.get(WebhookSubscription, live.id) is not None


async def _delivery(
    db: Database, subscription: WebhookSubscription, status: str, created_at: Any, attempts: int = 1
) -> uuid.UUID:
    row_id = new_uuid()
    async with db.transaction() as session:
        session.add(
            WebhookDelivery(
                id=row_id,
                webhook_id=subscription.id,
                account_id=subscription.account_id,
                event_id=f"msg_{row_id.hex}",
                table="units",
                type="INSERT",
                payload='{"type":"INSERT","table":"units","record":{"id":1},"old_record":null}',
                status=status,
                attempt_count=attempts,
                next_attempt_at=created_at if status == "retrying" else None,
                created_at=created_at,
                updated_at=created_at,
            )
        )
        await session.flush()
        for n in range(1, attempts + 1):
            session.add(WebhookAttempt(delivery_id=row_id, attempt_number=n, attempted_at=created_at))
    return row_id


async def _spawn(database_url: str, log: Path, *args: str) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RENTENGINE_")}
    env |= {
        "RENTENGINE_DATABASE_URL": database_url,
        "RENTENGINE_SECRET_KEY": TEST_SECRET,
        "RENTENGINE_RATE_LIMIT": "off",
        "RENTENGINE_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
    }
    with log.open("wb") as out:
        return await asyncio.create_subprocess_exec(str(RENTENGINE), *args, env=env, stdout=out, stderr=out)


async def _stop(process: asyncio.subprocess.Process, log: Path) -> str:
    """SIGTERM, then the exit status must say it stopped on its own; returns the process's output."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    returncode = await asyncio.wait_for(process.wait(), 30)
    output = await asyncio.to_thread(log.read_text)
    # uvicorn re-raises the signal once its shutdown is complete.
    assert returncode in (0, -signal.SIGTERM), output
    return output


async def test_the_worker_command_delivers_and_stops_cleanly_on_sigterm(
    hooks: Runtime, owner: Tenant, receiver: Receiver, tmp_path: Path
) -> None:
    subscription = await make_subscription(hooks.db, owner.account_id, receiver.url())
    port, log = free_port(), tmp_path / "worker.log"
    process = await _spawn(hooks.settings.database_url, log, "worker", "--metrics-port", str(port))
    try:
        [unit_id] = await emit(hooks.db, owner.account_id)
        [request] = await receiver.wait_for(1, within=60)
        await statuses_become(hooks.db, subscription.id, ["succeeded"])
        scraped = ""

        async def counted() -> bool:
            nonlocal scraped
            async with httpx.AsyncClient() as client:
                scraped = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
            return "rentengine_webhook_deliveries_succeeded_total 1.0" in scraped

        await wait_until(counted, "the worker's metrics")
    finally:
        output = await _stop(process, log)
    assert process.returncode == 0
    assert request.json()["record"]["id"] == unit_id
    assert 'rentengine_webhook_attempts_total{outcome="succeeded"} 1.0' in scraped
    assert "webhook worker" in output
    assert output.rstrip().endswith("stopped")


async def test_serve_delivers_in_process(
    hooks: Runtime, owner: Tenant, receiver: Receiver, tmp_path: Path
) -> None:
    await make_subscription(hooks.db, owner.account_id, receiver.url(), tables=["multifamily_properties"])
    port, log = free_port(), tmp_path / "serve.log"
    process = await _spawn(hooks.settings.database_url, log, "serve", "--port", str(port))
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, headers=owner.headers, timeout=30) as client:

            async def up() -> bool:
                assert process.returncode is None, log.read_text()
                try:
                    return (await client.get("/healthz")).status_code == 200
                except httpx.TransportError:
                    return False

            await wait_until(up, "the server to answer", within=60)
            body = property_body(owner.account_id)
            response = await client.post("/api/public/v1/multifamily_properties", json=body)
            assert response.status_code == 200, response.text
        [request] = await receiver.wait_for(1)
    finally:
        output = await _stop(process, log)
    assert request.json()["record"] == response.json()[0]
    assert "Application shutdown complete" in output
