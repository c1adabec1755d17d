"""What a webhook subscription costs `POST /showings/create`: requests/s with one ÷ with none.

A booking writes three records in one transaction (the prospect, the showing and its `Showing
Scheduled` leasing event), so with a subscription to all three tables each request also enqueues
three deliveries. On a fresh database, with real processes (`rentengine serve --no-worker` and wrk):
two accounts of the same server, each with `UNITS` Available units; one account subscribes to
`prospects`, `showings` and `leasing_events`, the other to nothing. Every request books a slot of
its own, taken from the units' availability beforehand (a slot booked twice would be a 400), for a
new prospect. wrk rounds alternate between the two accounts; no worker runs meanwhile, so the figure
is the cost of the outbox on the write path itself.

    python -m bench.showing_writes [--backends sqlite,postgresql]

`measure_showing_writes(backend, admin_postgres_url)` returns the figure of one backend.
"""

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench import machine
from bench.counting import table
from bench.databases import BACKENDS, fresh_database, postgres_admin_url
from bench.processes import processes
from bench.stack import Stack, Tenant, another_tenant, server_env, start_stack
from bench.wrk import REPORT, WrkResult, run_wrk_script

# Each unit offers about 250 slots over its 14 days: enough for every request of every round.
UNITS = 40
CONNECTIONS = 4
SECONDS = 4
ROUNDS = 3
SUBSCRIBED_TABLES = ["prospects", "showings", "leasing_events"]
HEADERS = ["backend", "req/s, no subscription", "req/s, one subscription", "ratio"]


@dataclass(frozen=True)
class ShowingWrites:
    backend: str
    none_per_second: float
    one_per_second: float

    @property
    def ratio(self) -> float:
        return self.one_per_second / self.none_per_second


async def _checked(response: httpx.Response) -> Any:
    if response.status_code not in (200, 201):
        raise RuntimeError(
            f"{response.request.method} {response.request.url}: {response.status_code} {response.text}"
        )
    return response.json()


def _unit_body(account_id: str, n: int) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "address": {
            "street_number": str(100 + n),
            "street_name": "Oak St",
            "city": "Austin",
            "state": "TX",
            "zip_code": "78701",
        },
        "property_type": "SINGLE FAMILY RESIDENCE",
        "bedrooms": 3,
        "target_rental_rate": 1850,
        "status": "Available",
        "showing_method": "Self Guided",
    }


async def _bookable_slots(client: httpx.AsyncClient, api: str, tenant: Tenant) -> list[tuple[int, str]]:
    """(unit id, window start) for every available slot of `UNITS` new units of the account."""
    slots: list[tuple[int, str]] = []
    for n in range(UNITS):
        unit = await _checked(
            await client.post(f"{api}/units", json=_unit_body(tenant.account_id, n), headers=tenant.headers)
        )
        answer = await _checked(
            await client.get(
                f"{api}/showings/availability", params={"unitId": unit["id"]}, headers=tenant.headers
            )
        )
        windows = answer["availability"]["availableShowingWindows"]
        slots += [(int(unit["id"]), window["start"]) for window in windows]
    return slots


def _script(tenant: Tenant, slots: list[tuple[int, str]], first: int) -> str:
    """wrk's Lua: request k books `slots[k]` for a new Self prospect numbered `first + k` (who
    passes prescreening)."""
    lua_slots = ",".join(f"{{{unit_id},{json.dumps(start)}}}" for unit_id, start in slots)
    template = json.dumps(
        {
            "unitId": 0,
            "plannedForTime": "START",
            "prospectData": {
                "firstName": "Bench",
                "lastName": "Prospect SEQ",
                "email": "prospect-SEQ@example.com",
                "phone": "PHONE",
                "creditScore": "700+",
                "income": "$6000-$7000/month",
                "questionAnswers": [],
                "prospectType": "Self",
            },
        }
    )
    return (
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = {json.dumps("Bearer " + tenant.token)}\n'
        f"local template = {json.dumps(template)}\n"
        f"local slots = {{{lua_slots}}}\n"
        "local k = 0\n"
        "request = function()\n"
        "  k = k + 1\n"
        f"  local n, slot = {first} + k, slots[k]\n"
        "  local body = template:gsub('\"unitId\": 0', '\"unitId\": ' .. slot[1])\n"
        "  body = body:gsub('START', slot[2]):gsub('SEQ', n)\n"
        "  body = body:gsub('PHONE', string.format('55%08d', n))\n"
        "  return wrk.format(nil, nil, nil, body)\n"
        "end\n" + REPORT
    )


