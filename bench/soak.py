"""The soak run: many clients against one `rentengine serve` for minutes, the server killed halfway.

Per backend, on a fresh database (a SQLite file in a temporary directory, or a new PostgreSQL
database dropped at the end), set up as a user would: `rentengine migrate`, `accounts create`,
`users create`, one `keys create` per client, `demo-data`, and `webhooks create` for a local receiver
(`bench/soak_receiver.py`) that keeps every delivery's webhook-id and body. Then `rentengine serve
--host 127.0.0.1 --port P` (the defaults: rate limit 30/5seconds per key, the delivery worker in
process; only RENTENGINE_WEBHOOK_ALLOW_PRIVATE_TARGETS=true, so that a loopback receiver is allowed),
and the clients (`bench/soak_load.py`) read and write for --minutes. Halfway through, the server's
process group is killed with SIGKILL and serve is started again the same way; the clients carry on.

At the end the run prints the answers by class (5xx, 429, …), latency of the 2xx answers, the
serving process's RSS and open file descriptors, whether every acknowledged write is still there
(read back through the API), and whether every acknowledged write reached the receiver (waiting a
bounded time). It exits non-zero when a goal is missed: a 5xx, a request without an answer outside
the outage, an acknowledged write missing or not delivered.

    python -m bench.soak [--backends sqlite,postgresql] [--minutes 10] [--clients 64]
"""

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench import machine
from bench.counting import table
from bench.databases import BACKENDS, fresh_database, postgres_admin_url
from bench.processes import REPO, Process, clean_env, free_port, processes, run_cli
from bench.readback import stored_markers
from bench.soak_load import (
    EVENTS,
    PAGE,
    PROPERTIES,
    REQUEST_TIMEOUT_SECONDS,
    UNITS,
    Ack,
    Failure,
    Tally,
    Workload,
    run_clients,
)
from bench.soak_server import ProcStats, Server

API_PREFIX = "/api/public/v1"
HOOK_PATH = "/hooks/soak"
LOG_ROOT = REPO / ".bench-cache" / "soak"
SAMPLE_EVERY_SECONDS = 5.0
VERIFY_LANES = 4
VERIFY_BUDGET_SECONDS = 300.0


@dataclass(frozen=True)
class Sample:
    when: str
    at: float  # seconds since the load started
    serve: int  # 1 = first start, 2 = after the kill
    stats: ProcStats | None


@dataclass
class Outage:
    killed_at: float = 0.0  # monotonic
    ready_at: float = 0.0

    def overlaps(self, failure: Failure) -> bool:
        return bool(self.killed_at) and failure.started <= self.ready_at and failure.ended >= self.killed_at


@dataclass
class Durability:
    acknowledged: Counter[str] = field(default_factory=Counter)  # table -> acknowledged writes
    missing: list[Ack] = field(default_factory=list)  # acknowledged, not found afterwards
    # Records whose stored marker is older than their last acknowledged update: the update was lost,
    # or an earlier update whose client gave up waiting (no answer) was applied after it.
    stale: list[str] = field(default_factory=list)
    overtaken: list[str] = field(default_factory=list)
    unverified: int = 0  # could not be read back within the budget
    deliveries: int = 0  # 2xx deliveries the receiver recorded
    distinct_webhook_ids: int = 0
    undelivered: int = 0  # acknowledged writes whose marker never reached the receiver
    delivered_unacknowledged: int = 0  # deliveries of writes the clients never saw acknowledged
    bad_signatures: int = 0
    waited_seconds: float = 0.0


@dataclass
class SoakResult:
    backend: str
    clients: int
    seconds: float
    setup_seconds: float
    tally: Tally
    outage: Outage
    load_started: float
    samples: list[Sample]
    durability: Durability
    load_before: str
    load_after: str
    server_exits: list[str] = field(default_factory=list)


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


# --- setup -----------------------------------------------------------------------------------------


async def _keys(env: dict[str, str], email: str, count: int) -> list[str]:
    """`rentengine keys create` once per client, a few at a time (each is a process of its own)."""
    gate = asyncio.Semaphore(os.cpu_count() or 2)

    async def one(n: int) -> str:
        async with gate:
            return await asyncio.to_thread(
                run_cli, env, "keys", "create", "--user", email, "--name", f"soak {n}"
            )

    return list(await asyncio.gather(*(one(n) for n in range(count))))


