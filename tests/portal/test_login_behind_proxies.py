"""A real server believes X-Forwarded-For only from trusted proxies (the per-address sign-in limit)."""

import os
import re
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
ATTEMPTS_PER_ADDRESS = 5
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

pytestmark = pytest.mark.slow


@contextmanager
def _server(database_url: str, log: Path, **settings: str) -> Iterator[str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("RENTENGINE_")}
    env |= {"RENTENGINE_DATABASE_URL": database_url, "RENTENGINE_SECRET_KEY": TEST_SECRET, **settings}
    port = free_port()
    with log.open("wb") as out:
        command = [str(RENTENGINE), "serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port)]
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            pytest.fail(f"server did not start:\n{log.read_text()}")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wrong_sign_ins(base: str, forwarded_for: list[str]) -> list[int]:
    """One failed sign-in per X-Forwarded-For value, each for another unknown email."""
    statuses = []
    with httpx.Client(base_url=base, timeout=30) as client:
        for n, forwarded in enumerate(forwarded_for):
            form = client.get("/portal/login")
            token = _CSRF.search(form.text)
            assert token is not None
            response = client.post(
                "/portal/login",
                data={
                    "email": f"nobody-{n}-{time.time_ns()}@example.com",
                    "password": "wrong password",
                    "csrf_token": token.group(1),
                },
                headers={"X-Forwarded-For": forwarded},
            )
            statuses.append(response.status_code)
    return statuses


def test_an_untrusted_client_cannot_dodge_the_limit_by_forging_addresses(
    database_url: str, tmp_path: Path
) -> None:
    forged = [f"203.0.113.{n}" for n in range(ATTEMPTS_PER_ADDRESS + 2)]
    with _server(database_url, tmp_path / "serve.log") as base:
        statuses = _wrong_sign_ins(base, forged)
    assert statuses == [401] * ATTEMPTS_PER_ADDRESS + [429, 429]


def test_behind_a_trusted_proxy_each_client_has_its_own_count(database_url: str, tmp_path: Path) -> None:
    clients = [f"198.51.100.{n}" for n in range(ATTEMPTS_PER_ADDRESS + 2)]
    with _server(database_url, tmp_path / "serve.log", RENTENGINE_TRUSTED_PROXIES="127.0.0.1") as base:
        statuses = _wrong_sign_ins(base, clients)
    assert statuses == [401] * len(clients)