def _check(result: WrkResult, what: str) -> None:
    if result.errors or result.non_2xx or not result.requests:
        raise RuntimeError(f"wrk against POST /showings/create ({what}): {result}")


async def _subscribe(client: httpx.AsyncClient, stack: Stack) -> None:
    await _checked(
        await client.post(
            f"{stack.api}/webhooks",
            json={
                "account_id": stack.account_id,
                "url": f"{stack.receiver}/hooks/showings",
                "tables": SUBSCRIBED_TABLES,
                "event_types": ["INSERT", "UPDATE"],
            },
        )
    )


async def _rates(client: httpx.AsyncClient, stack: Stack, backend: str) -> ShowingWrites:
    subscribed = Tenant(stack.account_id, stack.token, 0, "")
    plain = await another_tenant(client, stack)
    await _subscribe(client, stack)
    slots = {
        "one": await _bookable_slots(client, stack.api, subscribed),
        "none": await _bookable_slots(client, stack.api, plain),
    }
    tenants = {"none": plain, "one": subscribed}
    url = f"{stack.api}/showings/create"
    rates: dict[str, list[float]] = {"none": [], "one": []}
    used = 0
    for _ in range(ROUNDS):
        for name, tenant in tenants.items():
            script = _script(tenant, slots[name], used)
            result = await asyncio.to_thread(
                run_wrk_script, url, script, seconds=SECONDS, connections=CONNECTIONS
            )
            _check(result, f"{name} subscription")
            rates[name].append(result.per_second)
            # The next round starts past every slot this one may have taken: requests still in
            # flight when wrk stopped are not counted in `requests` but may have booked theirs.
            slots[name] = slots[name][result.requests + CONNECTIONS :]
            used += result.requests + CONNECTIONS
    return ShowingWrites(
        backend=backend,
        none_per_second=statistics.median(rates["none"]),
        one_per_second=statistics.median(rates["one"]),
    )


async def measure_showing_writes(backend: str, admin_postgres_url: str | None) -> ShowingWrites:
    """The figure of one backend on a fresh database; every process is stopped before it returns."""
    with tempfile.TemporaryDirectory(prefix="rentengine-showings-") as workdir:
        async with fresh_database(backend, Path(workdir), admin_postgres_url) as url:
            with processes(Path(workdir) / f"logs-{backend}") as procs:
                stack = start_stack(procs, server_env(url), [])
                async with httpx.AsyncClient(headers=stack.headers, timeout=120) as client:
                    return await _rates(client, stack, backend)


def report(figures: list[ShowingWrites]) -> str:
    rows = [
        [f.backend, f"{f.none_per_second:.0f}", f"{f.one_per_second:.0f}", f"{f.ratio:.2f}"] for f in figures
    ]
    return table(HEADERS, rows)


async def _main(backends: list[str]) -> None:
    admin = postgres_admin_url(start="postgresql" in backends)
    print(f"machine: {machine.describe()}", flush=True)
    figures = []
    for backend in backends:
        started = time.monotonic()
        figures.append(await measure_showing_writes(backend, admin))
        print(f"{backend}: done in {time.monotonic() - started:.0f} s", flush=True)
    print(report(figures))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default=",".join(BACKENDS))
    args = parser.parse_args()
    asyncio.run(_main(args.backends.split(",")))


if __name__ == "__main__":
    main()
