"""The request path of `GET /units?limit=100` and the rate limiter, each against what bounds it.

Per backend, every server is one process on the same data. The servers of one pass are up at once
and measured one after another with wrk at each concurrency of the sweep, in an order that rotates
every round, so the noise of a shared machine falls on all of them; each figure is the best
requests/s of one side over the sweep ÷ the best of the other, both from the same pass.

First pass (figures 1, 2, 8 and 9):
- `rentengine serve --workers 1`, rate limiter on (a rate never reached), its counters in process
  memory (the default for one process): *ours*;
- the same with its counters in Redis (`scripts/redis-up`), and with the rate limiter off:
  figures 8 and 9 are ours ÷ off and Redis ÷ off;
- `bench.bare_asgi` on uvicorn with the flags `serve` gives it: the same stored unit forms read with
  the raw driver, the same bytes, no framework (figure 2 is ours ÷ this);
- Prism serving our exported document whose `GET /units` 200 example is the very page we serve
  (figure 1 is ours ÷ Prism);
- once per round, the in-process loop (`bench.inprocess`, one process, no HTTP): a reference.

Second pass (references, no goal): ours and the bare app again, each beside the same app on
granian (one worker, ASGI interface, uvloop, HTTP/1.1). Two passes keep the servers holding
PostgreSQL connections at once (each `serve` process pools up to 20) well under its 100.

Before any load, every server's body is compared with ours byte for byte (Prism's: the same JSON),
the limiter's `X-Ratelimit-*` headers must be there (and absent when off), and its counters must
appear where it was told to keep them (a new key in Redis; no change to the database's counters).
A window in which a server fails or answers nothing is kept, noted in the table and followed by a
burst of requests whose statuses are noted too.

    python -m bench.request_path [--backends sqlite,postgresql] [--units 20000] [--seconds 2]
                                 [--rounds 2] [--connections 4,16,64] [--no-write]

On its own it loads a small dataset (20,000 units, no events), sweeps 4 to 64 connections with
2-second windows (about 4 minutes per backend on a quiet machine) and rewrites its block of
docs/performance.md; `make bench` runs the same passes on its big dataset (1 to 64 connections,
3 s) in the suite.
"""

import argparse
import asyncio
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench import machine
from bench.api_figures import API, CONCURRENCY, UNITS_PAGE, WARMUP_SECONDS, Server, in_process_limit
from bench.databases import BACKENDS, database, postgres_admin_url, redis_url, table_rows
from bench.datasets import Dataset, Sizes, load_all
from bench.mock_vs_prism import ensure_prism, export_document
from bench.processes import REPO, Process, ProcessError, Processes, free_port, processes, tail
from bench.report import Figure, figures_table, update_document
from bench.stack import server_env
from bench.wrk import WrkResult, run_wrk

GRANIAN = Path(sys.executable).with_name("granian")
QUICK_CONCURRENCY = tuple(c for c in CONCURRENCY if c > 1)
# The servers, by the name each is printed with. First pass:
OURS = "serve, rate limit on (memory)"
REDIS = "serve, rate limit on (Redis)"
OFF = "serve, rate limit off"
BARE = "bare ASGI app, uvicorn"
PRISM_PAGE = "Prism, same page"
# Second pass:
APP_UVICORN = "serve's app, uvicorn (`rentengine serve`)"
APP_GRANIAN = "serve's app, granian"
BARE_UVICORN = "bare ASGI app, uvicorn (again)"
BARE_GRANIAN = "bare ASGI app, granian"
BLOCK = ("<!-- request-path:begin -->", "<!-- request-path:end -->")
STORAGE_CHECK_SECONDS = 2.0
COUNTERS = "rate_limit_counters"  # the database's counters, which `serve --workers N` uses by default


@dataclass(frozen=True)
class Target:
    name: str
    server: Server
    path: str

    def run(self, seconds: float, connections: int) -> WrkResult:
        url, headers = self.server.base + self.path, self.server.headers
        return run_wrk(url, seconds=seconds, connections=connections, headers=headers)

    def burst(self, connections: int) -> str:
        """What `connections` requests at once get, by status: asked after a window that went wrong."""

        async def statuses() -> list[str]:
            url = self.server.base + self.path
            async with httpx.AsyncClient(headers=self.server.headers, timeout=30) as client:
                answers = await asyncio.gather(
                    *(client.get(url) for _ in range(connections)), return_exceptions=True
                )
            return [
                type(a).__name__
                if isinstance(a, BaseException)
                else str(a.status_code)
                if a.is_success
                else f"{a.status_code} {a.text[:80]!r}"
                for a in answers
            ]

        return ", ".join(f"{what}: {n}" for what, n in Counter(asyncio.run(statuses())).items())


