"""What `?pgbouncer=true` costs on a direct PostgreSQL connection (asyncpg's statement cache off).

In process, through ASGI, two runtimes on one database: the default engine and the same URL with
`?pgbouncer=true`. Each operation is called in pairs, one request of each mode, the order swapped
every pair, so the noise of a shared machine falls on both alike; the figure is the median of the
per-pair ratios (flag ÷ default), with each mode's median latency.

    RENTENGINE_TEST_POSTGRES_URL=$(bash scripts/postgres-up) python -m bench.pooler_cost [--pairs 300]
"""

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from rentengine.app import create_app
from rentengine.runtime import Runtime
from tests.conftest import make_settings
from tests.databases import throwaway_database
from tests.factories import Tenant, make_tenant, unit_body

MODES = {"default": "", "pgbouncer=true": "?pgbouncer=true"}
WARM_UP = 20
UNITS = 100
Call = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]


def operations(tenant: Tenant) -> dict[str, Call]:
    headers = tenant.headers
    return {
        "GET /units?limit=100": lambda c: c.get("/units", params={"limit": 100}, headers=headers),
        "GET /units?limit=1": lambda c: c.get("/units", params={"limit": 1}, headers=headers),
        "POST /units": lambda c: c.post("/units", json=unit_body(tenant.account_id), headers=headers),
    }


async def timed(call: Call, client: httpx.AsyncClient) -> float:
    started = time.perf_counter()
    response = await call(client)
    elapsed = time.perf_counter() - started
    if response.status_code >= 300:
        raise RuntimeError(f"{response.status_code}: {response.text[:200]}")
    return elapsed


async def compare(call: Call, clients: dict[str, httpx.AsyncClient], pairs: int) -> dict[str, list[float]]:
    for client in clients.values():
        for _ in range(WARM_UP):
            await timed(call, client)
    times: dict[str, list[float]] = {mode: [] for mode in clients}
    for pair in range(pairs):
        order = list(clients) if pair % 2 else list(clients)[::-1]
        for mode in order:
            times[mode].append(await timed(call, clients[mode]))
    return times


def line(name: str, times: dict[str, list[float]]) -> str:
    default, flagged = times.values()
    ratio = statistics.median(b / a for a, b in zip(default, flagged, strict=True))
    medians = "  ".join(f"{mode} {statistics.median(t) * 1e3:.2f} ms" for mode, t in times.items())
    return f"| {name} | {medians} | {ratio:.2f} |"


async def run(pairs: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        async with throwaway_database("postgresql", Path(directory), prefix="rentengine_bench") as url:
            runtimes = {mode: Runtime.build(make_settings(url + suffix)) for mode, suffix in MODES.items()}
            tenant = await make_tenant(runtimes["default"])
            clients = {
                mode: httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=create_app(rt.settings, rt)),
                    base_url="http://bench/api/public/v1",
                )
                for mode, rt in runtimes.items()
            }
            try:
                for _ in range(UNITS):
                    await timed(operations(tenant)["POST /units"], clients["default"])
                print("| operation | median latency | flag ÷ default (median of pairs) |\n|---|---|---|")
                for name, call in operations(tenant).items():
                    print(line(name, await compare(call, clients, pairs)), flush=True)
            finally:
                for client in clients.values():
                    await client.aclose()
                for rt in runtimes.values():
                    await rt.db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--pairs", type=int, default=300)
    asyncio.run(run(parser.parse_args().pairs))


if __name__ == "__main__":
    main()