def _say(backend: str, message: str) -> None:
    print(f"{backend}: {message}", file=sys.stderr, flush=True)


async def _fixtures(server: Server, token: str, account_id: str) -> tuple[list[str], list[int]]:
    """Lockboxes and units of the demo data, for the clients' lockbox events."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        base_url=f"{server.base}{API_PREFIX}", headers=headers, timeout=30
    ) as client:
        params: dict[str, str | int] = {"account_id": account_id, "limit": PAGE}
        lockboxes = (await client.get("/lockboxes", params=params)).raise_for_status().json()
        units = (await client.get("/units", params={"limit": PAGE})).raise_for_status().json()
    if not lockboxes or not units:
        raise RuntimeError("the demo data holds no lockbox or no unit")
    return [str(box["id"]) for box in lockboxes], [int(unit["id"]) for unit in units]


# --- the load, the kill and the samples -------------------------------------------------------------


async def _drive(
    server: Server, work: Workload, tokens: list[str], seconds: float, samples: list[Sample], outage: Outage
) -> list[str]:
    """Clients for `seconds`; serve killed and restarted halfway; returns unexpected server exits."""
    started = time.monotonic()
    warm_up = min(30.0, seconds * 0.1)
    exits: list[str] = []

    def sample(when: str) -> None:
        samples.append(Sample(when, time.monotonic() - started, server.starts, server.stats()))

    async def until(offset: float) -> None:
        await asyncio.sleep(max(0.0, started + offset - time.monotonic()))

    async def sampler() -> None:
        while True:
            await asyncio.sleep(SAMPLE_EVERY_SECONDS)
            if server.popen is not None and server.popen.poll() is not None:
                exit_line = f"serve {server.starts} exited with {server.popen.returncode}"
                if exit_line not in exits:
                    exits.append(exit_line)
            sample("")

    async def kill_and_restart() -> None:
        await until(warm_up)
        sample("after warm-up")
        await until(seconds / 2)
        sample("before the kill")
        outage.killed_at = time.monotonic()
        server.kill()
        server.start()
        await server.wait_ready()
        outage.ready_at = time.monotonic()
        await asyncio.sleep(min(warm_up, max(0.0, started + seconds - 1.0 - time.monotonic())))
        sample("after warm-up")
        await until(seconds - 1.0)
        sample("at the end")

    clients = asyncio.create_task(run_clients(work, tokens))
    background = asyncio.create_task(sampler())
    try:
        await kill_and_restart()
        await clients
    finally:
        background.cancel()
        clients.cancel()
    return exits


# --- reading back ---------------------------------------------------------------------------------


class Reader:
    """GETs spread over every client's key, waiting out 429s and retrying failures, within a budget."""

    def __init__(self, server: Server, tokens: list[str], budget: float) -> None:
        self.http = httpx.AsyncClient(base_url=f"{server.base}{API_PREFIX}", timeout=REQUEST_TIMEOUT_SECONDS)
        self.tokens, self.next = tokens, 0
        self.deadline = time.monotonic() + budget

    async def get(self, path: str, params: dict[str, str | int]) -> list[Any] | None:
        while time.monotonic() < self.deadline:
            token = self.tokens[self.next % len(self.tokens)]
            self.next += 1
            try:
                response = await self.http.get(
                    path, params=params, headers={"Authorization": f"Bearer {token}"}
                )
            except httpx.TransportError:
                await asyncio.sleep(0.5)
                continue
            if response.status_code == 200:
                body: list[Any] = response.json()
                return body
            await asyncio.sleep(0.2 if response.status_code == 429 else 1.0)
        return None

    async def close(self) -> None:
        await self.http.aclose()


