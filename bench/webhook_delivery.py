"""The webhook delivery benchmark: deliveries per second and commit-to-receipt latency.

Per backend, on a fresh database with a real `rentengine serve --no-worker`, `rentengine worker` and
local receiver (no failures):

1. throughput: a backlog of deliveries enqueued through the API while no worker runs, then drained
   by a fresh worker; rate = deliveries / (last arrival - first arrival). Once with one
   subscription (the worker sends one subscription's deliveries one after another, in commit
   order) and once with LANES subscriptions sharing the same backlog size;
2. latency: a steady stream of lockbox events through the API at half the one-subscription rate
   just measured (so nothing queues); latency = the receiver's arrival time - the delivery's
   `created_at` (taken in the writing transaction just before it commits, so this slightly
   overstates commit-to-receipt);
3. side by side in the same run, the same load generator posts signed deliveries of the same body
   straight to the receiver: over raw keep-alive HTTP/1.1 connections with as many requests in
   flight as the worker allows (the receiver's own capacity, ratio worker / receiver), and through
   httpx, the worker's HTTP client, with as many in flight as the worker had and no database work
   (ratio worker / bare httpx: what the outbox bookkeeping costs on top of the HTTP client).

    python -m bench.webhook_delivery [--backlog 10000] [--stream 1000] [--backends sqlite,postgresql]
"""

import argparse
import asyncio
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from bench import machine
from bench.counting import Key, enqueued, percentile, received, receiver_stats, sample_payload, table
from bench.databases import BACKENDS, fresh_database, postgres_admin_url
from bench.loadgen import LoadResult, RawHttpSender, run_load, webhook_sender
from bench.processes import processes
from bench.stack import Stack, post_changes, prepare, server_env, start_stack, subscribe
from rentengine.settings import Settings

WORKER_CONCURRENCY: int = Settings.model_fields["webhook_concurrency"].default
LANES = 8
STREAM_BATCH = 10
WARMUP_EVENTS = 20
WAIT_SECONDS = 600.0


@dataclass(frozen=True)
class Drain:
    lanes: int
    deliveries: int
    per_second: float
    httpx_per_second: float = 0.0


@dataclass(frozen=True)
class DeliveryReport:
    backend: str
    api_events_per_second: float
    drains: list[Drain]
    receiver_per_second: float
    stream_offered: float
    stream_events: int
    latency_p50_ms: float
    latency_p99_ms: float


async def _all_delivered(client: httpx.AsyncClient, stack: Stack, database_url: str) -> set[Key]:
    """Waits (bounded) until the receiver holds every enqueued delivery; returns them."""
    deadline = time.monotonic() + WAIT_SECONDS
    state = await enqueued(database_url, stack.account_id)
    while int((await receiver_stats(client, stack.receiver))["delivered"]) < state.deliveries:
        if stack.worker is not None:
            stack.worker.check_alive()
        if time.monotonic() > deadline:
            raise TimeoutError("the worker did not deliver everything in time")
        await asyncio.sleep(0.05)
    return set(state.created_at)


async def _drain(client: httpx.AsyncClient, stack: Stack, url: str, deliveries: int) -> tuple[Drain, float]:
    """(the drain of a backlog of `deliveries` by a fresh worker, API events/s while enqueueing)."""
    lanes = len(stack.subscriptions)
    before = set((await enqueued(url, stack.account_id)).created_at)
    events = deliveries // lanes
    load = await post_changes(client, stack, events, concurrency=2)
    stack.start_worker()
    backlog = await _all_delivered(client, stack, url) - before
    stack.stop_worker()
    arrived = (await received(client, stack.receiver)).first_success
    times = [arrived[key] for key in backlog]
    return Drain(lanes, len(backlog), len(times) / (max(times) - min(times))), events / load.seconds


async def _stream_latency(
    client: httpx.AsyncClient, stack: Stack, url: str, events: int, per_second: float
) -> list[float]:
    """Commit-to-receipt latencies (s) of a stream offered at `per_second`, the worker already warm."""
    stack.start_worker()
    await post_changes(client, stack, WARMUP_EVENTS)
    before = await _all_delivered(client, stack, url)
    pace = STREAM_BATCH / per_second
    await post_changes(client, stack, events, concurrency=2, pace_seconds=pace, batch=STREAM_BATCH)
    after = await _all_delivered(client, stack, url)
    stack.stop_worker()
    created = (await enqueued(url, stack.account_id)).created_at
    arrived = (await received(client, stack.receiver)).first_success
    return [arrived[key] - created[key] for key in after - before]


def _checked(result: LoadResult) -> float:
    if set(result.statuses) != {200}:
        raise RuntimeError(f"the receiver refused direct load: {dict(result.statuses)}")
    return result.per_second


