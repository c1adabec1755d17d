"""The webhook fault run: nothing is lost when the receiver fails and the worker is killed.

A fresh database, a subscription to a local receiver that fails 30 % of requests at random (500 or
503 with `Retry-After: 1`), N changes made through the real API (`rentengine serve --no-worker`), and
a separate `rentengine worker` process that is killed with SIGKILL twice during the run and
restarted. At the end every event the database enqueued must have reached the receiver at least once.

Then, on the same stack, the receiver stops failing and a fresh worker drains `--drain` deliveries
enqueued while no worker ran: deliveries/s = deliveries / (last arrival - first arrival). With
`--max-unrecorded 64,1024` each backend runs once per bound on attempts sent but not yet recorded
(`bench.webhook_worker`; the first is the shipped `rentengine worker` when it equals the shipped
bound), so duplicates and throughput of both compare in one run.

    python -m bench.webhook_faults [--changes 10000] [--backends sqlite,postgresql] [--max-unrecorded 64,1024]
"""

import argparse
import asyncio
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx

from bench import machine
from bench.counting import Enqueued, Received, enqueued, received, receiver_stats, table
from bench.databases import BACKENDS, fresh_database, postgres_admin_url
from bench.processes import RENTENGINE, processes
from bench.stack import Stack, post_changes, prepare, server_env, start_stack
from rentengine.webhooks.delivery.worker import MAX_UNRECORDED

FAIL_RATE = 0.3
# The worker is killed when the receiver holds these fractions of the events.
KILL_AT = (0.25, 0.6)
# Retry-After wins over the exponential backoff, so the run converges in seconds, not hours.
RETRY_AFTER_SECONDS = "1"
# 0.3^26 per event: with 25 retries no event is dead-lettered by bad luck.
MAX_RETRIES = "25"
# The shortest lease the settings allow: a killed worker's claims are due again 5 s later.
LEASE_SECONDS = "5"
DRAIN = 10_000


@dataclass(frozen=True)
class FaultReport:
    backend: str
    changes: int
    enqueued: Enqueued
    delivered: int  # distinct webhook-ids answered 2xx (one subscription: one delivery per event)
    lost: int  # enqueued but never answered 2xx
    unexpected: int  # received but not in the database
    duplicates: int  # 2xx answers beyond the first per webhook-id
    requests: int  # every request the receiver answered
    failed_on_purpose: int
    bad_signatures: int
    delivered_at_kills: list[int]
    seconds: float
    max_unrecorded: int = MAX_UNRECORDED
    drain_per_second: float = 0.0  # a fresh worker draining DRAIN deliveries, no failures


def _start_worker(stack: Stack, max_unrecorded: int) -> None:
    """The shipped `rentengine worker`, or `bench.webhook_worker` with another bound."""
    stack.workers_started += 1
    argv = [str(RENTENGINE), "worker"]
    if max_unrecorded != MAX_UNRECORDED:
        argv = [sys.executable, "-m", "bench.webhook_worker", "--max-unrecorded", str(max_unrecorded)]
    stack.worker = stack.procs.spawn(f"worker-{stack.workers_started}", argv, stack.env)


async def _kill_twice(
    client: httpx.AsyncClient, stack: Stack, total: int, deadline: float, max_unrecorded: int
) -> list[int]:
    """SIGKILLs and restarts the worker as delivery passes each KILL_AT mark; returns the counts then."""
    at_kills: list[int] = []
    for fraction in KILL_AT:
        while True:
            if stack.worker is not None:
                stack.worker.check_alive()
            delivered = int((await receiver_stats(client, stack.receiver))["delivered"])
            if delivered >= fraction * total:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"delivery stalled at {delivered}/{total} before the kill at {fraction:.0%}"
                )
            await asyncio.sleep(0.05)
        stack.kill_worker()
        at_kills.append(delivered)
        _start_worker(stack, max_unrecorded)
    return at_kills


async def _converge(client: httpx.AsyncClient, stack: Stack, database_url: str, deadline: float) -> Enqueued:
    """Waits (bounded) until no delivery is open any more: each one succeeded, or was given up.

    A worker records an outcome only after the receiver answered, so once nothing is open the
    receiver's log is final too, and whatever it lacks was lost.
    """
    while True:
        if stack.worker is not None:
            stack.worker.check_alive()
        state = await enqueued(database_url, stack.account_id)
        if state.statuses["pending"] + state.statuses["retrying"] == 0:
            return state
        if time.monotonic() > deadline:
            delivered = int((await receiver_stats(client, stack.receiver))["delivered"])
            progress = f"{delivered}/{state.deliveries} delivered, statuses {dict(state.statuses)}"
            raise TimeoutError(f"not converged: {progress}")
        await asyncio.sleep(0.5)


def _report(backend: str, changes: int, state: Enqueued, log: Received, stats: dict[str, Any]) -> FaultReport:
    first = log.first_success
    return FaultReport(
        backend=backend,
        changes=changes,
        enqueued=state,
        delivered=len(first),
        lost=len(state.created_at.keys() - first.keys()),
        unexpected=len(first.keys() - state.created_at.keys()),
        duplicates=log.successes - len(first),
        requests=len(log.records),
        failed_on_purpose=log.failures,
        bad_signatures=int(stats["bad_signatures"]),
        delivered_at_kills=[],
        seconds=0.0,
    )


