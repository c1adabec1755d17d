"""One line about the machine, printed with every result: figures mean little without it."""

import importlib.util
import os
import platform
import subprocess
from pathlib import Path


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


def load_average() -> str:
    """The 1-minute load average: on a shared machine, other work shows up here."""
    return f"{os.getloadavg()[0]:.2f}"


def describe() -> str:
    cpus = os.cpu_count() or 0
    return f"{cpus} CPUs ({_cpu_model()}), {_memory_gib():.1f} GiB RAM, Python {platform.python_version()}"


def code_version() -> str:
    """The commit of the `rentengine` this Python imports, and whether its files differ from it."""
    spec = importlib.util.find_spec("rentengine")
    if spec is None or spec.origin is None:
        return "unknown"
    package = Path(spec.origin).parent

    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(package), *args], capture_output=True, text=True, check=False)
        return done.stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + (" with uncommitted changes" if git("status", "--porcelain", "--", ".") else "")
