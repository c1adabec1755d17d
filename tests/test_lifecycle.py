"""`rentengine serve` and `rentengine worker` stopped by SIGTERM, as an orchestrator stops a node.

serve: requests in flight finish with their 2xx, new connections are refused at once, and the
command exits 0; a request that outlasts RENTENGINE_SHUTDOWN_GRACE_SECONDS is cut and the command
still exits 0 in time. worker: the attempts on the wire to a slow receiver finish and are recorded,
the deliveries it had claimed but not started are claimable again at once, and it exits 0.

The requests in flight are real and slow for an honest reason: their bodies arrive slowly, as from
a client on a poor link. Their headers are sent before the signal, the rest of the body after it.
"""

import asyncio
import signal
import subprocess
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson
import pytest
from sqlalchemy import func, select, text

from rentengine.app import create_app
from rentengine.kit.clock import utc_now
from rentengine.properties.models import MultifamilyProperty
from rentengine.runtime import Runtime
from rentengine.webhooks.delivery.service import claim_due
from rentengine.webhooks.models import WebhookDelivery
from rentengine.webhooks.secrets import keyring_of
from tests.conftest import make_settings
from tests.databases import throwaway_database
from tests.factories import Tenant, make_tenant, property_body
from tests.servers import RENTENGINE, start_serve, user_environment, wait_until_up
from tests.webhooks.receiver import Receiver, Reply, running_receiver

# Requests in flight when the signal arrives.
IN_FLIGHT = 4
# Long enough for the server to have read the request line and headers sent before the signal.
HEADERS_READ_SECONDS = 1.0
# How slowly the rest of each body arrives after the signal: this many pieces, this far apart.
BODY_PIECES, PIECE_SECONDS = 5, 0.3


@dataclass
class Node:
    database_url: str
    runtime: Runtime
    tenant: Tenant


@pytest.fixture(scope="module")
async def node(backend: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Node]:
    async with throwaway_database(backend, tmp_path_factory.mktemp("lifecycle")) as url:
        runtime = Runtime.build(make_settings(url, webhook_allow_private_targets=True))
        try:
            yield Node(url, runtime, await make_tenant(runtime))
        finally:
            await runtime.close()


@dataclass
class SlowCreate:
    """A property create whose body is sent in pieces over a raw connection."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    body: bytes
    sent: int = 0

    @classmethod
    async def start(cls, port: int, tenant: Tenant, name: str) -> "SlowCreate":
        body = orjson.dumps(property_body(tenant.account_id, community_name=name))
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        head = (
            "POST /api/public/v1/multifamily_properties HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\nAuthorization: Bearer {tenant.token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        request = cls(reader, writer, body)
        writer.write(head.encode())
        await request.send(1)  # the server now holds a request whose body is on its way
        return request

    async def send(self, count: int) -> None:
        self.writer.write(self.body[self.sent : self.sent + count])
        self.sent += count
        await self.writer.drain()

    async def finish_slowly(self) -> tuple[int, bytes, bytes]:
        """Sends the rest in BODY_PIECES pieces; returns the status, headers and body of the answer."""
        piece = -(-(len(self.body) - self.sent) // BODY_PIECES)
        while self.sent < len(self.body):
            await asyncio.sleep(PIECE_SECONDS)
            await self.send(piece)
        answer = await asyncio.wait_for(self.reader.read(), 30)  # the server closes after answering
        self.writer.close()
        head, _, body = answer.partition(b"\r\n\r\n")
        return int(head.split(b" ", 2)[1]), head.lower(), body


async def refused(port: int, within: float) -> float:
    """Seconds until a new connection to `port` is refused; fails after `within` seconds."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except ConnectionRefusedError:
            return time.monotonic() - started
        writer.close()
        await asyncio.sleep(0.05)
    raise AssertionError(f"new connections were still accepted {within} s after SIGTERM")


