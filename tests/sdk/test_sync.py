"""The synchronous `RentEngine` against a real `rentengine serve` process on the test's backend: upserts,
both list shapes paged to the end, errors, 429s retried after `Retry-After`, a revoked key's 401, and the
README's example run as written."""

import asyncio
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from rentengine.runtime import Runtime
from rentengine_client import AuthenticationError, BadRequestError, NotFoundError, RentEngine
from tests.auth.support import revoke
from tests.communications.factories import PHONE, call_body
from tests.factories import Tenant, make_key, make_tenant
from tests.sdk.scenario import unit
from tests.servers import serving, user_environment

SDK = Path(__file__).resolve().parents[2] / "clients" / "python"
README = SDK / "README.md"


def readme_example() -> str:
    """The README's first Python block: the SDK example."""
    match = re.search(r"```python\n(.*?)```", README.read_text(), re.S)
    assert match is not None
    return match.group(1)


def fresh_install(venv: Path) -> Path:
    """`pip install ./clients/python` into a new virtual environment, as a user installs it (uv, from
    its cache where it can: the install step of `make setup` reaches the package index the same way);
    returns its interpreter, which sees nothing of the server's environment."""
    uv = shutil.which("uv")
    assert uv is not None, "uv is needed (make setup installs it)"
    subprocess.run([uv, "venv", "--quiet", "--python", "3.11", str(venv)], check=True)
    env = {**os.environ, "VIRTUAL_ENV": str(venv)}
    subprocess.run([uv, "pip", "install", "--quiet", str(SDK)], env=env, check=True, timeout=300)
    return venv / "bin" / "python"


async def test_sync_client_against_a_served_process(
    database_url: str, sdk_runtime: Runtime, owner: Tenant, tmp_path: Path
) -> None:
    env = user_environment(
        database_url,
        RENTENGINE_RATE_LIMIT="4/second",
        RENTENGINE_VERIFIED_KEY_CACHE_SECONDS="0",
        RENTENGINE_WEBHOOK_ALLOW_PRIVATE_TARGETS="true",
    )
    python = await asyncio.to_thread(fresh_install, tmp_path / "venv")
    doomed = await make_tenant(sdk_runtime)
    doomed_key, doomed_token = await make_key(sdk_runtime, doomed, "to revoke")
    with serving(env, tmp_path / "serve.log") as base:
        api = f"{base}/api/public/v1"
        with RentEngine(owner.token, base_url=api, timeout=10, backoff=0.05) as client:
            account = str(owner.account_id)
            ids = [client.units.upsert(unit(owner.account_id, status="Available"))["id"] for _ in range(3)]
            client.units.upsert(unit(owner.account_id, status="Leased"))
            started = time.monotonic()
            # 3 + 4 pages and more requests than one window allows: the limiter's 429s are retried.
            assert [u["id"] for u in client.units.iter(statuses=["Available"], limit=1)] == ids
            calls = [client.calls.create(call_body(owner.account_id))["id"] for _ in range(3)]  # type: ignore[arg-type]
            assert [
                c["id"] for c in client.calls.iter(account_ids=[account], phone_number=PHONE, limit=2)
            ] == calls
            assert time.monotonic() - started > 0.5
            with pytest.raises(BadRequestError) as bad:
                client.units.list(statuses=["Sold"])  # type: ignore[list-item]
            assert bad.value.details
            assert bad.value.details[0]["instancePath"].startswith("/statuses")
            with pytest.raises(NotFoundError):
                client.webhooks.deliveries("00000000-0000-0000-0000-000000000000")

        with RentEngine(doomed_token, base_url=api) as doomed_client:
            assert doomed_client.units.list() == []
            await revoke(sdk_runtime, doomed_key)
            with pytest.raises(AuthenticationError):
                doomed_client.units.list()

        example = await asyncio.to_thread(
            subprocess.run,
            [str(python), "-c", readme_example()],
            env={**os.environ, "RENTENGINE_TOKEN": owner.token, "RENTENGINE_BASE_URL": api},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert example.returncode == 0, example.stderr
    lines = example.stdout.splitlines()
    assert "3 available units" in lines, example.stdout
    assert lines[-1].startswith("webhook succeeded INSERT units "), example.stdout
