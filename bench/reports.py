"""The reports against the units page: how much a report costs next to the API's plainest read.

On a fresh database of each backend: `rentengine demo-data` loads `--units` units into one big
account (and 200 into each of `--small-accounts` more), then `bench.report_data` writes `--prospects`
prospects into the big account (1% of that into each small one) with their leasing events, showings,
calls and messages, spread over the two years up to now, and the database's statistics are
refreshed (VACUUM ANALYZE, ANALYZE). Then `rentengine serve` runs as shipped (rate limiter on, at a
rate no run reaches) and one client of the big account alternates three requests, `--samples`
times each after a warm-up, in a shuffled order every round:

- `GET /units?limit=100`, the reference;
- figure A: `GET /reporting/marketing-sources` over 32 days starting anywhere in the two years;
- figure B: `GET /reporting/leasing-performance/units/{id}` over 365 days, for a random unit.

    python -m bench.reports [--units 100000] [--prospects 1000000] [--backends sqlite,postgresql]
                            [--samples 200]
"""

import argparse
import asyncio
import random
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import create_async_engine

from bench.counting import table
from bench.databases import BACKENDS, database, postgres_admin_url
from bench.processes import (
    RENTENGINE,
    Process,
    ProcessError,
    Processes,
    free_port,
    processes,
    run_cli,
    tail,
)
from bench.report_data import HISTORY, AccountUnits, Loaded, account_units, load
from bench.stack import API_PREFIX, server_env
from rentengine.db.session import async_url

LIMIT = 100
WARMUP = 20
SMALL_ACCOUNT_UNITS = 200
MARKETING_WINDOW = timedelta(days=32)
PERFORMANCE_WINDOW = timedelta(days=365)
UNITS = "GET /units?limit=100"
FIGURES = (  # (name, request kind, goal for its p50 ÷ the units page's p50)
    ("A: marketing sources, 32 days", "marketing", 5.0),
    ("B: one unit's leasing performance, 365 days", "performance", 3.0),
)
HEADERS = ["backend", "figure", "report p50", f"`{UNITS}` p50", "report ÷ units", "goal"]


@dataclass(frozen=True)
class Dataset:
    backend: str
    env: dict[str, str]
    big: AccountUnits
    token: str
    units_seconds: float
    loaded: Loaded


@dataclass(frozen=True)
class Figure:
    backend: str
    name: str
    report_ms: float | None  # None: the report failed
    units_ms: float | None
    goal: float

    def row(self) -> list[str]:
        if self.report_ms is None or self.units_ms is None:
            failed = "units" if self.units_ms is None else "report"
            return [self.backend, self.name, "", "", f"{failed} failed (see above)", f"≤ {self.goal:g}"]
        ratio = self.report_ms / self.units_ms
        return [
            self.backend,
            self.name,
            f"{self.report_ms:.2f} ms",
            f"{self.units_ms:.2f} ms",
            f"**{ratio:.2f}** {'✓' if ratio <= self.goal else '✗'}",
            f"≤ {self.goal:g}",
        ]


def _demo_units(env: dict[str, str], units: int, log: Path) -> tuple[subprocess.Popen[str], Path]:
    """Units (with the JSON GET /units serves) in a new account, and nothing else."""
    argv = [str(RENTENGINE), "demo-data", "--units", str(units), "--prospects", "0"]
    argv += ["--lockbox-events", "0", "--properties", "0", "--quiet"]
    with log.open("w") as err:
        return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=err, text=True), log


def _wait(started: tuple[subprocess.Popen[str], Path], what: str) -> None:
    process, log = started
    process.communicate()
    if process.returncode != 0:
        raise ProcessError(f"{what} failed ({process.returncode}):\n{tail(log)}")


def _load_units(envs: list[tuple[str, dict[str, str]]], units: int, small: int, logs: Path) -> float:
    """The big account's units on every backend at once (one process each, mostly one core's work),
    then the small accounts'; returns the wall time."""
    started = time.monotonic()
    for _backend, env in envs:
        run_cli(env, "migrate")
    big = [_demo_units(env, units, logs / f"demo-data-{backend}.log") for backend, env in envs]
    for (backend, _env), process in zip(envs, big, strict=True):
        _wait(process, f"demo-data on {backend}")
    for backend, env in envs:
        for n in range(small):
            _wait(_demo_units(env, SMALL_ACCOUNT_UNITS, logs / f"demo-data-{backend}-{n}.log"), "demo-data")
    return time.monotonic() - started


async def _big_account(database_url: str) -> AccountUnits:
    engine = create_async_engine(async_url(database_url))
    try:
        async with engine.connect() as conn:
            return (await account_units(conn))[0]
    finally:
        await engine.dispose()


def _reader_key(env: dict[str, str], account_id: uuid.UUID) -> str:
    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    run_cli(env, "users", "create", email, "--account", str(account_id))
    return run_cli(env, "keys", "create", "--user", email, "--name", "reports bench")


def _dataset(backend: str, env: dict[str, str], prospects: int, units_seconds: float) -> Dataset:
    url = env["RENTENGINE_DATABASE_URL"]
    loaded = asyncio.run(load(url, prospects, log=lambda line: print(f"  {backend}: {line}", flush=True)))
    big = asyncio.run(_big_account(url))
    return Dataset(backend, env, big, _reader_key(env, big.account_id), units_seconds, loaded)


def _serve(procs: Processes, dataset: Dataset) -> tuple[Process, str]:
    """`rentengine serve` with the shipped defaults (one process, rate limiter on), and its API URL."""
    port = free_port()
    argv = [str(RENTENGINE), "serve", "--no-worker", "--port", str(port)]
    server = procs.spawn(f"server-{dataset.backend}", argv, dataset.env)
    base = f"http://127.0.0.1:{port}"
    server.wait_http(f"{base}/healthz")
    return server, f"{base}{API_PREFIX}"