async def _check_stored(
    server: Server, tokens: list[str], tally: Tally, account_id: str, durability: Durability
) -> None:
    reader = Reader(server, tokens, VERIFY_BUDGET_SECONDS)
    try:
        found, durability.unverified = await stored_markers(reader, tally.acks, account_id, VERIFY_LANES)
    finally:
        await reader.close()
    last_acknowledged: dict[tuple[str, str], str] = {}
    for ack in tally.acks:
        durability.acknowledged[ack.table] += 1
        key = (ack.table, ack.record_id)
        if key not in found:
            durability.missing.append(ack)
        elif ack.table != EVENTS:
            last_acknowledged[key] = ack.marker
    # Each record is written by one client, one request at a time: what is stored must be its last
    # acknowledged marker, or one sent after it whose answer was lost (the kill, a timeout). A marker
    # sent before it is stale; when that earlier request got no answer (the client gave up and sent
    # the next one), the server may still have applied it later: the acknowledged update was
    # overtaken, not lost by the database.
    for key, marker in last_acknowledged.items():
        sent = tally.sent_markers.get(key, [])
        stored = found.get(key)
        if stored in sent and sent.index(stored) >= sent.index(marker):
            continue
        history = ", ".join(f"{m} ({tally.outcomes.get(m, 'created')})" for m in sent)
        line = f"{key[0]} {key[1]}: stored {stored}; sent in order: {history}"
        earlier = stored in sent and tally.outcomes.get(stored or "", "").startswith("no answer")
        (durability.overtaken if earlier else durability.stale).append(line)


async def _check_delivered(receiver: str, tally: Tally, budget: float, durability: Durability) -> None:
    """Waits (at most `budget` s) until every acknowledged write's marker has reached the receiver."""
    acknowledged = {ack.marker for ack in tally.acks}
    delivered: set[str] = set()
    webhook_ids: Counter[str] = Counter()
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=receiver, timeout=30) as client:
        while True:
            rows = (
                await client.get("/_bench/deliveries", params={"since": sum(webhook_ids.values())})
            ).json()
            for webhook_id, _table, _kind, marker in rows:
                webhook_ids[webhook_id] += 1
                if marker is not None:
                    delivered.add(marker)
            if acknowledged <= delivered or time.monotonic() - started > budget:
                break
            await asyncio.sleep(2.0)
        stats = (await client.get("/_bench/stats")).json()
    durability.waited_seconds = time.monotonic() - started
    durability.deliveries = sum(webhook_ids.values())
    durability.distinct_webhook_ids = len(webhook_ids)
    durability.undelivered = len(acknowledged - delivered)
    durability.delivered_unacknowledged = len(delivered - acknowledged)
    durability.bad_signatures = int(stats["bad_signatures"])


# --- one backend ----------------------------------------------------------------------------------


