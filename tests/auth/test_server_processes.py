"""Real `rentengine serve` processes on one database: the rate limit spans them; bodies are capped.

The first server runs `--workers 2` (two processes sharing its port), the second one process; they
share the rate limit through the database or through Redis.
"""

import asyncio
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from rentengine.runtime import Runtime
from tests.factories import make_tenant
from tests.servers import start_serve, stop, user_environment, wait_until_up

LIMIT = 5
# Long enough that every request of a test falls inside one window.
RATE = f"{LIMIT}/minute"
WORKERS_OF_FIRST = 2
# The pids of the servers' main processes, set by the fixture.
SERVER_PIDS: list[int] = []

pytestmark = pytest.mark.slow


@contextmanager
def _running(database_url: str, logs: Path, storage: str | None, workers: list[int]) -> Iterator[list[str]]:
    """Base URLs of `rentengine serve --no-worker` servers on one database, one per `workers` item."""
    settings = {"RENTENGINE_RATE_LIMIT": RATE}
    if storage is not None:
        settings["RENTENGINE_RATE_LIMIT_STORAGE"] = storage
    env = user_environment(database_url, **settings)
    started = []
    for n, count in enumerate(workers):
        log = logs / f"server-{n}.log"
        options = ["--no-worker", *(["--workers", str(count)] if count > 1 else [])]
        started.append((*start_serve(env, log, *options), log))
    try:
        for process, base, log in started:
            wait_until_up(process, base, log)
        SERVER_PIDS[:] = [process.pid for process, _, _ in started]
        yield [base for _, base, _ in started]
    finally:
        for process, _, _ in started:
            stop(process)


@pytest.fixture(scope="module", params=["database", "redis"])
def servers(
    request: pytest.FixtureRequest,
    database_url: str,
    redis_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[list[str]]:
    """Two servers sharing a rate-limit store (the first: 2 processes), the way a cluster runs."""
    storage = redis_url if request.param == "redis" else request.param
    with _running(database_url, tmp_path_factory.mktemp("servers"), storage, [WORKERS_OF_FIRST, 1]) as bases:
        yield bases


@pytest.fixture(scope="module")
def workers_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`serve --workers 2` with no storage configured: the processes must still count together."""
    with _running(database_url, tmp_path_factory.mktemp("workers"), None, [WORKERS_OF_FIRST]) as bases:
        yield bases[0]


async def test_alternating_between_processes_allows_exactly_the_limit(
    servers: list[str], runtime: Runtime
) -> None:
    tenant = await make_tenant(runtime)
    statuses: list[int] = []
    async with httpx.AsyncClient(headers=tenant.headers, timeout=30) as client:
        for n in range(3 * LIMIT):
            base = servers[n % 2]
            response = await client.get(f"{base}/api/public/v1/multifamily_properties")
            statuses.append(response.status_code)
    assert statuses == [200] * LIMIT + [429] * (2 * LIMIT)


async def test_concurrent_requests_to_both_processes_allow_exactly_the_limit(
    servers: list[str], runtime: Runtime
) -> None:
    tenant = await make_tenant(runtime)
    async with httpx.AsyncClient(headers=tenant.headers, timeout=30) as client:
        responses = await asyncio.gather(
            *(client.get(f"{servers[n % 2]}/api/public/v1/multifamily_properties") for n in range(4 * LIMIT))
        )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * LIMIT + [429] * (3 * LIMIT)
    remaining = sorted(int(r.headers["x-ratelimit-remaining"]) for r in responses if r.status_code == 200)
    assert remaining == list(range(LIMIT))


@pytest.mark.parametrize("chunked", [True, False])
def test_a_real_server_refuses_an_oversized_body(servers: list[str], chunked: bool) -> None:
    chunk = b" " * 65536
    size = 2 * 1024 * 1024

    def stream() -> Iterator[bytes]:
        for _ in range(size // len(chunk)):
            yield chunk

    content: Iterator[bytes] | bytes = stream() if chunked else b" " * size
    response = httpx.post(
        f"{servers[0]}/api/public/v1/multifamily_properties",
        content=content,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 413
    assert response.json() == {"error": "Request body too large"}


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue  # exited meanwhile
            if parent == pid:
                found.append(int(entry.name))
    return found


def _listening_ports(pid: int) -> set[int]:
    """TCP ports the process has a listening socket on (from its file descriptors and /proc/net/tcp)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = os.readlink(fd)
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    ports = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
            ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


async def test_workers_of_one_server_count_together_without_configuration(
    workers_server: str, runtime: Runtime
) -> None:
    tenant = await make_tenant(runtime)
    url = f"{workers_server}/api/public/v1/multifamily_properties"
    limits = httpx.Limits(max_connections=4 * LIMIT)  # many connections: both processes take some
    async with httpx.AsyncClient(headers=tenant.headers, timeout=30, limits=limits) as client:
        responses = await asyncio.gather(*(client.get(url) for _ in range(4 * LIMIT)))
    assert sorted(r.status_code for r in responses) == [200] * LIMIT + [429] * (3 * LIMIT)


def test_workers_are_processes_serving_the_same_port(servers: list[str]) -> None:
    port = int(servers[0].rsplit(":", 1)[1])
    workers = [pid for pid in _children(SERVER_PIDS[0]) if port in _listening_ports(pid)]
    assert len(workers) == WORKERS_OF_FIRST
