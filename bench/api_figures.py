"""Figures 3, 4 and 7, and the pieces `bench.request_path` (figures 1, 2, 8 and 9) builds on.

Every server is a real `rentengine serve` (rate limiter on as shipped, at a rate never reached; no
access log, no delivery worker) reading a dataset made by `rentengine demo-data`; wrk runs in its
own process on loopback.
"""

import asyncio
import json
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.datasets import Dataset
from bench.processes import RENTENGINE, Process, Processes, free_port
from bench.wrk import WrkResult, run_wrk

API = "/api/public/v1"
UNITS_PAGE = f"{API}/units?limit=100"
CONCURRENCY = (1, 4, 16, 64)
DEEP_PAGE = 9000
PAGES_PLOTTED = (0, 1000, 2500, 5000, 7500, DEEP_PAGE)
LATENCY_SECONDS = 3.0
WARMUP_SECONDS = 1.0
WALK_LANES = 4
# The first 1/20 of the pages is the memory walk's warm-up.
WARMUP_FRACTION = 20
RSS_SAMPLE_SECONDS = 0.2


@dataclass(frozen=True)
class Server:
    process: Process
    base: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def wrk(self, path: str, seconds: float, connections: int) -> WrkResult:
        run_wrk(self.base + path, seconds=WARMUP_SECONDS, connections=connections, headers=self.headers)
        result = run_wrk(self.base + path, seconds=seconds, connections=connections, headers=self.headers)
        if result.errors or result.non_2xx:
            raise RuntimeError(f"{path}: {result.errors} errors, {result.non_2xx} non-2xx answers")
        return result


@contextmanager
def api_server(procs: Processes, dataset: Dataset, workers: int, name: str) -> Iterator[Server]:
    port = free_port()
    argv = [str(RENTENGINE), "serve", "--no-worker", "--no-access-log", "--port", str(port)]
    process = procs.spawn(name, [*argv, "--workers", str(workers)], dataset.env)
    base = f"http://127.0.0.1:{port}"
    try:
        process.wait_http(f"{base}/healthz", timeout=300)  # the first start stores 100k wire forms
        yield Server(process, base, dataset.token)
    finally:
        process.stop()


def in_process_limit(dataset: Dataset, processes: int, seconds: float) -> float:
    """Loops/s of `bench.inprocess`, one process per core at the same time, added up."""
    argv = [sys.executable, "-m", "bench.inprocess", "--database-url", dataset.database_url]
    argv += ["--account", dataset.account_id, "--seconds", str(seconds)]
    runs = [subprocess.Popen(argv, stdout=subprocess.PIPE, text=True) for _ in range(processes)]
    results = [json.loads(run.communicate()[0]) for run in runs]
    return float(sum(r["requests"] / r["seconds"] for r in results))


def events_page(page_number: int) -> str:
    return f"{API}/lockbox_events?limit=100&page_number={page_number}"


def p50_ms(server: Server, path: str, rounds: int = 2) -> float:
    """Median latency of one connection's back-to-back requests, median over rounds."""
    return statistics.median(server.wrk(path, LATENCY_SECONDS, 1).p50_ms for _ in range(rounds))


def latency_by_page(server: Server) -> dict[int, float]:
    return {page: p50_ms(server, events_page(page), rounds=1) for page in PAGES_PLOTTED}


def _rss_mb(pid: int, field_name: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field_name} for process {pid}")


@dataclass(frozen=True)
class MemoryWalk:
    pages: int
    seconds: float
    start_mb: float
    end_mb: float
    peak_mb: float

    @property
    def growth(self) -> float:
        return self.end_mb / self.start_mb


async def _walk(server: Server, pages: range) -> None:
    """These pages of the events list once each, `WALK_LANES` requests in flight, each page checked."""
    numbers = iter(pages)
    async with httpx.AsyncClient(base_url=server.base, headers=server.headers, timeout=60) as client:

        async def lane() -> None:
            for number in numbers:
                response = await client.get(events_page(number))
                if response.status_code != 200 or len(response.json()) != 100:
                    raise RuntimeError(f"page {number}: {response.status_code}")

        await asyncio.gather(*(lane() for _ in range(WALK_LANES)))


def memory_walk(server: Server, event_count: int) -> MemoryWalk:
    """Peak RSS of a one-process server before and after listing every event page by page."""
    assert server.process.popen is not None
    pid = server.process.popen.pid
    pages = event_count // 100
    # Warm-up with the walk itself: its first pages fill the connection pool and each connection's
    # SQLite page cache (bounded, 2 MiB each), which is steady state, not growth.
    warm = max(1, pages // WARMUP_FRACTION)
    asyncio.run(_walk(server, range(warm)))
    start = _rss_mb(pid, "VmHWM")
    peak, done = [start], threading.Event()

    def sample() -> None:
        while not done.wait(RSS_SAMPLE_SECONDS):
            peak.append(_rss_mb(pid, "VmRSS"))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    asyncio.run(_walk(server, range(warm, pages)))
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    return MemoryWalk(pages, elapsed, start, _rss_mb(pid, "VmHWM"), max(peak))
