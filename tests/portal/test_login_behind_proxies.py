"""A real server believes X-Forwarded-For only from trusted proxies (the per-address sign-in limit)."""

import re
import time
from pathlib import Path

import httpx
import pytest

from tests.servers import serving, user_environment

ATTEMPTS_PER_ADDRESS = 5
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

pytestmark = pytest.mark.slow


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
    with serving(user_environment(database_url), tmp_path / "serve.log", "--no-worker") as base:
        statuses = _wrong_sign_ins(base, forged)
    assert statuses == [401] * ATTEMPTS_PER_ADDRESS + [429, 429]


def test_behind_a_trusted_proxy_each_client_has_its_own_count(database_url: str, tmp_path: Path) -> None:
    clients = [f"198.51.100.{n}" for n in range(ATTEMPTS_PER_ADDRESS + 2)]
    env = user_environment(database_url, RENTENGINE_TRUSTED_PROXIES="127.0.0.1")
    with serving(env, tmp_path / "serve.log", "--no-worker") as base:
        statuses = _wrong_sign_ins(base, clients)
    assert statuses == [401] * len(clients)