@dataclass
class RequestPath:
    """One backend's measurements: per server, per concurrency, one requests/s figure per round."""

    backend: str
    rates: dict[str, dict[int, list[float]]] = field(default_factory=dict)
    in_process: list[float] = field(default_factory=list)  # one figure per round of the first pass
    body_bytes: int = 0
    prism_body_bytes: int = 0
    # Per server, what went wrong: counters not where it was told to keep them, a window in which it
    # failed or answered nothing (wrk counts a request once answered).
    notes: dict[str, list[str]] = field(default_factory=dict)

    def note(self, name: str, text: str) -> None:
        self.notes.setdefault(name, []).append(text)
        print(f"[{self.backend}] warning: {name}: {text}", flush=True)

    def best(self, name: str) -> float:
        return max(max(rounds) for rounds in self.rates[name].values())

    def curve(self, name: str) -> dict[int, float]:
        return {connections: max(rounds) for connections, rounds in self.rates[name].items()}

    def peak(self, name: str) -> str:
        curve = self.curve(name)
        best = max(curve, key=lambda c: curve[c])
        return f"{curve[best]:,.0f}/s at {best} conn."

    def ratio(self, name: str, other: str) -> float:
        return self.best(name) / self.best(other) if self.best(other) else float("nan")


def _wait_for_prism(process: Process, url: str, seconds: float = 120.0) -> None:
    """Until Prism answers 2xx on `url` (it loads and validates the document first), bounded."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        process.check_alive()
        try:
            if httpx.get(url, headers={"Authorization": "Bearer x"}, timeout=5).is_success:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise ProcessError(f"Prism did not answer {url} within {seconds:.0f} s")


@contextmanager
def prism_serving(procs: Processes, folder: Path, page: bytes, name: str) -> Iterator[Server]:
    """Prism on our exported document, the `GET /units` 200 example replaced by `page`."""
    folder.mkdir(parents=True, exist_ok=True)
    path, document = export_document(folder)
    content = document["paths"]["/units"]["get"]["responses"]["200"]["content"]["application/json"]
    content.pop("examples", None)
    content["example"] = json.loads(page)
    path.write_text(json.dumps(document))
    port = free_port()
    argv = [str(ensure_prism()), "mock", str(path), "--host", "127.0.0.1", "--port", str(port)]
    # Static examples, request violations answered as errors, no log line per request.
    process = procs.spawn(name, [*argv, "--errors", "--verboseLevel", "warn"], os.environ.copy())
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for_prism(process, f"{base}/units?limit=100")
        yield Server(process, base, "any")
    finally:
        process.stop()


def _serve(procs: Processes, name: str, env: dict[str, str]) -> tuple[Process, str]:
    port = free_port()
    argv = ["serve", "--no-worker", "--no-access-log", "--port", str(port), "--workers", "1"]
    process = procs.spawn(name, [str(Path(sys.executable).with_name("rentengine")), *argv], env)
    return process, f"http://127.0.0.1:{port}"


def _granian(
    procs: Processes, name: str, app: str, env: dict[str, str], factory: bool
) -> tuple[Process, str]:
    """One granian worker with the ASGI interface, uvloop and HTTP/1.1, like uvicorn here."""
    port = free_port()
    argv = [str(GRANIAN), "--interface", "asgi", "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--workers", "1", "--loop", "uvloop", "--http", "1", "--no-access-log"]
    argv += ["--factory", app] if factory else [app]
    return procs.spawn(name, argv, env), f"http://127.0.0.1:{port}"


def _started(process: Process, base: str, health: str) -> str:
    process.wait_http(base + health, timeout=300)  # a first start on 100k units stores their forms
    return base


def _bare(procs: Processes, name: str, env: dict[str, str]) -> tuple[Process, str]:
    port = free_port()
    argv = [sys.executable, "-m", "bench.bare_asgi", "--port", str(port)]
    return procs.spawn(name, argv, env), f"http://127.0.0.1:{port}"


def _get(target: Target) -> httpx.Response:
    response = httpx.get(target.server.base + target.path, headers=target.server.headers, timeout=30)
    if response.status_code != 200:
        raise RuntimeError(f"{target.name}: {response.status_code} {response.text[:200]}")
    return response


@contextmanager
def first_pass(procs: Processes, dataset: Dataset, redis: str, folder: Path) -> Iterator[list[Target]]:
    """Ours, Redis, off, the bare app on uvicorn and Prism: up, answering and checked."""
    env, tag = dataset.env, dataset.backend
    # The first start migrates and rebuilds stale unit forms: alone, before the others start.
    servers = {OURS: _serve(procs, f"serve-memory-{tag}", {**env, "RENTENGINE_RATE_LIMIT_STORAGE": "memory"})}
    _started(*servers[OURS], "/healthz")
    servers[REDIS] = _serve(procs, f"serve-redis-{tag}", {**env, "RENTENGINE_RATE_LIMIT_STORAGE": redis})
    servers[OFF] = _serve(procs, f"serve-off-{tag}", {**env, "RENTENGINE_RATE_LIMIT": "off"})
    servers[BARE] = _bare(procs, f"bare-uvicorn-{tag}", _bare_env(dataset))
    try:
        found = [
            Target(
                name,
                Server(p, _started(p, base, "/" if name == BARE else "/healthz"), dataset.token),
                UNITS_PAGE,
            )
            for name, (p, base) in servers.items()
        ]
        page = _get(found[0]).content
        with prism_serving(procs, folder / f"prism-{tag}", page, f"prism-{tag}") as prism:
            yield [*found, Target(PRISM_PAGE, prism, UNITS_PAGE.removeprefix(API))]
    finally:
        for process, _ in servers.values():
            process.stop()


@contextmanager
def second_pass(procs: Processes, dataset: Dataset) -> Iterator[list[Target]]:
    """Serve's app and the bare app, each on uvicorn (as `serve` runs it) and on granian."""
    from rentengine.app import DELIVERY_WORKER_ENV

    env, tag = {**dataset.env, "RENTENGINE_RATE_LIMIT_STORAGE": "memory"}, dataset.backend
    servers = {
        APP_UVICORN: _serve(procs, f"serve-uvicorn-{tag}", env),
        APP_GRANIAN: _granian(
            procs, f"serve-granian-{tag}", "rentengine.app:serve_app", {**env, DELIVERY_WORKER_ENV: "0"}, True
        ),
        BARE_UVICORN: _bare(procs, f"bare-uvicorn-2-{tag}", _bare_env(dataset)),
        BARE_GRANIAN: _granian(
            procs, f"bare-granian-{tag}", "bench.bare_asgi:app", _bare_env(dataset), False
        ),
    }
    try:
        yield [
            Target(
                name,
                Server(p, _started(p, base, "/healthz" if "serve" in name else "/"), dataset.token),
                UNITS_PAGE,
            )
            for name, (p, base) in servers.items()
        ]
    finally:
        for process, _ in servers.values():
            process.stop()


