"""The webhook figures of the performance suite, per backend: delivery throughput against the
receiver's own capacity, commit-to-receipt latency, and what one subscription costs the writes.

On a fresh database, with real processes (`rentengine serve --no-worker`, `rentengine worker`, the
local receiver `bench.webhook_receiver`, wrk) and no failures:

1. receiver capacity: wrk POSTs the signed body of a real delivery to the receiver, with as many
   connections as a worker has requests in flight (`webhook_concurrency`);
2. throughput: a backlog of deliveries of one subscription is enqueued through the API while no
   worker runs, then drained by fresh workers; rate = deliveries / (last arrival - first arrival).
   Once by one `rentengine worker` process, once by two (the machine has two cores: the figure is
   given in total and per process). Ratio = one worker's rate / the receiver's capacity;
3. latency: with one warm worker, lockbox events arrive through the API at a steady
   `STREAM_EVENTS_PER_SECOND` (batches of 10); latency = the receiver's arrival time - the
   delivery's `created_at` (taken in the writing transaction just before it commits, so this
   slightly overstates commit-to-receipt);
4. writes: wrk POSTs /lockbox_events with 10 valid events per request (each request its own
   metadata) for two accounts of the same server, one with a subscription to those events and one
   with none, in alternating rounds; ratio = req/s with one subscription / req/s with none. No
   worker runs meanwhile: the figure is the cost of the outbox on the write path itself.

    python -m bench.webhook_delivery [--backlog 20000] [--backends sqlite,postgresql]

`measure_delivery_figures(backend, admin_postgres_url)` returns the figures of one backend.
"""

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from bench import machine
from bench.counting import enqueued, percentile, received, receiver_stats, sample_payload, table
from bench.databases import BACKENDS, fresh_database, postgres_admin_url
from bench.processes import RENTENGINE, Process, processes
from bench.stack import (
    Stack,
    Tenant,
    another_tenant,
    lockbox_events,
    post_changes,
    prepare,
    server_env,
    start_stack,
)
from bench.wrk import REPORT, WrkResult, run_wrk, run_wrk_script
from rentengine.settings import Settings
from rentengine.webhooks.delivery.signing import delivery_headers

WORKER_CONCURRENCY: int = Settings.model_fields["webhook_concurrency"].default
BACKLOG = 20_000
STREAM_EVENTS_PER_SECOND = 200
STREAM_SECONDS = 10
STREAM_BATCH = 10
WARMUP_EVENTS = 20
WAIT_SECONDS = 300.0
RECEIVER_SECONDS = 5
# Writes: events per request, connections, seconds per round, rounds per account (alternating).
WRITE_EVENTS = 10
WRITE_CONNECTIONS = 4
WRITE_SECONDS = 4
WRITE_ROUNDS = 3


@dataclass(frozen=True)
class DeliveryFigures:
    backend: str
    receiver_per_second: float  # wrk, POST of a signed delivery body, WORKER_CONCURRENCY connections
    deliveries: int  # backlog size of each drain
    worker_per_second: float  # one `rentengine worker` process
    two_workers_per_second: float  # two processes together
    stream_events_per_second: float  # offered
    stream_events: int
    latency_p50_ms: float
    latency_p99_ms: float
    writes_none_per_second: float  # POST /lockbox_events x WRITE_EVENTS, account without subscription
    writes_one_per_second: float  # the same, account with one subscription

    @property
    def delivery_ratio(self) -> float:
        """Figure (6): one worker process's deliveries/s / the receiver's capacity."""
        return self.worker_per_second / self.receiver_per_second

    @property
    def two_workers_ratio(self) -> float:
        return self.two_workers_per_second / self.receiver_per_second

    @property
    def write_ratio(self) -> float:
        """Figure (5): writes/s with one subscription / writes/s with none."""
        return self.writes_one_per_second / self.writes_none_per_second


def _start_workers(stack: Stack, count: int) -> list[Process]:
    workers = []
    for _ in range(count):
        stack.workers_started += 1
        name = f"worker-{stack.workers_started}"
        workers.append(stack.procs.spawn(name, [str(RENTENGINE), "worker"], stack.env))
    return workers


async def _all_delivered(client: httpx.AsyncClient, stack: Stack, url: str, workers: list[Process]) -> None:
    """Waits (bounded) until the receiver holds every enqueued delivery."""
    deadline = time.monotonic() + WAIT_SECONDS
    expected = (await enqueued(url, stack.account_id)).deliveries
    while int((await receiver_stats(client, stack.receiver))["delivered"]) < expected:
        for worker in workers:
            worker.check_alive()
        if time.monotonic() > deadline:
            raise TimeoutError("the workers did not deliver everything in time")
        await asyncio.sleep(0.05)


