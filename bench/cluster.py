"""The cluster run: rentengine deployed as a cluster on this one machine, and nodes killed under load.

Topology, all on loopback, started here and stopped at the end (even on failure):

    clients ─▶ HAProxy ─▶ 3 x `rentengine serve --no-worker` ─▶ PgBouncer (transaction pooling) ─▶ PostgreSQL
                              │ rate-limit counters                          2 x `rentengine worker` ─┘
                              └──────────────▶ Redis                                  └─▶ webhook receiver

PostgreSQL and Redis come from scripts/postgres-up and scripts/redis-up; PgBouncer and HAProxy are
Debian's packages (installed when absent), configured in a temporary directory. A fresh database is
migrated by `rentengine migrate` on every API node's settings at once (an advisory lock lets one run).
Accounts and users are made with the CLI, the demo data with `rentengine demo-data`, a webhook
subscription per account with `rentengine webhooks create`, the API keys with the same service call
`rentengine keys create` makes (two per client: a process each would take minutes).

Then, through HAProxy, ~100 clients (`bench.cluster_load`, the soak run's mix of reads and writes):
1. the same load (each client sending its next request when the last is answered) on one node (the
   two others in maintenance in HAProxy) and on three, `--compare-seconds` each, in alternating rounds;
2. `--minutes` of load paced at `--offered` (default half) of what three nodes answered, during
   which one API node and one worker are killed with SIGKILL and brought back, and PgBouncer is
   restarted, one after the other; the load goes on for TAIL_SECONDS after the last;
3. one key hammered from 48 connections for three rate-limit windows.
Afterwards every acknowledged write is looked for (record and audit entry, through the API), and
every delivery the database enqueued is waited for at the receiver. The figures are printed with
their goals (and kept in .bench-cache/cluster/); the exit status is 1 when a goal is missed.

    python -m bench.cluster [--minutes 5] [--clients 100]
"""

import argparse
import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

from bench import cluster_parts as topology
from bench import machine
from bench.cluster_checks import Delivered, Stored, check_delivered, check_stored
from bench.cluster_load import (
    NO_ANSWER,
    Hit,
    Outcome,
    RateFigures,
    Timeline,
    hammer,
    rate_figures,
    run_clients,
)
from bench.counting import percentile, table
from bench.databases import fresh_database, postgres_admin_url, redis_url
from bench.processes import RENTENGINE, REPO, free_port, run_cli
from bench.soak_load import PAGE, Tally, Workload
from rentengine.db import session as db_session
from rentengine.settings import Settings

API_PREFIX = "/api/public/v1"
LOG_ROOT = REPO / ".bench-cache" / "cluster"
API_NODES = 3
WORKERS = 2
KEYS_PER_CLIENT = 2
RATE_LIMIT = "30/5seconds"
RATE_LIMIT_AMOUNT, RATE_WINDOW_SECONDS = 30, 5
HAMMER_CONNECTIONS = 48
HAMMER_SECONDS = 3 * RATE_WINDOW_SECONDS + 2
# After a part is back (HAProxy sees the node UP, PgBouncer listens), failures still count as the
# fault's for this long: the first requests on fresh connections.
GRACE_SECONDS = 5.0
WARM_UP_SECONDS = 10.0
COMPARE_ROUNDS = 3
ONE_NODE, THREE_NODES = "one node", "three nodes"
# Between one fault's window and the next: longer than a client waits for an answer, so that a
# request is never in flight across two.
GAP_SECONDS = 15.0
# Load after the last fault's window: "no failure after" needs an after.
TAIL_SECONDS = 20.0
# The longest the faults may run on past --minutes (each wait in them is bounded).
FAULTS_SECONDS = 600.0
HOOK_PATH = "/hooks/account-{n}"
# The URL parameter that tells the server it is behind a transaction pooler; None in a release
# without it (the run then reaches PostgreSQL directly, PgBouncer still started and restarted).
POOLER_PARAMETER: str | None = getattr(db_session, "POOLER_PARAMETER", None)
LEASE_SECONDS: float = Settings.model_fields["webhook_lease_seconds"].default


def say(message: str) -> None:
    print(f"cluster: {message}", file=sys.stderr, flush=True)


