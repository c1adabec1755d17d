"""What the observability middleware costs on the hottest request, `GET /units?limit=100`.

In process (no HTTP, the figure that survives a busy machine): serve's app with and without
`RequestObservability`, on one runtime, called directly through ASGI in alternating batches of
`--batch` requests (`--batches` of each). Each batch is timed in this process's CPU time, which
other processes on the machine do not inflate as they do wall-clock time: per app the median
requests per CPU-second, and the difference of the medians in CPU microseconds per request.

Over HTTP: three servers on one SQLite database of `--units` units, up at once, one process each, no delivery
worker, the rate limiter on (memory, a rate never reached):

- *without*: serve's app with `RequestObservability` taken out (no request id, no latency
  histogram, no access log), on uvicorn with serve's flags and no access log;
- *with*: serve's app as shipped, the same way (`serve --no-access-log`);
- *with, JSON access log*: `rentengine serve --no-worker` with RENTENGINE_LOG_FORMAT=json, one line
  per request written to a file.

Each round measures the three with wrk (`--connections`, `--seconds`), in an order that rotates
every round, so the noise of a shared machine falls on all of them; the figure is each server's best
requests/s over the rounds, and its ratio to *without*.

    python -m bench.observability_cost [--units 2000] [--batches 40] [--batch 200] [--http]
                                       [--seconds 3] [--rounds 4] [--connections 16]
"""

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from fastapi import FastAPI
from starlette.types import ASGIApp, Message

from bench import machine
from bench.processes import RENTENGINE, Process, Processes, free_port, processes, run_cli
from bench.stack import server_env
from bench.wrk import run_wrk
from rentengine.observability.logs import ACCESS_LOGGER

WITHOUT = "without the middleware"
WITH = "with the middleware (no access log)"
WITH_JSON_LOG = "with the middleware, JSON access log"
PAGE = "/api/public/v1/units?limit=100"
# Three processes importing the app at once on a busy machine start slowly.
STARTUP_SECONDS = 300.0


def without_observability(app: FastAPI) -> FastAPI:
    """`app` minus `RequestObservability`: the stack is built at the first request, so the
    middleware is simply not in it."""
    from rentengine.observability.middleware import RequestObservability

    ours: object = RequestObservability
    app.user_middleware = [m for m in app.user_middleware if m.cls is not ours]
    return app


def app_without_observability() -> FastAPI:
    """serve's app (uvicorn factory) minus `RequestObservability`."""
    from rentengine.app import serve_app

    return without_observability(serve_app())


async def _batch_rate(app: ASGIApp, token: str, count: int) -> float:
    """Requests per CPU-second of `count` sequential `GET /units?limit=100` sent straight to the
    ASGI app."""
    headers = [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {token}".encode())]
    path = PAGE.split("?")[0]
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
        "query_string": b"limit=100", "headers": headers, "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
    }  # fmt: skip
    statuses: list[int] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    started = time.process_time()
    for _ in range(count):
        await app(dict(scope), receive, send)
    elapsed = time.process_time() - started
    if set(statuses) != {200}:
        raise SystemExit(f"in process: statuses {sorted(set(statuses))}")
    return count / elapsed


def _json_access_log(path: Path) -> logging.Handler:
    """The access log as `serve` writes it with RENTENGINE_LOG_FORMAT=json, into `path`."""
    from rentengine.observability.logs import JsonFormatter, RequestIdFilter

    handler = logging.FileHandler(path)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    logging.getLogger(ACCESS_LOGGER).addHandler(handler)
    return handler


async def in_process(
    database_url: str, token: str, batches: int, batch: int, folder: Path
) -> dict[str, list[float]]:
    from rentengine.app import create_app
    from rentengine.runtime import Runtime
    from rentengine.settings import Settings

    runtime = Runtime.build(Settings(database_url=database_url))
    with_app = create_app(runtime.settings, runtime)
    apps = {
        WITHOUT: without_observability(create_app(runtime.settings, runtime)),
        WITH: with_app,
        WITH_JSON_LOG: with_app,
    }
    access = logging.getLogger(ACCESS_LOGGER)
    access.propagate = False
    handler = _json_access_log(folder / "access.log")
    rates: dict[str, list[float]] = {name: [] for name in apps}
    try:
        for number in range(batches + 1):  # the first round warms up
            shift = number % len(apps)
            for name in list(apps)[shift:] + list(apps)[:shift]:
                access.setLevel(logging.INFO if name == WITH_JSON_LOG else logging.WARNING)
                rate = await _batch_rate(apps[name], token, batch)
                if number:
                    rates[name].append(rate)
    finally:
        access.removeHandler(handler)
        handler.close()
        await runtime.close()
    return rates


def _uvicorn(procs: Processes, name: str, factory: str, env: dict[str, str]) -> tuple[Process, str]:
    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", "--factory", factory, "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--no-access-log", "--log-level", "warning", "--timeout-keep-alive", "75"]
    return procs.spawn(name, argv, env), f"http://127.0.0.1:{port}"