async def _drain(client: httpx.AsyncClient, stack: Stack, url: str, deliveries: int, workers: int) -> float:
    """Deliveries/s of `workers` fresh worker processes draining a backlog of `deliveries`."""
    before = set((await enqueued(url, stack.account_id)).created_at)
    await post_changes(client, stack, deliveries, concurrency=2)
    running = _start_workers(stack, workers)
    try:
        await _all_delivered(client, stack, url, running)
    finally:
        for worker in running:
            worker.stop()
    arrived = (await received(client, stack.receiver)).first_success
    times = [at for key, at in arrived.items() if key not in before]
    if len(times) != deliveries:
        raise RuntimeError(f"{len(times)} of {deliveries} deliveries arrived")
    return len(times) / (max(times) - min(times))


async def _stream_latency(client: httpx.AsyncClient, stack: Stack, url: str) -> list[float]:
    """Commit-to-receipt latencies (s) of a steady stream, one warm worker."""
    workers = _start_workers(stack, 1)
    try:
        await post_changes(client, stack, WARMUP_EVENTS)
        await _all_delivered(client, stack, url, workers)
        before = set((await enqueued(url, stack.account_id)).created_at)
        events = STREAM_EVENTS_PER_SECOND * STREAM_SECONDS
        pace = STREAM_BATCH / STREAM_EVENTS_PER_SECOND
        await post_changes(client, stack, events, concurrency=4, pace_seconds=pace, batch=STREAM_BATCH)
        await _all_delivered(client, stack, url, workers)
    finally:
        for worker in workers:
            worker.stop()
    created = (await enqueued(url, stack.account_id)).created_at
    arrived = (await received(client, stack.receiver)).first_success
    return [arrived[key] - at for key, at in created.items() if key not in before]


def _receiver_capacity(stack: Stack, body: str) -> float:
    """wrk against the receiver: the signed body of a real delivery (one signature, valid minutes)."""
    subscription = stack.subscriptions[0]
    target = f"{stack.receiver}{urlsplit(subscription['url']).path}"
    event_id = f"msg_{uuid.uuid4().hex}"
    headers = delivery_headers(subscription["signing_secret"], event_id, int(time.time()), body, None)
    result = run_wrk(
        target,
        seconds=RECEIVER_SECONDS,
        connections=WORKER_CONCURRENCY,
        method="POST",
        headers=headers,
        body=body,
    )
    _check(result, "receiver")
    return result.per_second


def _check(result: WrkResult, what: str) -> None:
    if result.errors or result.non_2xx or not result.requests:
        raise RuntimeError(f"wrk against the {what}: {result}")


def _writes_script(tenant: Tenant) -> str:
    """wrk's Lua: POST /lockbox_events, WRITE_EVENTS valid events, a new metadata tag per request."""
    template = json.dumps({"events": lockbox_events(tenant.lockbox_id, tenant.unit_id, WRITE_EVENTS, "TAG")})
    return (
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = {json.dumps("Bearer " + tenant.token)}\n'
        f"local template = {json.dumps(template)}\n"
        "local n = 0\n"
        "request = function()\n"
        "  n = n + 1\n"
        "  local body = template:gsub('\"TAG\"', tostring(n))\n"
        "  return wrk.format(nil, nil, nil, body)\n"
        "end\n" + REPORT
    )


async def _writes(client: httpx.AsyncClient, stack: Stack) -> tuple[float, float]:
    """(req/s without a subscription, req/s with one): wrk rounds alternating between two accounts."""
    subscribed = Tenant(stack.account_id, stack.token, stack.unit_id, stack.lockbox_id)
    plain = await another_tenant(client, stack)
    url = f"{stack.api}/lockbox_events"
    scripts = {"none": _writes_script(plain), "one": _writes_script(subscribed)}
    run_wrk_script(url, scripts["none"], seconds=1, connections=WRITE_CONNECTIONS)  # warm-up
    rates: dict[str, list[float]] = {"none": [], "one": []}
    for _ in range(WRITE_ROUNDS):
        for name, script in scripts.items():
            result = await asyncio.to_thread(
                run_wrk_script, url, script, seconds=WRITE_SECONDS, connections=WRITE_CONNECTIONS
            )
            _check(result, f"API (writes, {name} subscription)")
            rates[name].append(result.per_second)
    return statistics.median(rates["none"]), statistics.median(rates["one"])