@dataclass
class Fault:
    name: str
    started: float  # monotonic
    started_wall: float
    ended: float = 0.0  # monotonic: the part is back, plus the grace
    ended_wall: float = 0.0

    def end(self) -> None:
        self.ended = time.monotonic() + GRACE_SECONDS
        self.ended_wall = time.time() + GRACE_SECONDS

    def covers(self, outcome: Outcome) -> bool:
        """Whether the request ended in this fault's window (a request the fault broke ends after
        it began; one that ends in the grace met the part just back)."""
        return self.started <= outcome.ended <= self.ended


def start_fault(name: str) -> Fault:
    return Fault(name, time.monotonic(), time.time())


@dataclass
class Account:
    account_id: str
    email: str
    hook_path: str
    tokens: list[str] = field(default_factory=list)
    lockbox_ids: list[str] = field(default_factory=list)
    unit_ids: list[int] = field(default_factory=list)
    tally: Tally = field(default_factory=Tally)


@dataclass
class Cluster:
    """The running parts and what the run needs to reach them."""

    group: topology.Parts
    workdir: Path
    env: dict[str, str]
    direct_url: str
    pooled: bool  # whether the API nodes and workers reach PostgreSQL through PgBouncer
    pgbouncer: topology.PgBouncer
    nodes: list[topology.Part]
    node_ports: list[int]
    workers: list[topology.Part]
    haproxy: topology.Part
    api: str  # through HAProxy, with the API prefix
    receiver: str
    health_path: str


# --- setup -----------------------------------------------------------------------------------------


def app_env(direct_url: str, pooled_url: str, redis: str, pooled: bool) -> dict[str, str]:
    """The settings of every API node, worker and CLI call."""
    settings = {
        # Through PgBouncer once the server knows how to use it (its LISTEN and migrations direct).
        "RENTENGINE_DATABASE_URL": pooled_url if pooled else direct_url,
        "RENTENGINE_SECRET_KEY": secrets.token_urlsafe(48),
        "RENTENGINE_RATE_LIMIT": RATE_LIMIT,
        "RENTENGINE_RATE_LIMIT_STORAGE": redis,
        "RENTENGINE_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
        "RENTENGINE_TRUSTED_PROXIES": "127.0.0.1",
        "RENTENGINE_DATABASE_POOL_SIZE": "8",
    }
    if pooled:
        settings["RENTENGINE_DATABASE_DIRECT_URL"] = direct_url
    env = {k: v for k, v in os.environ.items() if not k.startswith("RENTENGINE_")}
    return {**env, **settings}