def _bare_env(dataset: Dataset) -> dict[str, str]:
    return {
        **dataset.env,
        "BENCH_BARE_DATABASE_URL": dataset.database_url,
        "BENCH_BARE_ACCOUNT": dataset.account_id,
    }


def check_first_pass(run: RequestPath, found: list[Target], redis: str, database_url: str) -> None:
    """Every server answers ours byte for byte (Prism: the same JSON); the limiter is on where it should."""
    by = {t.name: t for t in found}
    ours = _get(by[OURS])
    run.body_bytes = len(ours.content)
    _same_page(BARE, _get(by[BARE]).content, ours.content)
    prism = _get(by[PRISM_PAGE])
    run.prism_body_bytes = len(prism.content)
    if prism.json() != ours.json():
        raise RuntimeError(f"Prism's page ({len(prism.content)} bytes) is not ours ({run.body_bytes} bytes)")
    off = _get(by[OFF])
    _same_page(OFF, off.content, ours.content)
    if "x-ratelimit-limit" in off.headers:
        raise RuntimeError(f"{OFF}: answers with X-Ratelimit-Limit, so the rate limiter is on")
    # Each limited server's next request: its counter must show up where it was told to keep it and
    # nowhere else (a server that ignores the setting keeps its counters in the database).
    for name in (OURS, REDIS):
        counters, keys = asyncio.run(table_rows(database_url, COUNTERS)), _redis_keys(redis)
        response = _get(by[name])
        _same_page(name, response.content, ours.content)
        if "x-ratelimit-limit" not in response.headers:
            raise RuntimeError(f"{name}: no X-Ratelimit-Limit header, so the rate limiter is not on")
        # A counter may be written after the answer: look for a while before concluding.
        in_redis, in_database = False, False
        deadline = time.monotonic() + STORAGE_CHECK_SECONDS
        while time.monotonic() < deadline and not in_database and not (name == REDIS and in_redis):
            in_database = asyncio.run(table_rows(database_url, COUNTERS)) != counters
            in_redis = bool(_redis_keys(redis) - keys)
            time.sleep(0.1)
        if in_database:
            run.note(name, "its counters went to the database: the storage setting was ignored")
        elif name == REDIS and not in_redis:
            run.note(name, "no counter appeared in Redis: the storage setting was ignored")