async def measure_delivery_figures(
    backend: str, admin_postgres_url: str | None, backlog: int = BACKLOG
) -> DeliveryFigures:
    """Every figure of one backend on a fresh database; every process is stopped before it returns."""
    with tempfile.TemporaryDirectory(prefix="rentengine-delivery-") as workdir:
        async with fresh_database(backend, Path(workdir), admin_postgres_url) as url:
            with processes(Path(workdir) / f"logs-{backend}") as procs:
                stack = start_stack(procs, server_env(url), [])
                limits = httpx.Limits(max_connections=8)
                async with httpx.AsyncClient(headers=stack.headers, timeout=120, limits=limits) as client:
                    await prepare(client, stack)
                    one = await _drain(client, stack, url, backlog, workers=1)
                    two = await _drain(client, stack, url, backlog, workers=2)
                    body = await sample_payload(url, stack.account_id)
                    capacity = await asyncio.to_thread(_receiver_capacity, stack, body)
                    latencies = await _stream_latency(client, stack, url)
                    writes_none, writes_one = await _writes(client, stack)
    return DeliveryFigures(
        backend=backend,
        receiver_per_second=capacity,
        deliveries=backlog,
        worker_per_second=one,
        two_workers_per_second=two,
        stream_events_per_second=STREAM_EVENTS_PER_SECOND,
        stream_events=len(latencies),
        latency_p50_ms=1000 * percentile(latencies, 50),
        latency_p99_ms=1000 * percentile(latencies, 99),
        writes_none_per_second=writes_none,
        writes_one_per_second=writes_one,
    )


DELIVERY = [
    "backend", "receiver capacity, wrk (req/s)", "1 worker (deliveries/s)", "(6) 1 worker / receiver",
    "2 workers, total (deliveries/s)", "per process", "2 workers / receiver",
]  # fmt: skip
LATENCY = ["backend", "stream (events/s)", "events", "commit→receipt p50 (ms)", "p99 (ms)"]
WRITES = [
    "backend", f"POST /lockbox_events, {WRITE_EVENTS} events, no subscription (req/s)",
    "one subscription (req/s)", "(5) one / none",
]  # fmt: skip


def _delivery_row(f: DeliveryFigures) -> list[str]:
    rates = [f.receiver_per_second, f.worker_per_second]
    two = [f.two_workers_per_second, f.two_workers_per_second / 2]
    return [
        f.backend, *(f"{x:.0f}" for x in rates), f"{f.delivery_ratio:.2f}", *(f"{x:.0f}" for x in two),
        f"{f.two_workers_ratio:.2f}",
    ]  # fmt: skip


def _latency_row(f: DeliveryFigures) -> list[str]:
    stream = [f"{f.stream_events_per_second:.0f}", str(f.stream_events)]
    return [f.backend, *stream, f"{f.latency_p50_ms:.1f}", f"{f.latency_p99_ms:.1f}"]


def _writes_row(f: DeliveryFigures) -> list[str]:
    rates = [f.writes_none_per_second, f.writes_one_per_second]
    return [f.backend, *(f"{x:.0f}" for x in rates), f"{f.write_ratio:.2f}"]


def report(figures: list[DeliveryFigures]) -> str:
    return "\n\n".join(
        [
            table(DELIVERY, [_delivery_row(f) for f in figures]),
            table(LATENCY, [_latency_row(f) for f in figures]),
            table(WRITES, [_writes_row(f) for f in figures]),
        ]
    )


async def _main(backlog: int, backends: list[str]) -> None:
    admin = postgres_admin_url(start="postgresql" in backends)
    print(f"machine: {machine.describe()}", flush=True)
    figures = []
    for backend in backends:
        load, started = machine.load_average(), time.monotonic()
        figures.append(await measure_delivery_figures(backend, admin, backlog))
        seconds = time.monotonic() - started
        loads = f"load average {load} before, {machine.load_average()} after"
        print(f"{backend}: done in {seconds:.0f} s ({loads})", flush=True)
    print(report(figures))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--backlog", type=int, default=BACKLOG, help="deliveries drained by the workers")
    parser.add_argument("--backends", default=",".join(BACKENDS))
    args = parser.parse_args()
    asyncio.run(_main(args.backlog, args.backends.split(",")))


if __name__ == "__main__":
    main()
