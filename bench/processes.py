"""Starting, waiting for, killing and stopping the real processes a run needs."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

RENTENGINE = Path(sys.executable).with_name("rentengine")
# Processes start in the checkout, so `python -m bench.…` finds this package from any caller.
REPO = Path(__file__).resolve().parent.parent
START_TIMEOUT_SECONDS = 60.0


class ProcessError(RuntimeError):
    """A process exited early or did not come up; the message ends with its log."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def clean_env(**settings: str) -> dict[str, str]:
    """This environment without inherited RENTENGINE_* settings, plus the given ones."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RENTENGINE_")}
    return {**env, **settings}


def tail(log: Path, lines: int = 40) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclass
class Process:
    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                self.argv, env=self.env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT
            )

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def check_alive(self) -> None:
        if self.popen is not None and self.popen.poll() is not None:
            raise ProcessError(f"{self.name} exited with {self.popen.returncode}:\n{tail(self.log)}")

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, claims and open transactions are abandoned."""
        if self.popen is not None:
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait()
            self.popen = None

    def stop(self, timeout: float = 30.0) -> None:
        if self.popen is None:
            return
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self.popen = None

    def wait_http(self, url: str, timeout: float = START_TIMEOUT_SECONDS) -> None:
        """Blocks until GET `url` answers 200 (bounded), failing early if the process exits."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                if httpx.get(url, timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise ProcessError(f"{self.name} did not answer {url} within {timeout:.0f} s:\n{tail(self.log)}")


@dataclass
class Processes:
    """The processes of one run, in one log directory; everything still running is stopped at the end."""

    log_dir: Path
    started: list[Process] = field(default_factory=list)

    def spawn(self, name: str, argv: list[str], env: dict[str, str]) -> Process:
        process = Process(name, argv, env, self.log_dir / f"{name}.log")
        process.start()
        self.started.append(process)
        return process

    def stop_all(self) -> None:
        for process in reversed(self.started):
            process.stop()


@contextmanager
def processes(log_dir: Path) -> Iterator[Processes]:
    log_dir.mkdir(parents=True, exist_ok=True)
    group = Processes(log_dir)
    try:
        yield group
    finally:
        group.stop_all()


def run_cli(env: dict[str, str], *args: str, timeout: float = 120.0) -> str:
    """Runs `rentengine ARGS` and returns its stdout (the machine-readable part), stripped."""
    result = subprocess.run(
        [str(RENTENGINE), *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        raise ProcessError(f"rentengine {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
    return result.stdout.strip()
