"""Deep pages of GET /prospects and GET /leasing_events: the first page against the last full one.

One account's lists are read by position (`account_seq`), so every page should cost about the
same, where OFFSET would read and discard every row before the page. On a fresh database of each
backend, `rentengine demo-data` loads `--prospects` prospects with their stories (about 4.4 leasing
events each) into one account, `rentengine serve` runs, and a reader of that one account requests
page 0 and the last full page of each list (`limit=100`), alternately, `--samples` times each.

    python -m bench.deep_pages [--prospects 20000] [--backends sqlite,postgresql] [--samples 40]
"""

import argparse
import asyncio
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from bench.counting import table
from bench.databases import BACKENDS, database, postgres_admin_url
from bench.processes import RENTENGINE, ProcessError, Processes, free_port, processes, run_cli
from bench.stack import API_PREFIX, server_env
from rentengine.db.session import async_url
from rentengine.leasing.models import LeasingEvent
from rentengine.prospects.models import Prospect

LIMIT = 100
WARMUP = 5
HEADERS = ["backend", "list", "rows", "page 0, p50", "last full page", "its p50", "last ÷ first"]


@dataclass(frozen=True)
class Loaded:
    backend: str
    env: dict[str, str]
    account_id: str
    token: str


@dataclass(frozen=True)
class Figure:
    backend: str
    path: str
    rows: int
    last_page: int
    first_ms: float
    last_ms: float

    @property
    def ratio(self) -> float:
        return self.last_ms / self.first_ms

    def row(self) -> list[str]:
        return [
            self.backend,
            f"GET {self.path}",
            f"{self.rows:,}",
            f"{self.first_ms:.2f} ms",
            f"{self.last_page:,}",
            f"{self.last_ms:.2f} ms",
            f"{self.ratio:.2f}",
        ]


def _load(jobs: list[tuple[str, dict[str, str]]], prospects: int, log_dir: Path) -> list[Loaded]:
    """`demo-data` on every backend at once (one process each), then a reader of the account."""
    for _backend, env in jobs:
        run_cli(env, "migrate")
    argv = [str(RENTENGINE), "demo-data", "--units", "200", "--lockbox-events", "0", "--properties", "0"]
    argv += ["--prospects", str(prospects), "--quiet"]
    started = []
    for backend, env in jobs:
        with (log_dir / f"demo-data-{backend}.log").open("w") as err:
            started.append(subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=err, text=True))
    loaded = []
    for (backend, env), process in zip(jobs, started, strict=True):
        out, _ = process.communicate()
        if process.returncode != 0:
            raise ProcessError(f"demo-data on {backend} failed ({process.returncode}); see {log_dir}")
        account_id = out.strip().splitlines()[-1]
        email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
        run_cli(env, "users", "create", email, "--account", account_id)
        token = run_cli(env, "keys", "create", "--user", email, "--name", "deep pages")
        loaded.append(Loaded(backend, env, account_id, token))
    return loaded


async def _count(database_url: str, model: type[Prospect] | type[LeasingEvent], account_id: str) -> int:
    engine = create_async_engine(async_url(database_url))
    try:
        async with engine.connect() as conn:
            stmt = select(func.count()).where(model.account_id == uuid.UUID(account_id))
            return int((await conn.execute(stmt)).scalar_one())
    finally:
        await engine.dispose()


def _timed(client: httpx.Client, path: str, page_number: int) -> float:
    started = time.perf_counter()
    response = client.get(path, params={"limit": LIMIT, "page_number": page_number})
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} page {page_number}: {response.status_code} {response.text}")
    body = response.json()
    rows = body if isinstance(body, list) else body["data"]
    if len(rows) != LIMIT:
        raise RuntimeError(f"GET {path} page {page_number}: {len(rows)} rows, not a full page")
    return elapsed * 1000


def _measure(client: httpx.Client, backend: str, path: str, rows: int, samples: int) -> Figure:
    last = rows // LIMIT - 1
    for _ in range(WARMUP):
        _timed(client, path, 0)
        _timed(client, path, last)
    first_ms, last_ms = [], []
    for _ in range(samples):  # alternately, so that drift touches both pages alike
        first_ms.append(_timed(client, path, 0))
        last_ms.append(_timed(client, path, last))
    return Figure(backend, path, rows, last, statistics.median(first_ms), statistics.median(last_ms))


def _serve(procs: Processes, loaded: Loaded) -> str:
    port = free_port()
    server = procs.spawn(
        f"server-{loaded.backend}", [str(RENTENGINE), "serve", "--no-worker", "--port", str(port)], loaded.env
    )
    base = f"http://127.0.0.1:{port}"
    server.wait_http(f"{base}/healthz")
    return f"{base}{API_PREFIX}"


def _figures(procs: Processes, loaded: Loaded, samples: int) -> Iterator[Figure]:
    api = _serve(procs, loaded)
    url = loaded.env["RENTENGINE_DATABASE_URL"]
    headers = {"Authorization": f"Bearer {loaded.token}"}
    with httpx.Client(base_url=api, headers=headers, timeout=60) as client:
        for path, model in (("/prospects", Prospect), ("/leasing_events", LeasingEvent)):
            rows = asyncio.run(_count(url, model, loaded.account_id))
            yield _measure(client, loaded.backend, path, rows, samples)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--prospects", type=int, default=20_000)
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--samples", type=int, default=40)
    args = parser.parse_args()
    backends = args.backends.split(",")
    admin = postgres_admin_url(start="postgresql" in backends)
    with tempfile.TemporaryDirectory(prefix="rentengine-deep-pages-") as tmp, ExitStack() as stack:
        workdir = Path(tmp)
        urls = [stack.enter_context(database(backend, workdir, admin)) for backend in backends]
        jobs = [(backend, server_env(url)) for backend, url in zip(backends, urls, strict=True)]
        started = time.monotonic()
        loaded = _load(jobs, args.prospects, workdir)
        print(f"loaded {args.prospects:,} prospects per backend in {time.monotonic() - started:.0f} s")
        with processes(workdir / "logs") as procs:
            figures = [figure for one in loaded for figure in _figures(procs, one, args.samples)]
    print(table(HEADERS, [figure.row() for figure in figures]))


if __name__ == "__main__":
    main()
