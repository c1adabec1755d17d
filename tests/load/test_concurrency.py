"""The shipped server under real concurrency: 128 clients against `rentengine serve` as the README starts it.

Defaults throughout (rate limit on, default pool, in-process delivery worker); only the database
and the secret the test's keys are signed with are set. Half the clients share one key, so they run
into the rate limit; the others have a key each and mostly get through to the database. Reads,
deep pages and writes are mixed. Every answer must be a 200/201 or a 429, none may time out, and
the server must still answer a fresh key at once afterwards.
"""

import asyncio
import collections
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from rentengine.runtime import Runtime
from tests.factories import Tenant, make_key, make_tenant, property_body
from tests.servers import RENTENGINE, serving, user_environment

CLIENTS = 128
SECONDS = 10.0
REQUEST_TIMEOUT = 10.0
API = "/api/public/v1"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("load") / "serve.log"
    with serving(user_environment(database_url), log) as base:
        yield base


def _load_demo_units(database_url: str, tenant: Tenant) -> None:
    command = [str(RENTENGINE), "demo-data", "--account", str(tenant.account_id), "--units", "500"]
    command += ["--lockbox-events", "3000", "--properties", "20", "--quiet"]
    subprocess.run(command, env=user_environment(database_url), check=True, capture_output=True, timeout=300)


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