def _rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _window(rng: random.Random, now: datetime, length: timedelta) -> dict[str, str]:
    """A period of `length` starting at a random second of the history, ending by now."""
    earliest = now - HISTORY
    start = earliest + timedelta(seconds=rng.randrange(int((HISTORY - length).total_seconds())))
    return {"start": _rfc3339(start), "end": _rfc3339(start + length)}


def _requests(dataset: Dataset, rng: random.Random) -> dict[str, Callable[[], tuple[str, dict[str, Any]]]]:
    """Each request kind as a maker of (path, query): a new window or unit on every call."""
    now = datetime.now(UTC).replace(microsecond=0)
    big = dataset.big

    def units() -> tuple[str, dict[str, Any]]:
        return "/units", {"limit": LIMIT}

    def marketing() -> tuple[str, dict[str, Any]]:
        query = {"account_ids": str(big.account_id), "limit": LIMIT, "page_number": 0}
        return "/reporting/marketing-sources", query | _window(rng, now, MARKETING_WINDOW)

    def performance() -> tuple[str, dict[str, Any]]:
        unit_id = big.first_id + rng.randrange(big.count)
        return f"/reporting/leasing-performance/units/{unit_id}", _window(rng, now, PERFORMANCE_WINDOW)

    return {"units": units, "marketing": marketing, "performance": performance}


class RequestFailed(RuntimeError):
    """A request answered other than 200."""


def _timed(client: httpx.Client, path: str, query: dict[str, Any]) -> float:
    started = time.perf_counter()
    response = client.get(path, params=query)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RequestFailed(f"GET {path} {query}: {response.status_code} {response.text[:300]}")
    return elapsed * 1000


def _check_lists(client: httpx.Client) -> None:
    """The loaded rows read back through the API: a full page of prospects and of units."""
    for path in ("/prospects", "/units", "/leasing_events"):
        response = client.get(path, params={"limit": LIMIT})
        body = response.json() if response.status_code == 200 else None
        rows = body if isinstance(body, list) else (body or {}).get("data", [])
        if response.status_code != 200 or len(rows) != LIMIT:
            raise RuntimeError(f"GET {path}: {response.status_code}, {len(rows)} rows: {response.text[:300]}")


@dataclass
class Timings:
    """Each request kind's latencies (ms), or why it stopped being asked."""

    samples: dict[str, list[float]]
    failures: dict[str, str]

    def p50(self, kind: str) -> float | None:
        return None if kind in self.failures else statistics.median(self.samples[kind])


def _sample(client: httpx.Client, dataset: Dataset, samples: int) -> Timings:
    """Every kind once per round, in a new order each round, so that drift touches all alike. A kind
    that fails is reported and left out of the later rounds; the others go on."""
    rng = random.Random(20261202)
    makers = _requests(dataset, rng)
    timings = Timings({kind: [] for kind in makers}, {})
    for round_number in range(WARMUP + samples):
        kinds = [kind for kind in makers if kind not in timings.failures]
        rng.shuffle(kinds)
        for kind in kinds:
            try:
                elapsed = _timed(client, *makers[kind]())
            except RequestFailed as failure:
                print(f"  {dataset.backend}: {failure}", flush=True)
                timings.failures[kind] = str(failure)
                continue
            if round_number >= WARMUP:
                timings.samples[kind].append(elapsed)
    return timings


def _figures(procs: Processes, dataset: Dataset, samples: int) -> Iterator[Figure]:
    server, api = _serve(procs, dataset)
    headers = {"Authorization": f"Bearer {dataset.token}"}
    with httpx.Client(base_url=api, headers=headers, timeout=120) as client:
        _check_lists(client)
        timings = _sample(client, dataset, samples)
    server.stop()  # the next backend is measured alone
    units = timings.p50("units")
    for name, kind, goal in FIGURES:
        yield Figure(dataset.backend, name, timings.p50(kind), units, goal)


def _describe(dataset: Dataset, small: int) -> str:
    rows = ", ".join(f"{count:,} {table}" for table, count in dataset.loaded.rows.items())
    return (
        f"{dataset.backend}: {dataset.big.count:,} units in the big account (+{small} x "
        f"{SMALL_ACCOUNT_UNITS}), {rows}; units by demo-data in {dataset.units_seconds:.0f} s "
        f"(both backends at once), the rest by bench.report_data in {dataset.loaded.seconds:.0f} s"
    )


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--prospects", type=int, default=1_000_000)
    parser.add_argument("--small-accounts", type=int, default=3)
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--samples", type=int, default=200)
    return parser.parse_args()


def main() -> None:
    args = _arguments()
    backends = args.backends.split(",")
    admin = postgres_admin_url(start="postgresql" in backends)
    with tempfile.TemporaryDirectory(prefix="rentengine-reports-") as tmp, ExitStack() as stack:
        workdir = Path(tmp)
        urls = [stack.enter_context(database(backend, workdir, admin)) for backend in backends]
        envs = [(backend, server_env(url)) for backend, url in zip(backends, urls, strict=True)]
        units_seconds = _load_units(envs, args.units, args.small_accounts, workdir)
        datasets = [_dataset(backend, env, args.prospects, units_seconds) for backend, env in envs]
        for dataset in datasets:
            print(_describe(dataset, args.small_accounts), flush=True)
        with processes(workdir / "logs") as procs:
            figures = [figure for dataset in datasets for figure in _figures(procs, dataset, args.samples)]
    print(table(HEADERS, [figure.row() for figure in figures]))


if __name__ == "__main__":
    main()