def _serve_json(procs: Processes, env: dict[str, str]) -> tuple[Process, str]:
    port = free_port()
    argv = [str(RENTENGINE), "serve", "--no-worker", "--port", str(port)]
    return procs.spawn("json-log", argv, {**env, "RENTENGINE_LOG_FORMAT": "json"}), f"http://127.0.0.1:{port}"


def _tenant(env: dict[str, str], units: int) -> str:
    """A demo account of `units` units and a key for it; returns the token."""
    account = run_cli(
        env, "demo-data", "--units", str(units), "--lockbox-events", "0", "--properties", "0",
        "--prospects", "0", "--quiet", timeout=600,
    )  # fmt: skip
    run_cli(env, "users", "create", "bench@example.com", "--account", account)
    return run_cli(env, "keys", "create", "--user", "bench@example.com", "--name", "bench")


def measure(args: argparse.Namespace, env: dict[str, str], token: str, folder: Path) -> dict[str, float]:
    headers = {"Authorization": f"Bearer {token}"}
    # serve's processes run without a delivery worker, as `serve --no-worker`.
    env = {**env, "RENTENGINE_SERVE_DELIVERY_WORKER": "0", "PYTHONPATH": os.getcwd()}
    best: dict[str, float] = {}
    with processes(folder / "logs") as procs:
        servers = {
            WITHOUT: _uvicorn(procs, "without", "bench.observability_cost:app_without_observability", env),
            WITH: _uvicorn(procs, "with", "rentengine.app:serve_app", env),
            WITH_JSON_LOG: _serve_json(procs, env),
        }
        for name, (process, base) in servers.items():
            process.wait_http(f"{base}/healthz", timeout=STARTUP_SECONDS)
            page = httpx.get(f"{base}{PAGE}", headers=headers, timeout=30)
            if page.status_code != 200 or len(page.json()) != 100:
                raise SystemExit(f"{name}: GET {PAGE} answered {page.status_code}")
            assert ("x-request-id" in page.headers) == (name != WITHOUT), name
            run_wrk(f"{base}{PAGE}", seconds=1, connections=args.connections, headers=headers)  # warm-up
        names = list(servers)
        for round_number in range(args.rounds):
            order = names[round_number % len(names) :] + names[: round_number % len(names)]
            for name in order:
                result = run_wrk(
                    f"{servers[name][1]}{PAGE}",
                    seconds=args.seconds,
                    connections=args.connections,
                    headers=headers,
                )
                if result.errors or result.non_2xx:
                    raise SystemExit(f"{name}: {result.errors} errors, {result.non_2xx} non-2xx answers")
                print(
                    f"round {round_number + 1} {name}: {result.per_second:,.0f} requests/s", file=sys.stderr
                )
                best[name] = max(best.get(name, 0.0), result.per_second)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=2000)
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--http", action="store_true", help="Also measure over HTTP with wrk.")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rentengine-obs-bench-") as folder:
        database_url = f"sqlite:///{Path(folder) / 'bench.db'}"
        env = server_env(database_url)
        token = _tenant(env, args.units)
        os.environ["RENTENGINE_SECRET_KEY"] = env["RENTENGINE_SECRET_KEY"]
        os.environ["RENTENGINE_RATE_LIMIT"] = env["RENTENGINE_RATE_LIMIT"]
        rates = asyncio.run(in_process(database_url, token, args.batches, args.batch, Path(folder)))
        best = measure(args, env, token, Path(folder)) if args.http else {}
    medians = {name: statistics.median(values) for name, values in rates.items()}
    print(f"In process, {args.batches} alternating batches of {args.batch} `GET {PAGE}` per app:\n")
    print("| app | median requests per CPU-second | best batch | median vs without |")
    print("|---|---:|---:|---:|")
    for name in (WITHOUT, WITH, WITH_JSON_LOG):
        ratio = medians[name] / medians[WITHOUT]
        print(f"| {name} | {medians[name]:,.0f} | {max(rates[name]):,.0f} | {ratio:.3f} |")
    for name in (WITH, WITH_JSON_LOG):
        extra_us = (1 / medians[name] - 1 / medians[WITHOUT]) * 1e6
        print(f"\n{name}: {extra_us:+.1f} CPU µs per request (difference of the medians).")
    if best:
        print(f"\n| `GET {PAGE}`, {args.connections} connections | best requests/s | vs without |")
        print("|---|---:|---:|")
        for name, rate in best.items():
            print(f"| {name} | {rate:,.0f} | {rate / best[WITHOUT]:.3f} |")
    where = f"{machine.describe()}, rentengine at {machine.code_version()}"
    print(f"\nOn {where}, load average {machine.load_average()} at the end.")


if __name__ == "__main__":
    main()
