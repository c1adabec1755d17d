"""The suite's data: databases filled by `rentengine demo-data`, with a tenant key to read them.

The big dataset (100,000 units and 1,000,000 lockbox events in one account) and the small one
(1,000 units, 10,000 events) are loaded by the CLI exactly as an operator would; the loads of both
backends run at the same time, one process each, since each is mostly one core's work.
"""

import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

from bench.processes import RENTENGINE, ProcessError, run_cli


@dataclass(frozen=True)
class Sizes:
    units: int
    lockbox_events: int

    @property
    def label(self) -> str:
        return f"{self.units:,} units, {self.lockbox_events:,} events"


@dataclass(frozen=True)
class Dataset:
    backend: str
    sizes: Sizes
    env: dict[str, str]
    account_id: str
    token: str

    @property
    def database_url(self) -> str:
        return self.env["RENTENGINE_DATABASE_URL"]


def _start_load(env: dict[str, str], sizes: Sizes, log: Path) -> subprocess.Popen[str]:
    argv = [str(RENTENGINE), "demo-data", "--units", str(sizes.units)]
    argv += ["--lockbox-events", str(sizes.lockbox_events), "--quiet"]
    with log.open("w") as err:
        return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=err, text=True)


def _reader_key(env: dict[str, str], account_id: str) -> str:
    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    run_cli(env, "users", "create", email, "--account", account_id)
    return run_cli(env, "keys", "create", "--user", email, "--name", "bench")


def load_all(jobs: list[tuple[str, dict[str, str], Sizes]], log_dir: Path) -> list[Dataset]:
    """Loads every (backend, settings, sizes) job at once; returns their datasets in the same order."""
    for _backend, env, _sizes in jobs:
        run_cli(env, "migrate")  # before the loads start: two loads must not race to migrate one database
    started = [
        _start_load(env, sizes, log_dir / f"demo-data-{backend}-{sizes.lockbox_events}.log")
        for backend, env, sizes in jobs
    ]
    datasets = []
    for (backend, env, sizes), process in zip(jobs, started, strict=True):
        out, _ = process.communicate()
        if process.returncode != 0:
            raise ProcessError(f"demo-data on {backend} failed ({process.returncode}); see {log_dir}")
        account_id = out.strip().splitlines()[-1]
        datasets.append(Dataset(backend, sizes, env, account_id, _reader_key(env, account_id)))
    return datasets