async def soak(backend: str, args: argparse.Namespace, admin_url: str | None, log_dir: Path) -> SoakResult:
    setup_started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="rentengine-soak-") as tmp:
        async with fresh_database(backend, Path(tmp), admin_url) as database_url:
            env = clean_env(
                RENTENGINE_DATABASE_URL=database_url, RENTENGINE_WEBHOOK_ALLOW_PRIVATE_TARGETS="true"
            )
            with processes(log_dir) as procs:
                _say(backend, "migrate, account, user")
                run_cli(env, "migrate")
                account_id = run_cli(env, "accounts", "create", "Soak Property Management")
                email = f"soak-{uuid.uuid4().hex[:8]}@example.com"
                run_cli(env, "users", "create", email, "--account", account_id)
                _say(backend, f"{args.clients} API keys")
                tokens = await _keys(env, email, args.clients)
                _say(backend, f"demo data: {args.units} units, {args.events} lockbox events")
                sizes = ["--units", str(args.units), "--lockbox-events", str(args.events)]
                run_cli(
                    env,
                    "demo-data",
                    "--account",
                    account_id,
                    *sizes,
                    "--properties",
                    "50",
                    "--quiet",
                    timeout=900,
                )

                receiver_port = free_port()
                receiver: Process = procs.spawn(
                    "receiver",
                    [sys.executable, "-m", "bench.soak_receiver", "--port", str(receiver_port)],
                    env,
                )
                receiver_base = f"http://127.0.0.1:{receiver_port}"
                receiver.wait_http(f"{receiver_base}/_bench/stats")
                tables = [arg for t in (UNITS, PROPERTIES, EVENTS) for arg in ("--table", t)]
                kinds = ["--event-type", "INSERT", "--event-type", "UPDATE"]
                subscription = json.loads(
                    run_cli(
                        env,
                        "webhooks",
                        "create",
                        "--account",
                        account_id,
                        "--url",
                        f"{receiver_base}{HOOK_PATH}",
                        *tables,
                        *kinds,
                        "--json",
                    )
                )
                secrets = {HOOK_PATH: subscription["signing_secret"]}
                async with httpx.AsyncClient(timeout=30) as client:
                    configured = await client.post(
                        f"{receiver_base}/_bench/config", json={"secrets": secrets}
                    )
                    configured.raise_for_status()

                server = Server(env, free_port(), log_dir / "serve.log")
                server.start()
                try:
                    await server.wait_ready()
                    lockbox_ids, unit_ids = await _fixtures(server, tokens[0], account_id)
                    setup_seconds = time.monotonic() - setup_started
                    seconds = args.minutes * 60
                    _say(
                        backend,
                        f"set up in {setup_seconds:.0f} s; {args.clients} clients for {seconds:.0f} s",
                    )
                    load_before = machine.load_average()
                    load_started = time.monotonic()
                    work = Workload(
                        f"{server.base}{API_PREFIX}",
                        account_id,
                        lockbox_ids,
                        unit_ids,
                        load_started + seconds,
                    )
                    samples: list[Sample] = []
                    outage = Outage()
                    exits = await _drive(server, work, tokens, seconds, samples, outage)
                    load_after = machine.load_average()
                    _say(backend, f"load done; reading back {len(work.tally.acks)} acknowledged writes")
                    durability = Durability()
                    await _check_stored(server, tokens, work.tally, account_id, durability)
                    _say(backend, f"waiting up to {args.drain_seconds:.0f} s for the webhook deliveries")
                    await _check_delivered(receiver_base, work.tally, args.drain_seconds, durability)
                finally:
                    server.stop()
    return SoakResult(
        backend=backend,
        clients=args.clients,
        seconds=seconds,
        setup_seconds=setup_seconds,
        tally=work.tally,
        outage=outage,
        load_started=load_started,
        samples=samples,
        durability=durability,
        load_before=load_before,
        load_after=load_after,
        server_exits=exits,
    )


# --- the report -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Classified:
    during_outage: Counter[str]
    timeouts: int  # outside the outage
    connection_errors: int  # outside the outage: refused, dropped, other


def classify(result: SoakResult) -> Classified:
    during: Counter[str] = Counter()
    timeouts = connection = 0
    for failure in result.tally.failures:
        if result.outage.overlaps(failure):
            during[failure.kind] += 1
        elif failure.kind == "timeout":
            timeouts += 1
        else:
            connection += 1
    return Classified(during, timeouts, connection)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}" if seconds == seconds else "-"


def _mib(stats: ProcStats | None) -> str:
    return f"{stats.rss_mib:.1f}" if stats else "-"


def _fds(stats: ProcStats | None) -> str:
    return str(stats.fds) if stats else "-"


def requests_table(results: list[SoakResult]) -> str:
    headers = [
        "backend",
        "requests",
        "2xx",
        "429",
        "5xx",
        "other 4xx",
        "timeouts (10 s)",
        "connection errors",
        "no answer during the outage",
        "2xx/s (whole run)",
        "p50 (ms)",
        "p99 (ms)",
    ]
    rows = []
    for r in results:
        t, c = r.tally, classify(r)
        latencies = [x for values in t.latencies.values() for x in values]
        other_4xx = t.count(400, 500) - t.count(429, 430)
        during = ", ".join(f"{n} {kind}" for kind, n in sorted(c.during_outage.items())) or "0"
        rows.append(
            [
                r.backend,
                str(sum(t.requests.values())),
                str(t.count(200, 300)),
                str(t.count(429, 430)),
                str(t.count(500, 600)),
                str(other_4xx),
                str(c.timeouts),
                str(c.connection_errors),
                during,
                f"{len(latencies) / r.seconds:.0f}",
                _ms(_percentile(latencies, 0.5)),
                _ms(_percentile(latencies, 0.99)),
            ]
        )
    return table(headers, rows)