def check_second_pass(found: list[Target], page: bytes) -> None:
    for target in found:
        response = _get(target)
        _same_page(target.name, response.content, page)
        if target.name in (APP_UVICORN, APP_GRANIAN) and "x-ratelimit-limit" not in response.headers:
            raise RuntimeError(f"{target.name}: no X-Ratelimit-Limit header, so the rate limiter is not on")


def _same_page(name: str, body: bytes, ours: bytes) -> None:
    if body != ours:
        raise RuntimeError(f"{name} answers {len(body)} bytes, ours {len(ours)}: not the same page")


def _redis_keys(url: str) -> set[bytes]:
    import redis

    client = redis.Redis.from_url(url)
    try:
        return set(client.scan_iter(count=1000))
    finally:
        client.close()


def sweep(
    run: RequestPath,
    found: list[Target],
    connections: tuple[int, ...],
    rounds: int,
    seconds: float,
    in_process: Dataset | None = None,
) -> None:
    """Every server at every concurrency, `rounds` times, in an order that rotates each round; with
    `in_process`, the in-process loop once per round too."""
    for target in found:  # once each, at the sweep's top concurrency: pools and caches filled
        run.rates[target.name] = {c: [] for c in connections}
        target.run(WARMUP_SECONDS * 2, max(connections))
    turn = 0
    for c in connections:
        for round_ in range(1, rounds + 1):
            order = found[turn % len(found) :] + found[: turn % len(found)]
            turn += 1
            for target in order:
                result = target.run(seconds, c)
                answered = result.requests - result.non_2xx
                run.rates[target.name][c].append(answered / result.seconds if result.seconds else 0.0)
                if result.errors or not answered:
                    # A server that stops answering, or fails, is a finding, not noise: kept and shown.
                    run.note(
                        target.name,
                        f"at {c} conn. (round {round_}) {answered} answers 2xx, {result.non_2xx} other, "
                        f"{result.errors - result.non_2xx} connection errors or timeouts in {seconds:.0f} s; "
                        f"then {c} requests at once: {target.burst(c)}",
                    )
                    print(tail(target.server.process.log, 15), flush=True)
            line = ", ".join(f"{t.name} {run.rates[t.name][c][-1]:,.0f}" for t in found)
            if in_process is not None:
                run.in_process.append(in_process_limit(in_process, 1, seconds))
                line += f", in-process loop {run.in_process[-1]:,.0f}"
            print(f"[{run.backend}] {c} conn.: {line}", flush=True)


def measure(
    procs: Processes,
    dataset: Dataset,
    redis: str,
    folder: Path,
    *,
    connections: tuple[int, ...] = CONCURRENCY,
    rounds: int = 2,
    seconds: float = 3.0,
) -> RequestPath:
    run = RequestPath(dataset.backend)
    with first_pass(procs, dataset, redis, folder) as found:
        check_first_pass(run, found, redis, dataset.database_url)
        page = _get(found[0]).content
        sweep(run, found, connections, rounds, seconds, in_process=dataset)
    with second_pass(procs, dataset) as found:
        check_second_pass(found, page)
        sweep(run, found, connections, rounds, seconds)
    return run


