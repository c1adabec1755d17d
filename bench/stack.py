"""One run's system: an API server, a delivery worker and a receiver, all real processes.

The tenant is made with the `rentengine` CLI, everything else through the HTTP API, exactly as an
operator and an integrator would.
"""

import secrets
import sys
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.loadgen import LoadResult, run_load
from bench.processes import RENTENGINE, Process, Processes, clean_env, free_port, run_cli

API_PREFIX = "/api/public/v1"
BATCH = 100  # POST /lockbox_events takes at most 100 events per request
# The rate limiter stays on, as shipped, with a rate no benchmark reaches: its cost is measured, its
# refusals are not. Only the limiter's own figure turns it off, as its reference.
RATE_LIMIT_UNREACHED = "1000000000/minute"


def server_env(database_url: str, **webhook_settings: str) -> dict[str, str]:
    """Settings shared by the API server, the worker and the CLI of one run."""
    settings = {
        "RENTENGINE_DATABASE_URL": database_url,
        # A throwaway key per run: tokens only need to survive this run.
        "RENTENGINE_SECRET_KEY": secrets.token_urlsafe(48),
        "RENTENGINE_RATE_LIMIT": RATE_LIMIT_UNREACHED,
        "RENTENGINE_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
    }
    settings.update({f"RENTENGINE_WEBHOOK_{k.upper()}": v for k, v in webhook_settings.items()})
    return clean_env(**settings)


@dataclass
class Stack:
    procs: Processes
    env: dict[str, str]
    api: str
    receiver: str
    token: str
    account_id: str
    workers_started: int = 0
    worker: Process | None = None
    subscriptions: list[dict[str, Any]] = field(default_factory=list)
    lockbox_id: str = ""
    unit_id: int = 0

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def start_worker(self) -> None:
        self.workers_started += 1
        name = f"worker-{self.workers_started}"
        self.worker = self.procs.spawn(name, [str(RENTENGINE), "worker"], self.env)

    def kill_worker(self) -> None:
        if self.worker is not None:
            self.worker.kill()

    def stop_worker(self) -> None:
        if self.worker is not None:
            self.worker.stop()


def _tenant(env: dict[str, str]) -> tuple[str, str]:
    """(account id, token) made with the CLI, which also migrates the fresh database."""
    account_id = run_cli(env, "accounts", "create", "Bench Property Management")
    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    run_cli(env, "users", "create", email, "--account", account_id)
    token = run_cli(env, "keys", "create", "--user", email, "--name", "webhook bench")
    return account_id, token


def start_stack(procs: Processes, env: dict[str, str], receiver_args: list[str]) -> Stack:
    """Tenant, then the receiver and an API server without a worker, both up and answering."""
    account_id, token = _tenant(env)
    receiver_port, api_port = free_port(), free_port()
    receiver = procs.spawn(
        "receiver",
        [sys.executable, "-m", "bench.webhook_receiver", "--port", str(receiver_port), *receiver_args],
        env,
    )
    serve_argv = [str(RENTENGINE), "serve", "--no-worker", "--port", str(api_port)]
    server = procs.spawn("server", serve_argv, env)
    receiver_base, api_base = f"http://127.0.0.1:{receiver_port}", f"http://127.0.0.1:{api_port}"
    receiver.wait_http(f"{receiver_base}/_bench/stats")
    server.wait_http(f"{api_base}/healthz")
    return Stack(procs, env, f"{api_base}{API_PREFIX}", receiver_base, token, account_id)


async def _created(response: httpx.Response) -> Any:
    if response.status_code not in (200, 201):
        raise RuntimeError(
            f"{response.request.method} {response.request.url}: {response.status_code} {response.text}"
        )
    return response.json()


async def subscribe(client: httpx.AsyncClient, stack: Stack) -> dict[str, Any]:
    """One more subscription to the account's new lockbox events, at a receiver path of its own."""
    path = f"/hooks/{len(stack.subscriptions) + 1}"
    subscription: dict[str, Any] = await _created(
        await client.post(
            f"{stack.api}/webhooks",
            json={
                "account_id": stack.account_id,
                "url": f"{stack.receiver}{path}",
                "tables": ["lockbox_events"],
                "event_types": ["INSERT"],
            },
        )
    )
    stack.subscriptions.append(subscription)
    secrets = {path: subscription["signing_secret"]}
    (await client.post(f"{stack.receiver}/_bench/config", json={"secrets": secrets})).raise_for_status()
    return subscription


@dataclass(frozen=True)
class Tenant:
    """An account of its own, with an API token, one unit and one lockbox."""

    account_id: str
    token: str
    unit_id: int
    lockbox_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def _unit_and_lockbox(
    client: httpx.AsyncClient, api: str, account_id: str, headers: dict[str, str]
) -> tuple[int, str]:
    unit = await _created(
        await client.post(
            f"{api}/units",
            json={
                "account_id": account_id,
                "address": {
                    "street_number": "12",
                    "street_name": "Elm St",
                    "city": "Austin",
                    "state": "TX",
                    "zip_code": "78701",
                },
                "property_type": "SINGLE FAMILY RESIDENCE",
                "target_rental_rate": 1850,
            },
            headers=headers,
        )
    )
    [lockbox] = await _created(
        await client.post(
            f"{api}/lockboxes",
            json={
                "lockbox_type": "Sentrilock",
                "serial_numbers": [f"SL-BENCH-{uuid.uuid4().hex[:8]}"],
                "account_id": account_id,
            },
            headers=headers,
        )
    )
    return int(unit["id"]), str(lockbox["id"])


async def prepare(client: httpx.AsyncClient, stack: Stack) -> None:
    """A unit, a lockbox and one subscription to the lockbox events of the account."""
    stack.unit_id, stack.lockbox_id = await _unit_and_lockbox(
        client, stack.api, stack.account_id, stack.headers
    )
    await subscribe(client, stack)


async def another_tenant(client: httpx.AsyncClient, stack: Stack) -> Tenant:
    """A second account (its own user and token), with a unit and a lockbox and no subscription."""
    account_id, token = _tenant(stack.env)
    headers = {"Authorization": f"Bearer {token}"}
    unit_id, lockbox_id = await _unit_and_lockbox(client, stack.api, account_id, headers)
    return Tenant(account_id, token, unit_id, lockbox_id)


def lockbox_events(lockbox_id: str, unit_id: int, count: int, tag: object) -> list[dict[str, Any]]:
    """`count` valid events for POST /lockbox_events, alternately Install and Uninstall."""
    kinds = ("Install", "Uninstall")
    return [
        {
            "lockbox_id": lockbox_id,
            "event_type": kinds[n % 2],
            "unit_id": unit_id,
            "metadata": {"batch": tag, "n": n},
        }
        for n in range(count)
    ]


async def post_changes(
    client: httpx.AsyncClient,
    stack: Stack,
    changes: int,
    concurrency: int = 2,
    pace_seconds: float = 0.0,
    batch: int = BATCH,
) -> LoadResult:
    """`changes` lockbox events through POST /lockbox_events, `batch` (at most 100) per request."""
    sizes = [min(batch, changes - start) for start in range(0, changes, batch)]

    async def send(i: int) -> int:
        events = lockbox_events(stack.lockbox_id, stack.unit_id, sizes[i], i)
        response = await client.post(f"{stack.api}/lockbox_events", json={"events": events})
        if response.status_code != 201:
            raise RuntimeError(f"POST /lockbox_events: {response.status_code} {response.text}")
        return response.status_code

    return await run_load(len(sizes), concurrency, send, pace_seconds)
