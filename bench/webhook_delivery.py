"""The webhook delivery benchmark: deliveries per second and commit-to-receipt latency.

Per backend, on a fresh database with a real `rentengine serve --no-worker`, `rentengine worker` and
local receiver (no failures):

1. latency: a steady stream of lockbox events through the API (well below the worker's capacity);
   latency = the receiver's arrival time - the delivery's `created_at` (taken in the writing
   transaction just before it commits, so this slightly overstates commit-to-receipt);
2. throughput: a backlog of events enqueued while the worker is stopped, then drained by a fresh
   worker; rate = events / (last arrival - first arrival);
3. side by side in the same run, the same load generator posts signed deliveries of the same body
   straight to the receiver with as many requests in flight as the worker allows: once over raw
   keep-alive HTTP/1.1 connections (the receiver's own capacity: ratio worker / receiver) and once
   through httpx, the worker's HTTP client, without any database work (ratio worker / bare httpx,
   which shows what the outbox bookkeeping costs on top of the HTTP client).

    python -m bench.webhook_delivery [--backlog 10000] [--stream 2000] [--backends sqlite,postgresql]
"""

import argparse
import asyncio
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.counting import enqueued, percentile, received, receiver_stats, sample_payload, table
from bench.databases import BACKENDS, fresh_database, postgres_admin_url
from bench.loadgen import LoadResult, RawHttpSender, run_load, webhook_sender
from bench.processes import processes
from bench.stack import Stack, post_changes, prepare, server_env, start_stack
from rentengine.settings import Settings

WORKER_CONCURRENCY: int = Settings.model_fields["webhook_concurrency"].default
# The stream: batches of 20 events every 0.1 s (200 events/s offered).
STREAM_BATCH, STREAM_PACE_SECONDS = 20, 0.1
WARMUP_EVENTS = 20
WAIT_SECONDS = 600.0


@dataclass(frozen=True)
class DeliveryReport:
    backend: str
    api_events_per_second: float
    stream_events: int
    latency_p50_ms: float
    latency_p99_ms: float
    backlog_events: int
    deliveries_per_second: float
    receiver_per_second: float
    httpx_per_second: float

    @property
    def ratio(self) -> float:
        return self.deliveries_per_second / self.receiver_per_second


async def _delivered_ids(client: httpx.AsyncClient, stack: Stack, database_url: str) -> set[str]:
    """Waits (bounded) until the receiver holds every enqueued event; returns the enqueued ids."""
    deadline = time.monotonic() + WAIT_SECONDS
    state = await enqueued(database_url, stack.subscription["id"])
    while int((await receiver_stats(client, stack.receiver))["delivered"]) < state.events:
        if stack.worker is not None:
            stack.worker.check_alive()
        if time.monotonic() > deadline:
            raise TimeoutError("the worker did not deliver every event in time")
        await asyncio.sleep(0.05)
    return set(state.created_at)


async def _stream_latency(client: httpx.AsyncClient, stack: Stack, url: str, events: int) -> list[float]:
    """Commit-to-receipt latencies (s) of a paced stream, the worker already warm."""
    stack.start_worker()
    await post_changes(client, stack, WARMUP_EVENTS)
    before = await _delivered_ids(client, stack, url)
    await post_changes(
        client, stack, events, concurrency=2, pace_seconds=STREAM_PACE_SECONDS, batch=STREAM_BATCH
    )
    after = await _delivered_ids(client, stack, url)
    created = (await enqueued(url, stack.subscription["id"])).created_at
    arrived = (await received(client, stack.receiver)).first_success
    return [arrived[i] - created[i] for i in after - before]


async def _drain_rate(client: httpx.AsyncClient, stack: Stack, url: str, events: int) -> tuple[float, float]:
    """(API events/s while enqueueing, worker deliveries/s draining) for a backlog of `events`."""
    stack.stop_worker()
    before = set((await enqueued(url, stack.subscription["id"])).created_at)
    load, _ = await post_changes(client, stack, events, concurrency=2)
    stack.start_worker()
    backlog = await _delivered_ids(client, stack, url) - before
    stack.stop_worker()
    arrived = (await received(client, stack.receiver)).first_success
    times = [arrived[i] for i in backlog]
    return events / load.seconds, len(times) / (max(times) - min(times))