class DirectLoad:
    """Signed requests with a real delivery body, straight to the receiver (no worker, no database)."""

    def __init__(self, client: httpx.AsyncClient, stack: Stack, body: str) -> None:
        self.client, self.body = client, body
        self.target = f"{stack.receiver}{urlsplit(stack.subscriptions[0]['url']).path}"
        self.secret = stack.subscriptions[0]["signing_secret"]

    async def raw(self, requests: int, in_flight: int) -> float:
        sender = RawHttpSender(self.target, self.secret, self.body, in_flight)
        await sender.open()
        try:
            return _checked(await run_load(requests, in_flight, sender.send))
        finally:
            await sender.close()

    async def httpx(self, requests: int, in_flight: int) -> float:
        send = webhook_sender(self.client, self.target, self.secret, self.body)
        return _checked(await run_load(requests, in_flight, send))


async def _measure(
    client: httpx.AsyncClient, stack: Stack, url: str, backlog: int, stream: int
) -> DeliveryReport:
    one, api_rate = await _drain(client, stack, url, backlog)
    offered = one.per_second / 2
    latencies = await _stream_latency(client, stack, url, stream, offered)
    while len(stack.subscriptions) < LANES:
        await subscribe(client, stack)
    many, _ = await _drain(client, stack, url, backlog)
    direct = DirectLoad(client, stack, await sample_payload(url, stack.account_id))
    drains = [replace(d, httpx_per_second=await direct.httpx(backlog, d.lanes)) for d in (one, many)]
    return DeliveryReport(
        backend="",
        api_events_per_second=api_rate,
        drains=drains,
        receiver_per_second=await direct.raw(backlog, WORKER_CONCURRENCY),
        stream_offered=offered,
        stream_events=len(latencies),
        latency_p50_ms=1000 * percentile(latencies, 50),
        latency_p99_ms=1000 * percentile(latencies, 99),
    )


async def delivery_run(
    backend: str, backlog: int, stream: int, workdir: Path, admin: str | None
) -> DeliveryReport:
    async with fresh_database(backend, workdir, admin) as url:
        with processes(workdir / f"logs-delivery-{backend}") as procs:
            stack = start_stack(procs, server_env(url), [])
            limits = httpx.Limits(max_connections=WORKER_CONCURRENCY + 4)
            async with httpx.AsyncClient(headers=stack.headers, timeout=120, limits=limits) as client:
                await prepare(client, stack)
                report = await _measure(client, stack, url, backlog, stream)
    return replace(report, backend=backend)


THROUGHPUT = [
    "backend", "subscriptions (lanes)", "deliveries", "worker deliveries/s",
    "bare httpx, same in flight (req/s)", "worker / bare httpx", "receiver capacity (req/s)",
    "worker / receiver",
]  # fmt: skip
LATENCY = [
    "backend", "API writes, batches of 100 (events/s)", "stream offered (events/s)", "stream events",
    "latency p50 (ms)", "latency p99 (ms)",
]  # fmt: skip


def _throughput_row(r: DeliveryReport, d: Drain) -> list[str]:
    rates = [d.per_second, d.httpx_per_second]
    ratios = [d.per_second / d.httpx_per_second, d.per_second / r.receiver_per_second]
    return [
        r.backend, str(d.lanes), str(d.deliveries), *(f"{x:.0f}" for x in rates), f"{ratios[0]:.2f}",
        f"{r.receiver_per_second:.0f}", f"{ratios[1]:.3f}",
    ]  # fmt: skip


def _latency_row(r: DeliveryReport) -> list[str]:
    rates = [f"{r.api_events_per_second:.0f}", f"{r.stream_offered:.0f}", str(r.stream_events)]
    return [r.backend, *rates, f"{r.latency_p50_ms:.0f}", f"{r.latency_p99_ms:.0f}"]


async def _main(backlog: int, stream: int, backends: list[str]) -> None:
    admin = postgres_admin_url(start="postgresql" in backends)
    reports = []
    print(f"machine: {machine.describe()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="rentengine-delivery-") as workdir:
        for backend in backends:
            load = machine.load_average()
            reports.append(await delivery_run(backend, backlog, stream, Path(workdir), admin))
            print(f"{backend}: done (load average {load} before, {machine.load_average()} after)", flush=True)
    print(table(THROUGHPUT, [_throughput_row(r, d) for r in reports for d in r.drains]))
    print()
    print(table(LATENCY, [_latency_row(r) for r in reports]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--backlog", type=int, default=10_000, help="deliveries drained by a worker")
    parser.add_argument("--stream", type=int, default=1_000, help="events of the latency stream")
    parser.add_argument("--backends", default=",".join(BACKENDS))
    args = parser.parse_args()
    asyncio.run(_main(args.backlog, args.stream, args.backends.split(",")))


if __name__ == "__main__":
    main()