async def _run(
    client: httpx.AsyncClient,
    stack: Stack,
    database_url: str,
    changes: int,
    budget: float,
    max_unrecorded: int,
) -> FaultReport:
    """Worker started, changes posted while it is killed twice, then every delivery settled."""
    await prepare(client, stack)
    started = time.monotonic()
    deadline = started + budget
    _start_worker(stack, max_unrecorded)
    kills = asyncio.create_task(_kill_twice(client, stack, changes, deadline, max_unrecorded))
    try:
        await post_changes(client, stack, changes)
        at_kills = await kills
    finally:
        kills.cancel()
    state = await _converge(client, stack, database_url, deadline)
    seconds = time.monotonic() - started
    log, stats = await received(client, stack.receiver), await receiver_stats(client, stack.receiver)
    report = _report("", changes, state, log, stats)
    return replace(report, delivered_at_kills=at_kills, seconds=seconds)


async def _drain(
    client: httpx.AsyncClient, stack: Stack, database_url: str, deliveries: int, max_unrecorded: int
) -> float:
    """Deliveries/s of a fresh worker draining `deliveries` enqueued while none ran, no failures."""
    stack.stop_worker()
    config = {"fail_rate": 0.0}
    (await client.post(f"{stack.receiver}/_bench/config", json=config)).raise_for_status()
    before = set((await enqueued(database_url, stack.account_id)).created_at)
    await post_changes(client, stack, deliveries)
    _start_worker(stack, max_unrecorded)
    deadline = time.monotonic() + 300
    state = await _converge(client, stack, database_url, deadline)
    stack.stop_worker()
    first = (await received(client, stack.receiver)).first_success
    times = [at for key, at in first.items() if key in state.created_at and key not in before]
    if len(times) != deliveries:
        raise RuntimeError(f"{len(times)} of {deliveries} deliveries arrived")
    return len(times) / (max(times) - min(times))


async def fault_run(
    backend: str,
    changes: int,
    workdir: Path,
    admin_url: str | None = None,
    seed: int = 7,
    budget_seconds: float = 900.0,
    max_unrecorded: int = MAX_UNRECORDED,
    drain: int = 0,
) -> FaultReport:
    """The whole run on a fresh database of `backend` (then a drain of `drain` deliveries, if any);
    every process is stopped before it returns."""
    receiver_args = ["--fail-rate", str(FAIL_RATE), "--seed", str(seed), "--retry-after", RETRY_AFTER_SECONDS]
    async with fresh_database(backend, workdir, admin_url) as database_url:
        env = server_env(database_url, max_retries=MAX_RETRIES, lease_seconds=LEASE_SECONDS)
        with processes(workdir / f"logs-faults-{backend}") as procs:
            stack = start_stack(procs, env, receiver_args)
            async with httpx.AsyncClient(headers=stack.headers, timeout=120) as client:
                report = await _run(client, stack, database_url, changes, budget_seconds, max_unrecorded)
                rate = await _drain(client, stack, database_url, drain, max_unrecorded) if drain else 0.0
    return replace(report, backend=backend, max_unrecorded=max_unrecorded, drain_per_second=rate)


HEADERS = [
    "backend", "max unrecorded", "changes", "events enqueued", "delivered (distinct webhook-ids)", "lost",
    "duplicates",
    "requests received", "failed on purpose", "attempts recorded", "killed at (delivered)", "seconds",
    f"drain of {DRAIN:,}, no failures (deliveries/s)",
]  # fmt: skip


def _row(r: FaultReport) -> list[str]:
    counts = [r.changes, r.enqueued.events, r.delivered, r.lost, r.duplicates, r.requests]
    counts += [r.failed_on_purpose, r.enqueued.attempts]
    kills = ", ".join(str(n) for n in r.delivered_at_kills)
    drain = f"{r.drain_per_second:.0f}" if r.drain_per_second else "-"
    return [r.backend, str(r.max_unrecorded), *(str(n) for n in counts), kills, f"{r.seconds:.1f}", drain]


def report_table(reports: list[FaultReport]) -> str:
    return table(HEADERS, [_row(r) for r in reports])


async def _main(changes: int, backends: list[str], seed: int, bounds: list[int], drain: int) -> int:
    admin = postgres_admin_url(start="postgresql" in backends)
    reports = []
    print(f"machine: {machine.describe()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="rentengine-faults-") as workdir:
        for backend in backends:
            for bound in bounds:
                load = machine.load_average()
                report = await fault_run(
                    backend, changes, Path(workdir), admin, seed, max_unrecorded=bound, drain=drain
                )
                done = f"{report.delivered}/{report.enqueued.events} delivered, {report.lost} lost"
                loads = f"load average {load} before, {machine.load_average()} after"
                print(f"{backend}, max unrecorded {bound}: {done} ({loads})", flush=True)
                reports.append(report)
    print(report_table(reports))
    return 1 if any(r.lost or r.unexpected or r.enqueued.events != r.changes for r in reports) else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--changes", type=int, default=10_000)
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--max-unrecorded", default=str(MAX_UNRECORDED), help="comma-separated bounds, each a run of its own"
    )
    parser.add_argument("--drain", type=int, default=DRAIN, help="deliveries drained after the run (0: none)")
    args = parser.parse_args()
    bounds = [int(n) for n in args.max_unrecorded.split(",")]
    raise SystemExit(
        asyncio.run(_main(args.changes, args.backends.split(","), args.seed, bounds, args.drain))
    )


if __name__ == "__main__":
    main()