async def serve(node: Node, tmp_path: Path, grace: int, *options: str) -> tuple[subprocess.Popen[bytes], int]:
    env = user_environment(
        node.database_url, RENTENGINE_RATE_LIMIT="off", RENTENGINE_SHUTDOWN_GRACE_SECONDS=str(grace)
    )
    log = tmp_path / "serve.log"
    process, base = start_serve(env, log, "--no-worker", *options)
    await asyncio.to_thread(wait_until_up, process, base, log)
    return process, int(base.rsplit(":", 1)[1])


async def exit_status(process: subprocess.Popen[bytes], within: float) -> tuple[int, float]:
    started = time.monotonic()
    returncode = await asyncio.to_thread(process.wait, within)
    return returncode, time.monotonic() - started


async def properties_named(runtime: Runtime, prefix: str) -> int:
    async with runtime.db.transaction(writes=False) as session:
        named = MultifamilyProperty.community_name.startswith(prefix)
        return int(await session.scalar(select(func.count()).where(named)) or 0)


@pytest.mark.parametrize("workers", [1, 2])
async def test_sigterm_finishes_requests_in_flight_refuses_new_ones_and_exits_0(
    node: Node, tmp_path: Path, workers: int
) -> None:
    process, port = await serve(node, tmp_path, 30, "--workers", str(workers))
    try:
        prefix = f"Drained {workers} "
        slow = [await SlowCreate.start(port, node.tenant, f"{prefix}{n}") for n in range(IN_FLIGHT)]
        await asyncio.sleep(HEADERS_READ_SECONDS)
        process.send_signal(signal.SIGTERM)
        await refused(port, within=10)
        answers = await asyncio.gather(*(request.finish_slowly() for request in slow))
        returncode, _ = await exit_status(process, within=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    log = (tmp_path / "serve.log").read_text()
    assert returncode == 0, log
    for status, head, body in answers:
        assert status == 200, body
        assert b"connection: close" in head  # the server said it would take no more on it
        assert orjson.loads(body)[0]["community_name"].startswith(prefix)
    assert await properties_named(node.runtime, prefix) == IN_FLIGHT
    assert "SIGTERM received: draining, /readyz answers 503" in log


async def test_a_request_that_outlasts_the_grace_period_is_cut_and_serve_still_exits_0(
    node: Node, tmp_path: Path
) -> None:
    grace = 2
    process, port = await serve(node, tmp_path, grace)
    try:
        stuck = await SlowCreate.start(port, node.tenant, "Never finished")
        await asyncio.sleep(HEADERS_READ_SECONDS)
        process.send_signal(signal.SIGTERM)
        returncode, took = await exit_status(process, within=60)
        answer = await asyncio.wait_for(stuck.reader.read(), 10)  # the body never came: no answer
        stuck.writer.close()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    log = (tmp_path / "serve.log").read_text()
    assert returncode == 0, log
    assert grace <= took < grace + 10, log
    assert not answer.startswith(b"HTTP/1.1 2")
    assert "timeout graceful shutdown exceeded" in log
    assert await properties_named(node.runtime, "Never finished") == 0


# Subscriptions (each a lane of its own, one send at a time to start with) and events for each.
SUBSCRIPTIONS, EVENTS_EACH = 3, 4
RECEIVER_DELAY_SECONDS = 2.0


async def subscribed_events(node: Node, receiver: Receiver) -> dict[str, str]:
    """Through the API: SUBSCRIPTIONS subscriptions, then EVENTS_EACH property creates (each sent to
    every subscription); returns each subscription's receiver path by its id."""
    paths: dict[str, str] = {}
    tenant, account = node.tenant, str(node.tenant.account_id)
    transport = httpx.ASGITransport(app=create_app(node.runtime.settings, node.runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver/api/public/v1") as api:
        for n in range(SUBSCRIPTIONS):
            url = receiver.url(f"/hooks/{n}")
            body = {
                "account_id": account,
                "url": url,
                "tables": ["multifamily_properties"],
                "event_types": ["INSERT"],
            }
            response = await api.post("/webhooks", json=body, headers=tenant.headers)
            assert response.status_code == 201, response.text
            paths[response.json()["id"]] = f"/hooks/{n}"
        for n in range(EVENTS_EACH):
            created = property_body(tenant.account_id, community_name=f"Delivered {n}")
            response = await api.post("/multifamily_properties", json=created, headers=tenant.headers)
            assert response.status_code == 200, response.text
    return paths


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen([str(RENTENGINE), "worker"], env=env, stdout=out, stderr=out)


async def deliveries_of(runtime: Runtime) -> list[WebhookDelivery]:
    async with runtime.db.transaction(writes=False) as session:
        return list((await session.scalars(select(WebhookDelivery))).all())


async def test_sigterm_lets_the_worker_finish_attempts_on_the_wire_and_hand_back_the_rest(
    node: Node, tmp_path: Path
) -> None:
    env = user_environment(node.database_url, RENTENGINE_WEBHOOK_ALLOW_PRIVATE_TARGETS="true")
    log = tmp_path / "worker.log"
    async with running_receiver() as receiver:
        receiver.default = Reply(delay=RECEIVER_DELAY_SECONDS)
        paths = await subscribed_events(node, receiver)
        process = start_worker(env, log)
        try:
            on_the_wire = await receiver.wait_for(SUBSCRIPTIONS, within=60)  # one per lane, unanswered
            process.send_signal(signal.SIGTERM)
            returncode, _ = await exit_status(process, within=60)  # the receiver answers meanwhile
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    output = log.read_text()
    assert returncode == 0, output
    assert output.rstrip().endswith("stopped"), output

    rows = await deliveries_of(node.runtime)
    assert len(rows) == SUBSCRIPTIONS * EVENTS_EACH
    succeeded = {(paths[str(row.webhook_id)], row.event_id) for row in rows if row.status == "succeeded"}
    # Every request that reached the receiver was answered and recorded: none is left to run out.
    assert succeeded == {(request.path, request.headers["webhook-id"]) for request in receiver.requests}
    assert len(succeeded) >= len(on_the_wire) == SUBSCRIPTIONS
    handed_back = [row for row in rows if row.status != "succeeded"]
    assert handed_back  # claimed in the same batches, still waiting in their lanes at the signal
    assert {row.status for row in handed_back} == {"pending"}
    assert all(row.lease_owner is None for row in handed_back)
    async with node.runtime.db.transaction() as session:
        keyring = keyring_of(node.runtime.settings)
        claimed = await claim_due(session, "the next worker", 100, 60, keyring)
    assert {job.id for job in claimed} == {row.id for row in handed_back}  # at once, no lease to wait for
    assert all(row.lease_expires_at is None or row.lease_expires_at <= utc_now() for row in handed_back)


async def test_a_node_restarting_during_a_rolling_upgrade_starts_on_the_newer_schema(
    backend: str, tmp_path: Path
) -> None:
    """The next release migrated (a revision this one does not know); a node of this release that
    (re)starts now leaves the schema alone instead of refusing it, and is ready."""
    async with throwaway_database(backend, tmp_path) as url:
        runtime = Runtime.build(make_settings(url))
        async with runtime.db.transaction() as session:
            await session.execute(text("UPDATE alembic_version SET version_num = 'from_the_next_release'"))
        await runtime.close()
        env = user_environment(url)
        migrated = await asyncio.to_thread(
            subprocess.run, [str(RENTENGINE), "migrate"], env=env, capture_output=True, timeout=120
        )
        assert migrated.returncode == 0, migrated.stderr
        assert b"from_the_next_release, newer than this release's: left as it is" in migrated.stderr
        log = tmp_path / "serve.log"
        process, base = start_serve(env, log, "--no-worker")
        try:
            await asyncio.to_thread(wait_until_up, process, base, log)
            async with httpx.AsyncClient(base_url=base) as client:
                ready = await client.get("/readyz")
        finally:
            process.terminate()
            await asyncio.to_thread(process.wait, 60)
    assert ready.status_code == 200, ready.text
    assert process.returncode == 0
