"""`rentengine mock` against Stoplight Prism: requests per second of each on the same document and mix.

1. The OpenAPI document is built from the app into a scratch folder; both mocks serve that file
   (ours from its own copy of the app, Prism from the file), each on a port of its own.
2. Prism comes from npm, installed into `.bench-cache/prism` when absent: the only download.
3. Every request of the mix (`bench/mock_load.py`: GET lists with query parameters, POSTs with the
   document's request examples, a Bearer header each) is sent once to both and must answer 2xx.
   Our paths are relative to the server `/api/public/v1`: ours serves them under that prefix,
   Prism at the root (it does not apply the server URL), so both are hit on the equivalent URL.
4. Load: `bench.mock_load` in a separate process, the same connections and duration for both,
   ours then Prism, for `--rounds` rounds. The CPU time of each server and of the generator over
   the window shows which one is the limit. A third server, `bench.mock_ceiling` (uvicorn with a
   raw ASGI app answering one fixed body), gives the most one uvicorn process can do here.

    python -m bench.mock_vs_prism [--seconds 10] [--connections 32] [--rounds 2]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench import machine
from bench.counting import table
from bench.mock_load import TOKEN, MixRequest, build_mix
from bench.processes import (
    RENTENGINE,
    REPO,
    Process,
    ProcessError,
    Processes,
    clean_env,
    free_port,
    processes,
)
from bench.stack import RATE_LIMIT_UNREACHED

PRISM_DIR = REPO / ".bench-cache" / "prism"
PRISM = PRISM_DIR / "node_modules" / ".bin" / "prism"
PRISM_PACKAGE = "@stoplight/prism-cli"
START_SECONDS = 60.0
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Target:
    name: str
    process: Process
    base: str  # scheme, host and port
    prefix: str  # where the document's paths are served

    @property
    def port(self) -> int:
        return int(self.base.rsplit(":", 1)[1])


@dataclass(frozen=True)
class Measured:
    round: int
    target: str
    result: dict[str, Any]
    server_cpu: float  # fraction of one core, over warm-up and window
    generator_cpu: float

    @property
    def per_second(self) -> float:
        return float(self.result["requests"]) / float(self.result["seconds"])

    @property
    def not_2xx(self) -> int:
        return sum(n for status, n in self.result["statuses"].items() if not status.startswith("2"))


def ensure_prism() -> Path:
    """Installs Prism into the git-ignored scratch folder unless it is there already."""
    if not PRISM.exists():
        PRISM_DIR.mkdir(parents=True, exist_ok=True)
        print(f"installing {PRISM_PACKAGE} into {PRISM_DIR.relative_to(REPO)} ...", file=sys.stderr)
        subprocess.run(["npm", "install", "--prefix", str(PRISM_DIR), PRISM_PACKAGE], check=True)
    return PRISM


def export_document(folder: Path) -> tuple[Path, dict[str, Any]]:
    """The document exactly as the app serves it at /openapi.json."""
    from rentengine.app import create_app
    from rentengine.settings import Settings

    # Building the document never opens the database; the URL only has to be valid.
    settings = Settings(database_url=f"sqlite:///{folder / 'unused.db'}")
    document = create_app(settings).openapi()
    path = folder / "openapi.json"
    path.write_text(json.dumps(document, indent=1))
    return path, document


def tree_cpu_seconds(root: int) -> float:
    """User + system CPU time of a process and all its descendants, from /proc."""
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited meanwhile
        parents[int(entry.name)] = int(fields[1])
        cpu[int(entry.name)] = (int(fields[11]) + int(fields[12])) / TICKS
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier.extend(children)
    return sum(cpu.get(pid, 0.0) for pid in tree)


def wait_answering(target: Target, request: MixRequest) -> None:
    """Bounded wait until the target answers HTTP at all (any status), failing early if it exits."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        target.process.check_alive()
        try:
            httpx.get(f"{target.base}{target.prefix}{request.target}", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise ProcessError(f"{target.name} did not answer within {START_SECONDS:.0f} s")


def start_targets(procs: Processes, document: Path, prefix: str) -> list[Target]:
    """Ours, Prism, and the ceiling of one uvicorn process (a fixed answer, nothing else)."""
    # The mock has no rate limiter; the setting is the suite's, as everywhere else.
    env = clean_env(
        RENTENGINE_RATE_LIMIT=RATE_LIMIT_UNREACHED,
        RENTENGINE_DATABASE_URL=f"sqlite:///{document.parent / 'o.db'}",
    )
    ports = [free_port() for _ in range(3)]
    ours_argv = [str(RENTENGINE), "mock", "--quiet", "--host", "127.0.0.1", "--port", str(ports[0])]
    # Static examples (no -d), request violations answered as errors, and only warnings logged, for
    # both: a per-request log line would cost either server throughput that is not mocking.
    prism_argv = [str(PRISM), "mock", str(document), "--host", "127.0.0.1", "--port", str(ports[1])]
    prism_argv += ["--errors", "--verboseLevel", "warn"]
    ceiling_argv = [sys.executable, "-m", "bench.mock_ceiling", "--port", str(ports[2])]
    spawned = [
        procs.spawn(n, a, env)
        for n, a in (("ours", ours_argv), ("prism", prism_argv), ("ceiling", ceiling_argv))
    ]
    names = ("rentengine mock", "prism", "bare uvicorn (ceiling)")
    prefixes = (prefix, "", prefix)
    return [
        Target(name, process, f"http://127.0.0.1:{port}", pre)
        for name, process, port, pre in zip(names, spawned, ports, prefixes, strict=True)
    ]


def check_statuses(targets: list[Target], mix: list[MixRequest]) -> tuple[str, bool]:
    """Each request of the mix once against every target: a table of statuses, and whether all are 2xx."""
    rows, all_ok = [], True
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    with httpx.Client(timeout=10) as client:
        for request in mix:
            row = [f"`{request.label}`"]
            for target in targets:
                url = f"{target.base}{target.prefix}{request.target}"
                status = client.request(
                    request.method, url, content=request.body or None, headers=headers
                ).status_code
                all_ok &= 200 <= status < 300
                row.append(str(status))
            rows.append(row)
    return table(["request", *(t.name for t in targets)], rows), all_ok


def measure(target: Target, document: Path, args: argparse.Namespace, round_: int) -> Measured:
    argv = [sys.executable, "-m", "bench.mock_load", "--port", str(target.port), "--prefix", target.prefix]
    argv += ["--document", str(document), "--connections", str(args.connections)]
    argv += ["--seconds", str(args.seconds), "--warmup", str(args.warmup)]
    assert target.process.popen is not None
    pid = target.process.popen.pid
    cpu_before, started = tree_cpu_seconds(pid), time.perf_counter()
    out = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, check=True).stdout
    wall = time.perf_counter() - started
    result = json.loads(out)
    server_cpu = (tree_cpu_seconds(pid) - cpu_before) / wall
    return Measured(round_, target.name, result, server_cpu, float(result["cpu_seconds"]) / wall)


