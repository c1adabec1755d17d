"""`make bench`: the performance figures, each a ratio measured side by side in one run.

Per backend (SQLite and PostgreSQL), on data made by `rentengine demo-data` (100,000 units and
1,000,000 lockbox events in one account, plus a 10,000-event dataset for the growth figure),
with `rentengine serve` processes as shipped (the rate limiter on, at a rate never reached, its
counters where `serve` puts them by default) and wrk on loopback:

1. `GET /units?limit=100` requests/s of one `serve` process ÷ Prism serving the very same page as
   its example (`bench.request_path`: every server of figures 1, 2, 8 and 9 is up at once and they
   are measured alternately over the same concurrencies, best of each);
2. the same requests/s ÷ a bare ASGI app on the same ASGI server reading the same stored unit forms
   with the raw driver (`bench.bare_asgi`);
3. p50 of `GET /lockbox_events?limit=100&page_number=9000` ÷ `page_number=0` (1M events);
4. p50 of the events list (page 0) at 1M events ÷ at 10k events (both servers up, alternately);
5. `POST /lockbox_events` (10 events each) requests/s with one webhook subscription ÷ with none;
6. webhook deliveries/s to a local receiver ÷ that receiver's capacity under wrk, and the
   commit→receipt latency at 200 events/s;
7. peak RSS of a one-process server after listing all 1M events page by page ÷ before;
8. and 9. the rate limiter on ÷ off, one process, counters in memory (8) and in Redis (9);
10. `POST /showings/create` requests/s with one subscription to its three tables ÷ with none
   (`bench.showing_writes`);

plus reference lines without a goal (`bench.request_path`): the in-process loop, and granian ÷
uvicorn for the bare app and for serve's own app.

The table is printed, written between the markers of docs/performance.md, and the plots go to
docs/img/perf-*.png.

    python -m bench.suite [--backends sqlite,postgresql] [--events 1000000] [--units 100000]
    python -m bench.request_path    # figures 1, 2, 8 and 9 alone, on 20,000 units: a few minutes
"""

import argparse
import asyncio
import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from bench import machine, request_path
from bench.api_figures import (
    DEEP_PAGE,
    MemoryWalk,
    api_server,
    events_page,
    latency_by_page,
    memory_walk,
    p50_ms,
)
from bench.databases import BACKENDS, database, postgres_admin_url, redis_url
from bench.datasets import Dataset, Sizes, load_all
from bench.mock_vs_prism import ensure_prism
from bench.processes import REPO, Processes, processes
from bench.report import IMAGES, Figure, figures_table, plot_latency_by_page, plot_throughput, update_document
from bench.request_path import RequestPath
from bench.showing_writes import ShowingWrites, measure_showing_writes
from bench.stack import server_env
from bench.webhook_delivery import DeliveryFigures, measure_delivery_figures

CORES = os.cpu_count() or 1
SMALL = Sizes(units=1_000, lockbox_events=10_000)


@dataclass
class BackendRun:
    backend: str
    request_path: RequestPath = field(default_factory=lambda: RequestPath(""))
    page_latency: dict[int, float] = field(default_factory=dict)
    deep_p50: tuple[float, float] = (0.0, 0.0)  # page 0, deep page
    growth_p50: tuple[float, float] = (0.0, 0.0)  # small, big
    memory: MemoryWalk | None = None
    delivery: DeliveryFigures | None = None
    showings: ShowingWrites | None = None


def measure_api(
    run: BackendRun, big: Dataset, small: Dataset, procs: Processes, redis: str, workdir: Path
) -> None:
    print(f"[{run.backend}] figures 1, 2, 8 and 9: the units page and the rate limiter", flush=True)
    run.request_path = request_path.measure(procs, big, redis, workdir)
    with api_server(procs, big, CORES, f"api-{run.backend}") as server:
        print(f"[{run.backend}] figure 3: deep pages", flush=True)
        run.deep_p50 = (p50_ms(server, events_page(0)), p50_ms(server, events_page(DEEP_PAGE)))
        run.page_latency = latency_by_page(server)
        print(f"[{run.backend}] figure 4: growth", flush=True)
        with api_server(procs, small, 1, f"api-small-{run.backend}") as small_server:
            pairs = [
                (p50_ms(small_server, events_page(0), 1), p50_ms(server, events_page(0), 1)) for _ in range(3)
            ]
        run.growth_p50 = (statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs))
    print(f"[{run.backend}] figure 7: memory while listing every event", flush=True)
    with api_server(procs, big, 1, f"api-memory-{run.backend}") as server:
        run.memory = memory_walk(server, big.sizes.lockbox_events)