def operations_table(results: list[SoakResult]) -> str:
    headers = ["backend", "operation", "requests", "2xx", "429", "5xx", "no answer", "p50 (ms)", "p99 (ms)"]
    rows = []
    for r in results:
        t = r.tally
        for op in sorted(t.requests):
            statuses = {status: n for (o, status), n in t.statuses.items() if o == op}
            latencies = t.latencies.get(op, [])
            rows.append(
                [
                    r.backend,
                    f"`{op}`",
                    str(t.requests[op]),
                    str(sum(n for s, n in statuses.items() if 200 <= s < 300)),
                    str(statuses.get(429, 0)),
                    str(sum(n for s, n in statuses.items() if s >= 500)),
                    str(t.failures_by_op[op]),
                    _ms(_percentile(latencies, 0.5)),
                    _ms(_percentile(latencies, 0.99)),
                ]
            )
    return table(headers, rows)


def process_table(results: list[SoakResult]) -> str:
    headers = ["backend", "serve", "when", "at (s)", "pid", "RSS (MiB)", "open fds"]
    rows = []
    for r in results:
        for s in r.samples:
            if s.when:
                pids = ",".join(str(p) for p in s.stats.pids) if s.stats else "-"
                rows.append(
                    [r.backend, str(s.serve), s.when, f"{s.at:.0f}", pids, _mib(s.stats), _fds(s.stats)]
                )
        for serve in (1, 2):
            seen = [s.stats for s in r.samples if s.serve == serve and s.stats]
            if seen:
                peak = max(seen, key=lambda st: st.rss_kib)
                most_fds = max(st.fds for st in seen)
                rows.append(
                    [r.backend, str(serve), "highest of every 5 s sample", "", "", _mib(peak), str(most_fds)]
                )
    return table(headers, rows)


def durability_table(results: list[SoakResult]) -> str:
    headers = [
        "backend",
        "writes acknowledged",
        "missing after the restart",
        "acknowledged update lost",
        "acknowledged update overtaken by an earlier one given up on",
        "not read back",
        "deliveries received",
        "distinct webhook-ids",
        "acknowledged writes not delivered",
        "delivered, not acknowledged",
        "bad signatures",
        "waited (s)",
    ]
    rows = []
    for r in results:
        d = r.durability
        acknowledged = ", ".join(f"{n} {table}" for table, n in sorted(d.acknowledged.items()))
        rows.append(
            [
                r.backend,
                f"{sum(d.acknowledged.values())} ({acknowledged})",
                str(len(d.missing)),
                str(len(d.stale)),
                str(len(d.overtaken)),
                str(d.unverified),
                str(d.deliveries),
                str(d.distinct_webhook_ids),
                str(d.undelivered),
                str(d.delivered_unacknowledged),
                str(d.bad_signatures),
                f"{d.waited_seconds:.0f}",
            ]
        )
    return table(headers, rows)


def summary_line(r: SoakResult) -> str:
    outage = r.outage
    if outage.ready_at:
        killed = outage.killed_at - r.load_started
        kill = f"killed at {killed:.0f} s, answering again {outage.ready_at - outage.killed_at:.1f} s later"
    else:
        kill = "not killed"
    exits = f"; unexpected exits: {'; '.join(r.server_exits)}" if r.server_exits else ""
    return (
        f"{r.backend}: set up in {r.setup_seconds:.0f} s, {r.clients} clients for {r.seconds:.0f} s, "
        f"serve {kill}"
        f" (load average {r.load_before} before, {r.load_after} after){exits}"
    )