def report(runs: list[Measured], targets: list[Target]) -> str:
    rows = [
        [
            str(m.round),
            m.target,
            f"{m.per_second:.0f}",
            f"{m.result['p50_ms']:.1f}",
            f"{m.result['p99_ms']:.1f}",
            str(m.not_2xx),
            f"{m.server_cpu * 100:.0f} %",
            f"{m.generator_cpu * 100:.0f} %",
        ]
        for m in runs
    ]
    headers = [
        "round",
        "server",
        "requests/s",
        "p50 (ms)",
        "p99 (ms)",
        "non-2xx",
        "server CPU",
        "load generator CPU",
    ]
    ours, prism = (statistics.median(m.per_second for m in runs if m.target == t.name) for t in targets[:2])
    by_round = {(m.round, m.target): m.per_second for m in runs}
    rounds = sorted({m.round for m in runs})
    ratios = [by_round[r, targets[0].name] / by_round[r, targets[1].name] for r in rounds]
    summary = table(
        ["rentengine mock (req/s, median)", "prism (req/s, median)", "ratio", "ratio per round", "goal"],
        [
            [
                f"{ours:.0f}",
                f"{prism:.0f}",
                f"{ours / prism:.1f}x",
                ", ".join(f"{r:.1f}x" for r in ratios),
                "≥ 5x",
            ]
        ],
    )
    return table(headers, rows) + "\n\n" + summary


def run(args: argparse.Namespace) -> int:
    ensure_prism()
    scratch = Path(tempfile.mkdtemp(prefix="mock-vs-prism-"))
    document_path, document = export_document(scratch)
    prefix = str(document["servers"][0]["url"]).rstrip("/")
    mix = build_mix(document)
    print(f"machine: {machine.describe()}")
    print(f"document: {document_path} ({len(mix)} requests in the mix); logs in {scratch}")
    with processes(scratch) as procs:
        targets = start_targets(procs, document_path, prefix)
        for target in targets:
            wait_answering(target, mix[0])
        statuses, all_ok = check_statuses(targets, mix)
        print(f"\n{statuses}\n")
        if not all_ok:
            print("not every request of the mix answered 2xx on both servers; no load run", file=sys.stderr)
            return 1
        runs = []
        load_before = machine.load_average()
        for round_ in range(1, args.rounds + 1):
            runs += [measure(target, document_path, args, round_) for target in targets]
        load_after = machine.load_average()
    window = f"{args.seconds:.0f} s per server and round after {args.warmup:.0f} s warm-up"
    print(
        f"{args.connections} connections, {window}; load average {load_before} before, {load_after} after\n"
    )
    print(report(runs, targets))
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="measured window per server and round")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=32, help="keep-alive connections, same for both")
    parser.add_argument("--rounds", type=int, default=2, help="ours then Prism, this many times")
    sys.exit(run(parser.parse_args()))


if __name__ == "__main__":
    main()