def figures(runs: list[BackendRun]) -> list[Figure]:
    by = {run.backend: run for run in runs}

    def each(
        ratio: Callable[[BackendRun], float], detail: Callable[[BackendRun], str]
    ) -> tuple[dict[str, float], dict[str, str]]:
        return {b: ratio(r) for b, r in by.items()}, {b: detail(r) for b, r in by.items()}

    def memory(r: BackendRun) -> MemoryWalk:
        assert r.memory is not None
        return r.memory

    def best_delivery(f: DeliveryFigures) -> float:
        return max(f.worker_per_second, f.two_workers_per_second)

    def delivery(r: BackendRun) -> DeliveryFigures:
        assert r.delivery is not None
        return r.delivery

    def showings(r: BackendRun) -> ShowingWrites:
        assert r.showings is not None
        return r.showings

    request_figures = request_path.figures([r.request_path for r in runs])
    return [
        *(f for f in request_figures if f.number in (1, 2)),
        Figure(
            3,
            f"p50 page {DEEP_PAGE} ÷ page 0, 1M events",
            "≤ 2",
            *each(
                lambda r: r.deep_p50[1] / r.deep_p50[0],
                lambda r: f"{r.deep_p50[1]:.2f} vs {r.deep_p50[0]:.2f} ms",
            ),
            at_most=2.0,
        ),
        Figure(
            4,
            "p50 list at 1M events ÷ at 10k",
            "≤ 1.5",
            *each(
                lambda r: r.growth_p50[1] / r.growth_p50[0],
                lambda r: f"{r.growth_p50[1]:.2f} vs {r.growth_p50[0]:.2f} ms",
            ),
            at_most=1.5,
        ),
        Figure(
            5,
            "`POST /lockbox_events` (10 events) req/s, 1 subscription ÷ none",
            "≥ 0.85",
            *each(
                lambda r: delivery(r).writes_one_per_second / delivery(r).writes_none_per_second,
                lambda r: (
                    f"{delivery(r).writes_one_per_second:,.0f} vs {delivery(r).writes_none_per_second:,.0f}/s"
                ),
            ),
            at_least=0.85,
        ),
        Figure(
            6,
            "webhook deliveries/s ÷ receiver capacity (wrk)",
            "≥ 0.5",
            *each(
                lambda r: best_delivery(delivery(r)) / delivery(r).receiver_per_second,
                lambda r: (
                    f"{best_delivery(delivery(r)):,.0f} vs {delivery(r).receiver_per_second:,.0f}/s; "
                    f"at {delivery(r).stream_events_per_second:.0f} events/s commit→receipt "
                    f"p50 {delivery(r).latency_p50_ms:.0f} ms, p99 {delivery(r).latency_p99_ms:.0f} ms"
                ),
            ),
            at_least=0.5,
        ),
        Figure(
            7,
            "peak RSS after listing 1M events ÷ before",
            "flat (≤ 1.10)",
            *each(
                lambda r: memory(r).growth,
                lambda r: (
                    f"{memory(r).start_mb:.0f} → {memory(r).end_mb:.0f} MB over {memory(r).pages:,} pages"
                ),
            ),
            at_most=1.10,
        ),
        *(f for f in request_figures if f.number not in (1, 2)),
        Figure(
            10,
            "`POST /showings/create` req/s, 1 subscription (3 tables) ÷ none",
            "≥ 0.85",
            *each(
                lambda r: showings(r).ratio,
                lambda r: f"{showings(r).one_per_second:,.0f} vs {showings(r).none_per_second:,.0f}/s",
            ),
            at_least=0.85,
        ),
    ]


def write_outputs(runs: list[BackendRun], command: str, elapsed: float) -> str:
    IMAGES.mkdir(parents=True, exist_ok=True)
    series = {}
    for run in runs:
        for name in (request_path.OURS, request_path.BARE, request_path.PRISM_PAGE):
            series[f"{name}, {run.backend}"] = run.request_path.curve(name)
    plot_throughput(series, IMAGES / "perf-throughput.png")
    plot_latency_by_page({run.backend: run.page_latency for run in runs}, IMAGES / "perf-deep-pages.png")
    backends = [run.backend for run in runs]
    block = "\n\n".join(
        [
            f"Measured with `{command}` in {elapsed / 60:.1f} min on {machine.describe()}, rentengine at "
            f"{machine.code_version()}, load average {machine.load_average()} at the end.",
            figures_table(figures(runs), backends),
            request_path.table([run.request_path for run in runs]),
            "![throughput](img/perf-throughput.png)\n\n![deep pages](img/perf-deep-pages.png)",
        ]
    )
    update_document(block)
    return block


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    backends = args.backends.split(",")
    big = Sizes(units=args.units, lockbox_events=args.events)
    subprocess.run(["bash", str(REPO / "scripts" / "bench-tools")], check=True)
    ensure_prism()
    admin_url = postgres_admin_url(start="postgresql" in backends)
    redis = redis_url()
    started = time.perf_counter()
    print(f"machine: {machine.describe()}; rentengine at {machine.code_version()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="rentengine-bench-") as scratch, ExitStack() as stack:
        workdir = Path(scratch)
        procs = stack.enter_context(processes(workdir / "logs"))
        jobs = []
        for backend in backends:
            for sizes in (big, SMALL):
                url = stack.enter_context(database(backend, workdir, admin_url))
                jobs.append((backend, server_env(url), sizes))
        print(f"loading {big.label} and {SMALL.label} on {', '.join(backends)} …", flush=True)
        datasets = load_all(jobs, workdir / "logs")
        print(f"loaded in {(time.perf_counter() - started) / 60:.1f} min", flush=True)
        runs = []
        for backend in backends:
            big_data, small_data = (d for d in datasets if d.backend == backend)
            run = BackendRun(backend)
            measure_api(run, big_data, small_data, procs, redis, workdir)
            print(f"[{backend}] figures 5 and 6: writes and webhook deliveries", flush=True)
            run.delivery = asyncio.run(measure_delivery_figures(backend, admin_url))
            print(f"[{backend}] figure 10: bookings", flush=True)
            run.showings = asyncio.run(measure_showing_writes(backend, admin_url))
            runs.append(run)
    command = (
        "make bench"
        if args.backends == ",".join(BACKENDS) and args.events == 1_000_000
        else ("python -m bench.suite " + " ".join(f"--{k} {v}" for k, v in vars(args).items()))
    )
    print(write_outputs(runs, command, time.perf_counter() - started))


if __name__ == "__main__":
    main()
