"""Load from `wrk` (Debian's package), the C load generator every figure of the suite uses.

wrk runs as its own process on loopback; a small Lua script sets the method, body and headers and, at
the end, prints the summary as one JSON line, which is what this module reads back.
"""

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

# `done` runs once after the run; latency figures are in microseconds.
REPORT = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    'WRK_JSON {"requests": %d, "seconds": %f, "errors": %d, "non_2xx": %d,'
    .. ' "p50_us": %d, "p90_us": %d, "p99_us": %d}\\n',
    summary.requests, summary.duration / 1e6, errors, summary.errors.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99)))
end
"""


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    errors: int
    non_2xx: int
    p50_ms: float
    p90_ms: float
    p99_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk_path() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit("wrk is not installed: run `bash scripts/bench-tools` (installs Debian's wrk)")
    return found


def _lua(method: str, headers: dict[str, str], body: str | None) -> str:
    lines = [f"wrk.method = {json.dumps(method)}"]
    lines += [f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}" for name, value in headers.items()]
    if body is not None:
        lines.append(f"wrk.body = {json.dumps(body)}")
    return "\n".join(lines) + "\n" + REPORT


def run_wrk(
    url: str,
    *,
    seconds: float,
    connections: int,
    threads: int = 1,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: str | None = None,
) -> WrkResult:
    """Runs wrk against `url` for `seconds` with `connections` keep-alive connections."""
    script = _lua(method, headers or {}, body)
    return run_wrk_script(url, script, seconds=seconds, connections=connections, threads=threads)


def run_wrk_script(url: str, script: str, *, seconds: float, connections: int, threads: int = 1) -> WrkResult:
    """Runs wrk with a Lua `script` of the caller's, which must end with `REPORT` (the JSON summary)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script)
    try:
        # wrk takes whole seconds.
        command = [
            wrk_path(),
            f"-t{threads}",
            f"-c{max(connections, threads)}",
            f"-d{max(1, round(seconds))}s",
        ]
        command += ["--timeout", "30s", "-s", file.name, url]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    finally:
        Path(file.name).unlink()
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    line = next(line for line in done.stdout.splitlines() if line.startswith("WRK_JSON "))
    data = json.loads(line.removeprefix("WRK_JSON "))
    return WrkResult(
        requests=data["requests"],
        seconds=data["seconds"],
        errors=data["errors"],
        non_2xx=data["non_2xx"],
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
    )
