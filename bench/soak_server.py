"""`rentengine serve` as a user starts it, in a process group of its own so that it can be killed whole,
and the memory and open files of the process that actually serves (its children, when it forks)."""

import asyncio
import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.processes import RENTENGINE, REPO, START_TIMEOUT_SECONDS, ProcessError


def _children(pid: int) -> list[int]:
    """Direct children of `pid`, read from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces; the parent pid follows it.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            found.append(int(entry))
    return found


def descendants(pid: int) -> list[int]:
    found, queue = [], [pid]
    while queue:
        for child in _children(queue.pop()):
            found.append(child)
            queue.append(child)
    return found


@dataclass(frozen=True)
class ProcStats:
    pids: tuple[int, ...]
    rss_kib: int  # VmRSS, summed over `pids`
    fds: int  # entries of /proc/PID/fd, summed over `pids`

    @property
    def rss_mib(self) -> float:
        return self.rss_kib / 1024


def proc_stats(pids: list[int]) -> ProcStats | None:
    rss = fds = 0
    seen = []
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            fd_count = len(os.listdir(f"/proc/{pid}/fd"))
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss += int(line.split()[1])
        fds += fd_count
        seen.append(pid)
    return ProcStats(tuple(seen), rss, fds) if seen else None


class Server:
    """One `rentengine serve --host 127.0.0.1 --port P` at a time; `kill` takes its whole process group."""

    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.env, self.port, self.log = env, port, log
        self.popen: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.starts += 1
        argv = [str(RENTENGINE), "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        with self.log.open("ab") as out:
            out.write(f"--- start {self.starts}: {' '.join(argv)}\n".encode())
            out.flush()
            self.popen = subprocess.Popen(
                argv, env=self.env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def serving_pids(self) -> list[int]:
        """The processes that answer requests: the children if serve forked, else serve itself."""
        if self.popen is None or self.popen.poll() is not None:
            return []
        return descendants(self.popen.pid) or [self.popen.pid]

    def stats(self) -> ProcStats | None:
        return proc_stats(self.serving_pids())

    def kill(self) -> None:
        """SIGKILL to the process group and to any descendant that left it; nothing shuts down cleanly."""
        if self.popen is None:
            return
        stragglers = descendants(self.popen.pid)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        for pid in stragglers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.popen.wait()
        self.popen = None

    def stop(self, timeout: float = 30.0) -> None:
        if self.popen is None:
            return
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self.popen = None

    async def wait_ready(self, within: float = START_TIMEOUT_SECONDS) -> None:
        """Until /healthz answers 200 (bounded), without blocking the clients' event loop."""
        deadline = time.monotonic() + within
        async with httpx.AsyncClient(timeout=1.0) as client:
            while time.monotonic() < deadline:
                if self.popen is None or self.popen.poll() is not None:
                    raise ProcessError(f"serve exited; see {self.log}")
                try:
                    if (await client.get(f"{self.base}/healthz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.05)
        raise ProcessError(f"serve did not answer /healthz within {within:.0f} s; see {self.log}")