def migrate_at_once(env: dict[str, str], count: int) -> float:
    """`rentengine migrate` in `count` processes at once, as each node would at start; seconds taken."""
    started = time.monotonic()
    runs = [
        subprocess.Popen(
            [str(RENTENGINE), "migrate"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        for _ in range(count)
    ]
    for run in runs:
        output, _ = run.communicate(timeout=300)
        if run.returncode != 0:
            raise RuntimeError(f"rentengine migrate failed:\n{output.decode(errors='replace')}")
    return time.monotonic() - started


async def create_keys(env: dict[str, str], email: str, count: int) -> list[str]:
    """`count` API keys of the user, made by the service call behind `rentengine keys create`."""
    from rentengine.auth import service as auth
    from rentengine.db.session import Database

    db = Database(env.get("RENTENGINE_DATABASE_DIRECT_URL", env["RENTENGINE_DATABASE_URL"]), pool_size=1)
    try:
        async with db.transaction() as session:
            user = await auth.require_user(session, email)
            return [
                (await auth.create_api_key(session, env["RENTENGINE_SECRET_KEY"], user, f"cluster {n}"))[1]
                for n in range(count)
            ]
    finally:
        await db.dispose()


def make_account(
    env: dict[str, str], number: int, receiver: str, args: argparse.Namespace
) -> tuple[Account, str]:
    """An account with a user, demo data and a subscription to its units, properties and lockbox
    events at the receiver; and the subscription's signing secret."""
    account_id = run_cli(env, "accounts", "create", f"Cluster Property Management {number}")
    email = f"cluster-{number}-{uuid.uuid4().hex[:6]}@example.com"
    run_cli(env, "users", "create", email, "--account", account_id)
    sizes = ["--units", str(args.units), "--lockbox-events", str(args.events), "--properties", "20"]
    run_cli(env, "demo-data", "--account", account_id, *sizes, "--prospects", "0", "--quiet", timeout=900)
    path = HOOK_PATH.format(n=number)
    tables = [arg for t in ("units", "multifamily_properties", "lockbox_events") for arg in ("--table", t)]
    subscription = json.loads(
        run_cli(
            env,
            "webhooks",
            "create",
            "--account",
            account_id,
            "--url",
            f"{receiver}{path}",
            *tables,
            "--event-type",
            "INSERT",
            "--event-type",
            "UPDATE",
            "--json",
        )
    )
    return Account(account_id, email, path), str(subscription["signing_secret"])


def pooled_url(pgbouncer: topology.PgBouncer, direct_url: str) -> str:
    """The run's database through PgBouncer, marked as behind a transaction pooler."""
    url = make_url(pgbouncer.admin_url).set(database=make_url(direct_url).database)
    if POOLER_PARAMETER is not None:
        url = url.update_query_dict({POOLER_PARAMETER: "true"})
    return url.render_as_string(hide_password=False)


def start_haproxy(
    group: topology.Parts, workdir: Path, node_ports: list[int], health: str
) -> tuple[topology.Part, int]:
    binary = topology.ensure_debian_package("haproxy", "haproxy")
    port = free_port()
    directory = workdir / "haproxy"
    directory.mkdir()
    config = topology.haproxy_config(directory, port, node_ports, health)
    check = subprocess.run(
        [binary, "-c", "-q", "-f", str(config)], capture_output=True, text=True, check=False
    )
    if check.returncode != 0:
        raise RuntimeError(f"haproxy refused its configuration:\n{check.stdout}{check.stderr}")
    part = group.spawn("haproxy", [binary, "-db", "-f", str(config)], dict(os.environ))
    part.wait_port(port)
    for n in range(1, len(node_ports) + 1):
        topology.wait_node_state(directory, n, "UP")
    return part, port


async def fixtures(api: str, account: Account) -> None:
    """The demo data's lockboxes and units, for the clients' lockbox events."""
    headers = {"Authorization": f"Bearer {account.tokens[0]}"}
    async with httpx.AsyncClient(base_url=api, headers=headers, timeout=30) as client:
        params: dict[str, str | int] = {"account_id": account.account_id, "limit": PAGE}
        lockboxes = (await client.get("/lockboxes", params=params)).raise_for_status().json()
        units = (await client.get("/units", params={"limit": PAGE})).raise_for_status().json()
    if not lockboxes or not units:
        raise RuntimeError("the demo data holds no lockbox or no unit")
    account.lockbox_ids = [str(box["id"]) for box in lockboxes]
    account.unit_ids = [int(unit["id"]) for unit in units]


async def start_cluster(
    group: topology.Parts,
    workdir: Path,
    args: argparse.Namespace,
    direct_url: str,
    pgbouncer: topology.PgBouncer,
) -> tuple[Cluster, list[Account], dict[str, float]]:
    timings: dict[str, float] = {}
    pgbouncer.start()
    pooled = POOLER_PARAMETER is not None and not args.direct
    env = app_env(direct_url, pooled_url(pgbouncer, direct_url), redis_url(), pooled)
    say(f"PgBouncer on {pgbouncer.port}; the app reaches PostgreSQL {'through it' if pooled else 'directly'}")
    timings["migrate"] = migrate_at_once(env, API_NODES)
    _, receiver = topology.receiver(group, env)
    say(f"{args.accounts} accounts with demo data ({args.units} units, {args.events} lockbox events each)")
    accounts, hook_secrets = [], {}
    for number in range(1, args.accounts + 1):
        account, secret = make_account(env, number, receiver, args)
        accounts.append(account)
        hook_secrets[account.hook_path] = secret
    async with httpx.AsyncClient(timeout=30) as client:
        (await client.post(f"{receiver}/_bench/config", json={"secrets": hook_secrets})).raise_for_status()
    per_account = -(-args.clients // args.accounts)
    for account in accounts:
        account.tokens = await create_keys(env, account.email, per_account * KEYS_PER_CLIENT)
    nodes, node_ports = [], []
    for number in range(1, API_NODES + 1):
        node, port = topology.api_node(group, number, env)
        nodes.append(node)
        node_ports.append(port)
    for node, port in zip(nodes, node_ports, strict=True):
        node.wait_http(f"http://127.0.0.1:{port}/healthz", timeout=90.0)
    health = topology.health_path(f"http://127.0.0.1:{node_ports[0]}")
    haproxy, haproxy_port = start_haproxy(group, workdir, node_ports, health)
    workers = [group.spawn(f"worker{n}", [str(RENTENGINE), "worker"], env) for n in range(1, WORKERS + 1)]
    api = f"http://127.0.0.1:{haproxy_port}{API_PREFIX}"
    for account in accounts:
        await fixtures(api, account)
    cluster = Cluster(
        group,
        workdir,
        env,
        direct_url,
        pooled,
        pgbouncer,
        nodes,
        node_ports,
        workers,
        haproxy,
        api,
        receiver,
        health,
    )
    return cluster, accounts, timings


# --- the load ---------------------------------------------------------------------------------------


def client_tokens(accounts: list[Account], clients: int) -> list[tuple[Account, list[list[str]]]]:
    """Each account's clients, KEYS_PER_CLIENT keys each, `clients` in all."""
    share = -(-clients // len(accounts))
    plan = []
    for n, account in enumerate(accounts):
        count = min(share, clients - n * share)
        keys = account.tokens
        plan.append((account, [keys[i * KEYS_PER_CLIENT : (i + 1) * KEYS_PER_CLIENT] for i in range(count)]))
    return plan


async def load(
    cluster: Cluster,
    accounts: list[Account],
    clients: int,
    seconds: float,
    timeline: Timeline,
    during: Callable[[list[Workload]], Awaitable[None]] | None = None,
    interval: float = 0.0,
) -> tuple[float, float]:
    """`clients` clients through HAProxy for `seconds`, with `during` run beside them (it may move
    the workloads' deadline on); (start, end)."""
    started = time.monotonic()
    deadline = started + seconds
    workloads = [
        (
            Workload(
                cluster.api,
                account.account_id,
                account.lockbox_ids,
                account.unit_ids,
                deadline,
                account.tally,
            ),
            tokens,
        )
        for account, tokens in client_tokens(accounts, clients)
        if tokens
    ]
    jobs: list[Awaitable[None]] = [run_clients(workloads, timeline, interval)]
    if during is not None:
        jobs.append(during([work for work, _ in workloads]))
    await asyncio.gather(*jobs)
    return started, time.monotonic()


@dataclass(frozen=True)
class Phase:
    name: str
    started: float
    ended: float


async def compare(
    cluster: Cluster, accounts: list[Account], args: argparse.Namespace, timeline: Timeline
) -> list[Phase]:
    """The same load on one node and on three (the others in maintenance in HAProxy), in alternating
    rounds, so that other work on the machine weighs on both alike."""
    haproxy_dir = cluster.workdir / "haproxy"
    phases = []
    seconds = args.compare_seconds / COMPARE_ROUNDS
    for _ in range(COMPARE_ROUNDS):
        for name, enabled in ((ONE_NODE, 1), (THREE_NODES, API_NODES)):
            for node in range(2, API_NODES + 1):
                topology.set_node_state(haproxy_dir, node, "ready" if node <= enabled else "maint")
            for node in range(2, enabled + 1):
                topology.wait_node_state(haproxy_dir, node, "UP")
            say(f"{seconds:.0f} s on {name}")
            started, ended = await load(cluster, accounts, args.clients, seconds, timeline)
            phases.append(Phase(name, started, ended))
            check_parts(cluster)
    return phases


def check_parts(cluster: Cluster) -> None:
    """Every part still runs: a run whose part died of something else measures nothing."""
    for part in [*cluster.nodes, *cluster.workers, cluster.haproxy]:
        part.check_alive()
    cluster.pgbouncer.check_alive()


async def faults(cluster: Cluster, seconds: float, found: list[Fault], workloads: list[Workload]) -> None:
    """Kills an API node and a worker (SIGKILL), brings each back, then restarts PgBouncer; one after
    the other, however long each takes. The load goes on at least TAIL_SECONDS after the last."""
    begun = time.monotonic()
    down = min(20.0, seconds * 0.1)
    for work in workloads:  # until the last fault is over; set below
        work.deadline = begun + seconds + FAULTS_SECONDS
    haproxy_dir = cluster.workdir / "haproxy"

    async def at(fraction: float) -> None:
        await asyncio.sleep(max(0.0, begun + seconds * fraction - time.monotonic()))

    await at(0.15)
    fault = start_fault(f"API node 2 killed (SIGKILL), restarted {down:.0f} s later")
    found.append(fault)
    say(fault.name)
    cluster.nodes[1].kill()
    await asyncio.sleep(down)
    cluster.nodes[1].start()
    await asyncio.to_thread(topology.wait_node_state, haproxy_dir, 2, "UP", 120.0)
    fault.end()

    await asyncio.sleep(GAP_SECONDS)
    await at(0.4)
    fault = start_fault(f"worker 1 killed (SIGKILL), restarted {down:.0f} s later")
    found.append(fault)
    say(fault.name)
    cluster.workers[0].kill()
    await asyncio.sleep(down)
    cluster.workers[0].start()
    fault.end()

    await asyncio.sleep(GAP_SECONDS)
    await at(0.65)
    fault = start_fault("PgBouncer restarted (SIGINT: safe shutdown, then started again)")
    found.append(fault)
    say(fault.name)
    await asyncio.to_thread(restart_pgbouncer, cluster)
    fault.end()
    for work in workloads:
        work.deadline = max(begun + seconds, fault.ended + TAIL_SECONDS)


def restart_pgbouncer(cluster: Cluster) -> None:
    cluster.pgbouncer.stop()
    cluster.pgbouncer.start()


# --- the report --------------------------------------------------------------------------------------


@dataclass
class Run:
    args: argparse.Namespace
    cluster: Cluster
    accounts: list[Account]
    timings: dict[str, float]
    timeline: Timeline
    phases: list[Phase]
    main_phase: Phase
    found_faults: list[Fault]
    hits: list[Hit]
    stored: list[Stored]
    delivered: Delivered
    load_average: str
    load_before: str
    offered: float  # requests/s the main run's clients offered, together


def _ok(outcome: Outcome) -> bool:
    return 200 <= outcome.status < 300 or outcome.status == 429


def _retryable(outcome: Outcome) -> bool:
    """A failure a client may simply retry: no connection, or the balancer's 502/503."""
    return (outcome.status == NO_ANSWER and outcome.failure in ("refused", "dropped")) or outcome.status in (
        502,
        503,
    )


def rate_of(timeline: Timeline, phases: list[Phase], name: str) -> float:
    """Requests answered (any status) per second in the phases called `name`."""
    mine = [phase for phase in phases if phase.name == name]
    answered = sum(1 for phase in mine for o in _in_phase(timeline, phase) if o.status)
    return answered / sum(phase.ended - phase.started for phase in mine)


def _in_phase(timeline: Timeline, phase: Phase) -> list[Outcome]:
    return [o for o in timeline.outcomes if phase.started <= o.started < phase.ended]


def _describe(outcomes: list[Outcome]) -> str:
    kinds = Counter(o.failure or str(o.status) for o in outcomes if not _ok(o))
    return ", ".join(f"{n} x {kind}" for kind, n in sorted(kinds.items())) or "none"


def fault_rows(run: Run) -> list[list[str]]:
    rows = []
    main = _in_phase(run.timeline, run.main_phase)
    for fault in run.found_faults:
        inside = [o for o in main if fault.covers(o)]
        failed = [o for o in inside if not _ok(o)]
        wrong = [o for o in failed if not _retryable(o)]
        lags = [
            (receipt - created)
            for created, receipt in run.delivered.lags
            if fault.started_wall <= created <= fault.ended_wall
        ]
        rows.append(
            [
                fault.name,
                f"{fault.started - run.main_phase.started:.0f}-{fault.ended - run.main_phase.started:.0f}",
                str(len(inside)),
                _describe(failed),
                str(len(wrong)),
                _ms(percentile(lags, 99)) if lags else "-",
                _ms(max(lags)) if lags else "-",
            ]
        )
    outside = [o for o in main if not any(f.covers(o) for f in run.found_faults)]
    lags_all = [receipt - created for created, receipt in run.delivered.lags]
    rows.append(
        [
            "outside the faults' windows",
            "",
            str(len(outside)),
            _describe(outside),
            str(sum(1 for o in outside if not _ok(o))),
            _ms(percentile(lags_all, 99)) if lags_all else "-",
            _ms(max(lags_all)) if lags_all else "-",
        ]
    )
    return rows


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}"


def operation_rows(outcomes: list[Outcome]) -> list[list[str]]:
    """Per operation: requests, 2xx, other answers or failures, latency of the 2xx."""
    rows = []
    for op in sorted({o.op for o in outcomes}):
        mine = [o for o in outcomes if o.op == op]
        good = [o.ended - o.started for o in mine if 200 <= o.status < 300]
        rows.append(
            [
                f"`{op}`",
                str(len(mine)),
                str(len(good)),
                _describe(mine),
                _ms(percentile(good, 50)) if good else "-",
                _ms(percentile(good, 99)) if good else "-",
            ]
        )
    return rows


def throughput(run: Run, name: str) -> tuple[float, float, float]:
    """2xx answers per second, p50 and p99 of their latency (s), in the phases called `name`."""
    mine = [phase for phase in run.phases if phase.name == name]
    answered = [o for phase in mine for o in _in_phase(run.timeline, phase) if 200 <= o.status < 300]
    latencies = [o.ended - o.started for o in answered]
    seconds = sum(phase.ended - phase.started for phase in mine)
    return len(answered) / seconds, percentile(latencies, 50), percentile(latencies, 99)


def rate_line(rate: RateFigures) -> str:
    full = rate.by_count.get(rate.limit, 0)
    return (
        f"{rate.windows} windows opened in {HAMMER_SECONDS} s, {full} of them full; "
        f"{rate.allowed} allowed, {rate.refused} refused, {rate.uncounted} let through uncounted"
    )


def goals(run: Run) -> list[tuple[str, str, str, bool]]:
    """(what, measured, goal, met)."""
    stored_missing = sum(len(s.missing) for s in run.stored)
    no_audit = sum(len(s.without_audit) for s in run.stored)
    unread = sum(s.unread for s in run.stored)
    acknowledged = sum(sum(s.acknowledged.values()) for s in run.stored)
    rows = fault_rows(run)
    wrong_in_faults = sum(int(row[4]) for row in rows[:-1])
    outside = int(rows[-1][4])
    d = run.delivered
    rate = rate_figures(run.hits)
    worker_fault = next((f for f in run.found_faults if f.name.startswith("worker")), None)
    worker_lags = [
        receipt - created
        for created, receipt in d.lags
        if worker_fault and worker_fault.started_wall <= created <= worker_fault.ended_wall
    ]
    worker_p99 = percentile(worker_lags, 99) if worker_lags else float("nan")
    return [
        (
            "acknowledged writes missing afterwards",
            f"{stored_missing} of {acknowledged}",
            "0",
            stored_missing == 0 and unread == 0,
        ),
        (
            "acknowledged writes without their audit entry",
            f"{no_audit} of {acknowledged}",
            "0",
            no_audit == 0,
        ),
        ("changes enqueued and never delivered", f"{d.undelivered} of {d.enqueued}", "0", d.undelivered == 0),
        (
            "acknowledged writes whose webhook never arrived",
            str(d.acknowledged_undelivered),
            "0",
            d.acknowledged_undelivered == 0,
        ),
        ("duplicate deliveries (same webhook-id twice)", str(d.duplicates), "counted (at-least-once)", True),
        ("bad signatures at the receiver", str(d.bad_signatures), "0", d.bad_signatures == 0),
        (
            "failures other than connection errors / 502 / 503 during a fault",
            str(wrong_in_faults),
            "0",
            wrong_in_faults == 0,
        ),
        ("failures of any kind outside the faults' windows", str(outside), "0", outside == 0),
        (
            f"most requests one key got through in a {RATE_WINDOW_SECONDS} s window, 3 nodes",
            f"{rate.most_in_a_window} ({rate_line(rate)})",
            f"≤ {RATE_LIMIT_AMOUNT}",
            0 < rate.windows <= HAMMER_SECONDS // RATE_WINDOW_SECONDS + 1
            and rate.most_in_a_window <= RATE_LIMIT_AMOUNT,
        ),
        (
            "delivery lag p99 of changes made while worker 1 was down",
            f"{_ms(worker_p99)} ms of {len(worker_lags)} deliveries"
            if worker_lags
            else "no change in the window",
            f"≤ lease ({LEASE_SECONDS:.0f} s) + 10 s",
            worker_p99 <= LEASE_SECONDS + 10,
        ),
    ]


def header(run: Run) -> list[str]:
    c, args = run.cluster, run.args
    database = (
        "PgBouncer (transaction pooling) → PostgreSQL"
        if c.pooled
        else "PostgreSQL directly (PgBouncer runs and is restarted, but the server has no pooler settings)"
    )
    return [
        f"machine: {machine.describe()}; code: {machine.code_version()}; "
        f"load average {run.load_before} before, {run.load_average} after",
        f"topology: HAProxy → {API_NODES} API nodes (health check {c.health_path}) → {database}; "
        f"{WORKERS} workers; rate limit {RATE_LIMIT} per key counted in Redis",
        f"load: {args.clients} clients in {args.accounts} accounts, {KEYS_PER_CLIENT} keys each, "
        f"one request at a time each; main run {args.minutes:g} min at {run.offered:.0f} requests/s offered "
        f"({args.offered:.0%} of what three nodes answered below), one request per client every "
        f"{args.clients / run.offered:.1f} s on average; "
        f"`rentengine migrate` by {API_NODES} processes at once: {run.timings['migrate']:.1f} s",
    ]


def report(run: Run) -> str:
    one, three = throughput(run, ONE_NODE), throughput(run, THREE_NODES)
    main = _in_phase(run.timeline, run.main_phase)
    statuses = Counter(o.failure or str(o.status) for o in main)
    lines = [
        *header(run),
        "",
        "Same load, one node against three:",
        "",
        table(
            ["nodes", "2xx/s", "p50 (ms)", "p99 (ms)"],
            [
                ["1", f"{one[0]:.0f}", _ms(one[1]), _ms(one[2])],
                ["3", f"{three[0]:.0f}", _ms(three[1]), _ms(three[2])],
            ],
        ),
        "",
        f"ratio three ÷ one: {three[0] / one[0]:.2f}",
        "",
        f"Main run: {len(main)} requests; answers: "
        + ", ".join(f"{n} x {kind}" for kind, n in sorted(statuses.items())),
        "",
        table(
            ["operation", "requests", "2xx", "other answers, failures", "p50 (ms)", "p99 (ms)"],
            operation_rows(main),
        ),
        "",
        table(
            [
                "window",
                "at (s)",
                "requests",
                "failures seen by clients",
                "not retryable",
                "delivery lag p99 (ms)",
                "max (ms)",
            ],
            fault_rows(run),
        ),
        "",
        table(
            ["check", "measured", "goal", "met"],
            [[w, m, g, "yes" if ok else "**no**"] for w, m, g, ok in goals(run)],
        ),
        "",
        f"deliveries: {run.delivered.enqueued} enqueued, {run.delivered.received} received 2xx "
        f"({run.delivered.distinct} distinct), waited {run.delivered.waited_seconds:.0f} s after the load; "
        f"audit entries read back: {sum(s.audit_entries for s in run.stored)}",
    ]
    return "\n".join(lines)


# --- the run ------------------------------------------------------------------------------------------


async def run_cluster(args: argparse.Namespace, log_dir: Path) -> Run:
    admin_url = postgres_admin_url(start=True)
    if admin_url is None:
        raise RuntimeError("no PostgreSQL")
    with tempfile.TemporaryDirectory(prefix="rentengine-cluster-") as tmp:
        workdir = Path(tmp)
        os.chmod(workdir, 0o755)  # PgBouncer reads its files as the postgres user
        async with fresh_database("postgresql", workdir, admin_url) as direct_url:
            pgbouncer = topology.PgBouncer(workdir, free_port())
            with topology.parts(log_dir) as group, stopped_at_end(pgbouncer, log_dir):
                cluster, accounts, timings = await start_cluster(group, workdir, args, direct_url, pgbouncer)
                timeline = Timeline()
                since = datetime.now(UTC).isoformat().replace("+00:00", "Z")
                load_before = machine.load_average()
                say(f"warm-up, {WARM_UP_SECONDS:.0f} s")
                await load(cluster, accounts, args.clients, WARM_UP_SECONDS, timeline)
                check_parts(cluster)
                phases = await compare(cluster, accounts, args, timeline)
                found: list[Fault] = []
                seconds = args.minutes * 60
                offered = args.offered * rate_of(timeline, phases, THREE_NODES)
                interval = args.clients / offered
                say(
                    f"main run: {args.clients} clients for {seconds:.0f} s, with the faults, "
                    f"offering {offered:.0f} requests/s ({args.offered:.0%} of three nodes' rate)"
                )
                started, ended = await load(
                    cluster,
                    accounts,
                    args.clients,
                    seconds,
                    timeline,
                    lambda workloads: faults(cluster, seconds, found, workloads),
                    interval,
                )
                say("hammering one key through the balancer")
                hammer_token = (await create_keys(cluster.env, accounts[0].email, 1))[0]
                hits = await hammer(cluster.api, hammer_token, HAMMER_SECONDS, HAMMER_CONNECTIONS)
                load_average = machine.load_average()
                say("reading back every acknowledged write and its audit entry")
                stored = [
                    await check_stored(
                        cluster.api, account.tokens, account.tally.acks, account.account_id, since
                    )
                    for account in accounts
                ]
                say(f"waiting up to {args.drain_seconds:.0f} s for every delivery")
                acks = [ack for account in accounts for ack in account.tally.acks]
                delivered = await check_delivered(
                    cluster.receiver, direct_url, [a.account_id for a in accounts], acks, args.drain_seconds
                )
                check_parts(cluster)
    return Run(
        args,
        cluster,
        accounts,
        timings,
        timeline,
        phases,
        Phase("main", started, ended),
        found,
        hits,
        stored,
        delivered,
        load_average,
        load_before,
        offered,
    )


@contextmanager
def stopped_at_end(pgbouncer: topology.PgBouncer, log_dir: Path) -> Iterator[None]:
    try:
        yield
    finally:
        pgbouncer.stop()
        pgbouncer.keep_log(log_dir / "pgbouncer.log")


def failure_log(run: Run) -> str:
    """Every fault and every request that was not answered 2xx or 429, in seconds since the main run
    began (negative: the phases before it)."""
    zero = run.main_phase.started
    lines = [f"fault {f.name}: {f.started - zero:.2f} to {f.ended - zero:.2f}" for f in run.found_faults]
    lines += [
        f"{o.started - zero:.2f} {o.ended - zero:.2f} {o.op}: {o.failure or o.status}"
        for o in run.timeline.outcomes
        if not _ok(o)
    ]
    lines += ["unexpected answers (the first 20 per account):"]
    lines += [sample for account in run.accounts for sample in account.tally.samples]
    return "\n".join(lines) + "\n"


def _terminate(signum: int, _frame: object) -> None:
    # SIGTERM ends the run like Ctrl-C does: the `finally` blocks stop every part.
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--minutes", type=float, default=5.0, help="the main run, with the faults (1 for a quick look)"
    )
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--accounts", type=int, default=4)
    parser.add_argument(
        "--compare-seconds",
        type=float,
        default=None,
        help="each of one node / three nodes, in alternating rounds (default: 60, 30 under 2 minutes)",
    )
    parser.add_argument("--units", type=int, default=500, help="demo units per account")
    parser.add_argument("--events", type=int, default=2000, help="demo lockbox events per account")
    parser.add_argument(
        "--offered",
        type=float,
        default=0.5,
        help="the main run's offered rate, as a fraction of what three nodes answered in the comparison",
    )
    parser.add_argument(
        "--direct",
        action="store_true",
        help="API nodes and workers reach PostgreSQL directly, not through PgBouncer",
    )
    parser.add_argument("--drain-seconds", type=float, default=300.0, help="longest wait for the deliveries")
    args = parser.parse_args(argv)
    if args.minutes <= 0 or args.clients < args.accounts or args.accounts < 1:
        parser.error("--minutes must be positive and --clients at least --accounts")
    if args.compare_seconds is None:
        args.compare_seconds = 60.0 if args.minutes >= 2 else 30.0
    signal.signal(signal.SIGTERM, _terminate)
    log_dir = LOG_ROOT / time.strftime("%Y%m%d-%H%M%S")
    run = asyncio.run(run_cluster(args, log_dir))
    text = report(run)
    print(text)
    (log_dir / "report.md").write_text(text + "\n")
    (log_dir / "failures.txt").write_text(failure_log(run))
    say(f"logs: {log_dir.relative_to(REPO)}")
    sys.exit(0 if all(met for *_, met in goals(run)) else 1)


if __name__ == "__main__":
    main()