def figures(runs: list[RequestPath]) -> list[Figure]:
    """Figures 1, 2, 8 and 9, then the references (no goal)."""

    def each(ours: str, other: str) -> tuple[dict[str, float], dict[str, str]]:
        def detail(r: RequestPath) -> str:
            text = f"{r.peak(ours)} vs {r.peak(other)}"
            notes = [n for name in (ours, other) for n in r.notes.get(name, [])]
            return "; ".join([text, *notes])

        return {r.backend: r.ratio(ours, other) for r in runs}, {r.backend: detail(r) for r in runs}

    def in_process(r: RequestPath) -> str:
        return f"{r.best(OURS):,.0f} vs {max(r.in_process):,.0f}/s"

    return [
        Figure(
            1,
            "`GET /units?limit=100` req/s, one `serve` process ÷ Prism serving the same page",
            "≥ 3",
            *each(OURS, PRISM_PAGE),
            at_least=3.0,
        ),
        Figure(
            2,
            "same req/s ÷ bare ASGI app (raw driver, same bytes, uvicorn)",
            "≥ 0.25",
            *each(OURS, BARE),
            at_least=0.25,
        ),
        Figure(
            8,
            "rate limiter on, memory counters ÷ off (one process)",
            "≥ 0.95",
            *each(OURS, OFF),
            at_least=0.95,
        ),
        Figure(
            9,
            "rate limiter on, Redis counters ÷ off (one process)",
            "≥ 0.85",
            *each(REDIS, OFF),
            at_least=0.85,
        ),
        Figure(
            "ref",
            "same req/s ÷ in-process loop (same SQL and JSON, no HTTP, one process)",
            "",
            {r.backend: r.best(OURS) / max(r.in_process) for r in runs},
            {r.backend: in_process(r) for r in runs},
        ),
        Figure(
            "ref", "bare ASGI app: granian ÷ uvicorn (second pass)", "", *each(BARE_GRANIAN, BARE_UVICORN)
        ),
        Figure("ref", "serve's app: granian ÷ uvicorn (second pass)", "", *each(APP_GRANIAN, APP_UVICORN)),
    ]


def table(runs: list[RequestPath]) -> str:
    """Every target's best requests/s per backend, the rows the figures are ratios of."""
    from bench.counting import table as markdown

    names = list(runs[0].rates)
    rows = [[name, *(r.peak(name) for r in runs)] for name in names]
    rows.insert(5, ["in-process loop (one process)", *(f"{max(r.in_process):,.0f}/s" for r in runs)])
    return markdown(["server", *(r.backend for r in runs)], rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--units", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=2.0, help="measured window of each wrk run")
    parser.add_argument("--rounds", type=int, default=2, help="passes over the targets at each concurrency")
    # One connection is never any server's best here; `make bench` sweeps it too.
    parser.add_argument("--connections", default=",".join(map(str, QUICK_CONCURRENCY)))
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/performance.md alone")
    args = parser.parse_args()
    backends = args.backends.split(",")
    connections = tuple(int(c) for c in args.connections.split(","))
    subprocess.run(["bash", str(REPO / "scripts" / "bench-tools")], check=True)
    ensure_prism()
    admin_url = postgres_admin_url(start="postgresql" in backends)
    redis = redis_url()
    started = time.perf_counter()
    print(f"machine: {machine.describe()}; rentengine at {machine.code_version()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="rentengine-request-path-") as scratch, ExitStack() as stack:
        workdir = Path(scratch)
        procs = stack.enter_context(processes(workdir / "logs"))
        sizes = Sizes(units=args.units, lockbox_events=0)
        jobs = [
            (b, server_env(stack.enter_context(database(b, workdir, admin_url))), sizes) for b in backends
        ]
        datasets = load_all(jobs, workdir / "logs")
        print(f"loaded {sizes.label} in {time.perf_counter() - started:.0f} s", flush=True)
        runs = [
            measure(
                procs, d, redis, workdir, connections=connections, rounds=args.rounds, seconds=args.seconds
            )
            for d in datasets
        ]
    elapsed = time.perf_counter() - started
    block = report(runs, command(), elapsed)
    print(block)
    if not args.no_write:
        update_document(block, BLOCK)


def command() -> str:
    return shlex.join(["python", "-m", "bench.request_path", *(a for a in sys.argv[1:] if a != "--no-write")])


def report(runs: list[RequestPath], command: str, elapsed: float) -> str:
    backends = [r.backend for r in runs]
    return "\n\n".join(
        [
            f"Measured with `{command}` in {elapsed / 60:.1f} min on {machine.describe()}, rentengine at "
            f"{machine.code_version()}, load average {machine.load_average()} at the end. Page body "
            + ", ".join(f"{r.backend} {r.body_bytes:,} bytes (Prism {r.prism_body_bytes:,})" for r in runs)
            + ".",
            figures_table(figures(runs), backends),
            table(runs),
        ]
    )


if __name__ == "__main__":
    main()