def failures_line(r: SoakResult) -> str | None:
    """When the requests without an answer outside the outage ended, by 10 s of the run: a stall
    shows as one cluster, an overloaded machine as a spread."""
    buckets: Counter[tuple[int, str]] = Counter()
    for failure in r.tally.failures:
        if not r.outage.overlaps(failure):
            buckets[int((failure.ended - r.load_started) // 10) * 10, failure.kind] += 1
    if not buckets:
        return None
    spans = ", ".join(f"{n} {kind} at {at}-{at + 10} s" for (at, kind), n in sorted(buckets.items()))
    return f"{r.backend}: no answer outside the outage: {spans}"


def missed_goals(r: SoakResult) -> list[str]:
    t, c, d = r.tally, classify(r), r.durability
    checks = {
        "5xx answers": t.count(500, 600),
        "timeouts outside the outage": c.timeouts,
        "connection errors outside the outage": c.connection_errors,
        "acknowledged writes missing": len(d.missing),
        "acknowledged updates lost": len(d.stale),
        "acknowledged writes not read back": d.unverified,
        "acknowledged writes not delivered": d.undelivered,
        "bad signatures": d.bad_signatures,
        "unexpected server exits": len(r.server_exits),
    }
    return [f"{r.backend}: {n} {what}" for what, n in checks.items() if n]


def code_version() -> str:
    """The checkout's commit, and whether its sources differ from it: the code this run measured."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True, check=False)
        return done.stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    changed = git("status", "--porcelain", "--untracked-files=no", "--", "src")
    return head + (" with uncommitted changes under src/" if changed else "")


def report(results: list[SoakResult], args: argparse.Namespace) -> str:
    lines = [
        f"machine: {machine.describe()}; code: {code_version()}",
        f"soak: {args.clients} clients, one API key each (default rate limit 30/5seconds per key), "
        f"{args.minutes:g} min per backend, serve killed with SIGKILL and restarted halfway",
        *(summary_line(r) for r in results),
        *(line for r in results if (line := failures_line(r))),
        "",
        requests_table(results),
        "",
        operations_table(results),
        "",
        process_table(results),
        "",
        durability_table(results),
    ]
    missed = [line for r in results for line in missed_goals(r)]
    lines += [
        "",
        "goals missed:" if missed else "every goal met (0 5xx, nothing missing, everything delivered)",
    ]
    lines += [f"- {line}" for line in missed]
    return "\n".join(lines)


def samples_log(results: list[SoakResult]) -> str:
    """Every 5 s sample, for a look at RSS and open files over time."""
    rows = [
        [r.backend, str(s.serve), f"{s.at:.0f}", _mib(s.stats), _fds(s.stats)]
        for r in results
        for s in r.samples
    ]
    return table(["backend", "serve", "at (s)", "RSS (MiB)", "open fds"], rows)


async def main_async(args: argparse.Namespace) -> int:
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(backends) - set(BACKENDS)
    if unknown:
        raise SystemExit(f"unknown backends: {', '.join(sorted(unknown))}")
    admin_url = postgres_admin_url(start=True) if "postgresql" in backends else None
    run_dir = LOG_ROOT / time.strftime("%Y%m%d-%H%M%S")
    results = []
    for backend in backends:
        results.append(await soak(backend, args, admin_url, run_dir / backend))
        print(summary_line(results[-1]), file=sys.stderr, flush=True)
    text = report(results, args)
    print(text)
    (run_dir / "report.md").write_text(f"{text}\n\n{samples_log(results)}\n")
    for r in results:
        unexpected = ["unexpected answers (the first 20):", *r.tally.samples]
        stale = ["acknowledged updates lost:", *r.durability.stale]
        overtaken = ["acknowledged updates overtaken:", *r.durability.overtaken]
        (run_dir / f"{r.backend}-details.txt").write_text("\n".join([*unexpected, *stale, *overtaken]) + "\n")
    print(f"\nlogs: {run_dir.relative_to(REPO)}", file=sys.stderr)
    return 1 if any(missed_goals(r) for r in results) else 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument(
        "--minutes", type=float, default=10.0, help="load per backend; serve is killed halfway"
    )
    parser.add_argument("--clients", type=int, default=64, help="concurrent clients, one API key each")
    parser.add_argument("--units", type=int, default=3000, help="demo units loaded before the run")
    parser.add_argument("--events", type=int, default=5000, help="demo lockbox events loaded before the run")
    parser.add_argument(
        "--drain-seconds",
        type=float,
        default=300.0,
        help="longest wait for the webhook deliveries at the end",
    )
    args = parser.parse_args(argv)
    if args.clients < 1 or args.minutes <= 0:
        parser.error("--clients and --minutes must be positive")
    if shutil.which("rentengine", path=str(Path(sys.executable).parent)) is None:
        parser.error("the rentengine command is not installed next to this Python (make setup)")
    sys.exit(asyncio.run(main_async(args)))


if __name__ == "__main__":
    main()
