"""Real `rentengine serve` processes for the tests that need one: started as a user would, waited for."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_SECRET
from tests.ports import free_port

RENTENGINE = Path(sys.executable).with_name("rentengine")
# A loaded machine starts processes slowly.
STARTUP_SECONDS = 120

Server = tuple[subprocess.Popen[bytes], str]


def user_environment(database_url: str, **settings: str) -> dict[str, str]:
    """The environment of a user who set the database, the secret key and `settings` alone."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("RENTENGINE_")}
    return {**env, "RENTENGINE_DATABASE_URL": database_url, "RENTENGINE_SECRET_KEY": TEST_SECRET, **settings}


def start_serve(env: dict[str, str], log: Path, *options: str) -> Server:
    """`rentengine serve OPTIONS` on a free loopback port; returns the process and its base URL."""
    port = free_port()
    command = [str(RENTENGINE), "serve", "--host", "127.0.0.1", "--port", str(port), *options]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    return process, f"http://127.0.0.1:{port}"


def wait_until_up(process: subprocess.Popen[bytes], base: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"server did not start:\n{log.read_text()}")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=30)


@contextmanager
def serving(env: dict[str, str], log: Path, *options: str) -> Iterator[str]:
    """The base URL of a `rentengine serve OPTIONS` that answers, stopped afterwards."""
    process, base = start_serve(env, log, *options)
    try:
        wait_until_up(process, base, log)
        yield base
    finally:
        stop(process)
