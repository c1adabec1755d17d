"""The shipped server under real concurrency: 128 clients against `rentengine serve` as the README starts it.

Defaults throughout (rate limit on, default pool, in-process delivery worker); only the database
and the secret the test's keys are signed with are set. Half the clients share one key, so they run
into the rate limit; the others have a key each and mostly get through to the database. Reads,
deep pages and writes are mixed. Every answer must be a 200/201 or a 429, none may time out, and
the server must still answer a fresh key at once afterwards.
"""

import asyncio
import collections
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from rentengine.runtime import Runtime
from tests.conftest import TEST_SECRET
from tests.factories import Tenant, make_key, make_tenant, property_body
from tests.ports import free_port

CLIENTS = 128
SECONDS = 10.0
REQUEST_TIMEOUT = 10.0
RENTENGINE = Path(sys.executable).with_name("rentengine")
API = "/api/public/v1"

pytestmark = pytest.mark.slow


def _user_environment(database_url: str) -> dict[str, str]:
    """The environment of a user who set only the database and the secret key."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("RENTENGINE_")}
    return {**env, "RENTENGINE_DATABASE_URL": database_url, "RENTENGINE_SECRET_KEY": TEST_SECRET}


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port, log = free_port(), tmp_path_factory.mktemp("load") / "serve.log"
    env = _user_environment(database_url)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(RENTENGINE), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(process, base, log)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_until_up(process: subprocess.Popen[bytes], base: str, log: Path) -> None:
    deadline = time.monotonic() + 120  # a loaded machine starts processes slowly
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"server did not start:\n{log.read_text()}")


def _load_demo_units(database_url: str, tenant: Tenant) -> None:
    command = [str(RENTENGINE), "demo-data", "--account", str(tenant.account_id), "--units", "500"]
    command += ["--lockbox-events", "3000", "--properties", "20", "--quiet"]
    subprocess.run(command, env=_user_environment(database_url), check=True, capture_output=True, timeout=300)


class Load:
    """Counts every answer by status (or by the kind of failure) across the clients."""

    def __init__(self, base: str, tenant: Tenant) -> None:
        self.base = base
        self.tenant = tenant
        self.outcomes: collections.Counter[str] = collections.Counter()

    def request_for(self, n: int) -> tuple[str, str, dict[str, object] | None]:
        kind = n % 10
        if kind == 0:
            return "POST", "/multifamily_properties", property_body(self.tenant.account_id)
        if kind in (1, 2):
            return "GET", f"/lockbox_events?limit=100&page_number={n % 25}", None
        return "GET", f"/units?limit=100&page_number={n % 5}", None

    async def client(self, http: httpx.AsyncClient, token: str, seed: int, stop: float) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        n = seed
        while time.monotonic() < stop:
            method, path, body = self.request_for(n)
            n += 1
            try:
                response = await http.request(method, f"{self.base}{API}{path}", json=body, headers=headers)
                self.outcomes[str(response.status_code)] += 1
            except httpx.TimeoutException:
                self.outcomes["timeout"] += 1
            except httpx.HTTPError as exc:
                self.outcomes[type(exc).__name__] += 1

    async def run(self, tokens: list[str]) -> None:
        limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
        async with httpx.AsyncClient(limits=limits, timeout=REQUEST_TIMEOUT) as http:
            stop = time.monotonic() + SECONDS
            await asyncio.gather(*(self.client(http, token, n, stop) for n, token in enumerate(tokens)))


async def test_128_clients_get_answers_and_the_server_keeps_answering(
    server: str, database_url: str, runtime: Runtime
) -> None:
    tenant = await make_tenant(runtime)
    await asyncio.to_thread(_load_demo_units, database_url, tenant)
    own_keys = [(await make_key(runtime, tenant, f"client {n}"))[1] for n in range(CLIENTS // 2)]
    tokens = [tenant.token] * (CLIENTS // 2) + own_keys
    load = Load(server, tenant)

    await load.run(tokens)

    outcomes = dict(load.outcomes)
    assert set(outcomes) <= {"200", "201", "429"}, outcomes
    assert outcomes.get("200", 0) > CLIENTS, outcomes  # the clients with keys of their own got through
    assert outcomes.get("429", 0) > 0, outcomes  # and the shared key ran into its limit
    _, fresh = await make_key(runtime, tenant, "after the load")
    started = time.monotonic()
    async with httpx.AsyncClient(timeout=5) as http:
        response = await http.get(
            f"{server}{API}/units?limit=1", headers={"Authorization": f"Bearer {fresh}"}
        )
    assert response.status_code == 200
    assert time.monotonic() - started < 1.0