def _checked(result: LoadResult) -> float:
    if set(result.statuses) != {200}:
        raise RuntimeError(f"the receiver refused direct load: {dict(result.statuses)}")
    return result.per_second


async def _direct_rates(
    client: httpx.AsyncClient, stack: Stack, url: str, requests: int
) -> tuple[float, float]:
    """(receiver capacity, bare httpx sender) in requests/s: the same load generator and the same
    signed body as the worker's deliveries, WORKER_CONCURRENCY requests in flight, no database."""
    body = await sample_payload(url, stack.subscription["id"])
    target, secret = f"{stack.receiver}/hooks/rentengine", stack.subscription["signing_secret"]
    raw = RawHttpSender(target, secret, body, WORKER_CONCURRENCY)
    await raw.open()
    try:
        capacity = _checked(await run_load(requests, WORKER_CONCURRENCY, raw.send))
    finally:
        await raw.close()
    bare = _checked(
        await run_load(requests, WORKER_CONCURRENCY, webhook_sender(client, target, secret, body))
    )
    return capacity, bare


async def delivery_run(
    backend: str, backlog: int, stream: int, workdir: Path, admin: str | None
) -> DeliveryReport:
    async with fresh_database(backend, workdir, admin) as url:
        env = server_env(url, lease_seconds="5")
        with processes(workdir / f"logs-delivery-{backend}") as procs:
            stack = start_stack(procs, env, [])
            limits = httpx.Limits(max_connections=WORKER_CONCURRENCY + 4)
            async with httpx.AsyncClient(headers=stack.headers, timeout=120, limits=limits) as client:
                await prepare(client, stack)
                latencies = await _stream_latency(client, stack, url, stream)
                api_rate, worker_rate = await _drain_rate(client, stack, url, backlog)
                receiver_rate, httpx_rate = await _direct_rates(client, stack, url, backlog)
    return DeliveryReport(
        backend=backend,
        api_events_per_second=api_rate,
        stream_events=len(latencies),
        latency_p50_ms=1000 * percentile(latencies, 50),
        latency_p99_ms=1000 * percentile(latencies, 99),
        backlog_events=backlog,
        deliveries_per_second=worker_rate,
        receiver_per_second=receiver_rate,
        httpx_per_second=httpx_rate,
    )


HEADERS = [
    "backend", "API writes (events/s)", "stream events", "latency p50 (ms)", "latency p99 (ms)",
    "backlog events", "worker deliveries/s", "receiver capacity (req/s)", "worker / receiver",
    "bare httpx sender (req/s)", "worker / bare httpx",
]  # fmt: skip


def _row(r: DeliveryReport) -> list[str]:
    rates = [r.api_events_per_second]
    latencies = [f"{r.latency_p50_ms:.0f}", f"{r.latency_p99_ms:.0f}"]
    throughput = [f"{r.deliveries_per_second:.0f}", f"{r.receiver_per_second:.0f}", f"{r.ratio:.3f}"]
    throughput += [f"{r.httpx_per_second:.0f}", f"{r.deliveries_per_second / r.httpx_per_second:.2f}"]
    return [
        r.backend,
        *(f"{x:.0f}" for x in rates),
        str(r.stream_events),
        *latencies,
        str(r.backlog_events),
        *throughput,
    ]


async def _main(backlog: int, stream: int, backends: list[str]) -> None:
    admin = postgres_admin_url(start="postgresql" in backends)
    reports = []
    with tempfile.TemporaryDirectory(prefix="rentengine-delivery-") as workdir:
        for backend in backends:
            reports.append(await delivery_run(backend, backlog, stream, Path(workdir), admin))
            print(f"{backend}: done", flush=True)
    print(table(HEADERS, [_row(r) for r in reports]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--backlog", type=int, default=10_000, help="events drained by the worker")
    parser.add_argument("--stream", type=int, default=2_000, help="events of the latency stream")
    parser.add_argument("--backends", default=",".join(BACKENDS))
    args = parser.parse_args()
    asyncio.run(_main(args.backlog, args.stream, args.backends.split(",")))


if __name__ == "__main__":
    main()
