"""The `rentengine` command, run as a real process against fresh SQLite and PostgreSQL databases.

Contract (DESIGN.md "CLI contract"): machine-readable output alone on stdout, human messages on
stderr, a non-zero exit with a one-line reason on every error.
"""

import asyncio
import os
import socket
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from rentengine.app import create_app
from rentengine.auth.models import User
from rentengine.kit.crypto import verify_password
from rentengine.runtime import Runtime
from tests.auth.support import all_text
from tests.conftest import TEST_SECRET, make_settings
from tests.databases import throwaway_database
from tests.factories import property_body

RENTENGINE = Path(sys.executable).with_name("rentengine")

pytestmark = pytest.mark.slow
PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str


async def cli(
    database_url: str, *args: str, stdin: str = "", secret: str | None = TEST_SECRET, **env: str
) -> Result:
    """Runs `rentengine ARGS` with only the given RENTENGINE_* settings in its environment."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RENTENGINE_")}
    settings = {"RENTENGINE_DATABASE_URL": database_url}
    if secret is not None:
        settings["RENTENGINE_SECRET_KEY"] = secret
    process = await asyncio.create_subprocess_exec(
        str(RENTENGINE),
        *args,
        env={**clean, **settings, **env},
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(stdin.encode()), timeout=120)
    assert process.returncode is not None
    return Result(process.returncode, out.decode(), err.decode())


async def _at_most_three(runs: Iterable[Awaitable[Result]]) -> list[Result]:
    """Runs commands side by side (each mostly waits for its interpreter to start), three at a time."""
    gate = asyncio.Semaphore(3)

    async def gated(run: Awaitable[Result]) -> Result:
        async with gate:
            return await run

    return list(await asyncio.gather(*(gated(run) for run in runs)))


def assert_refused(result: Result, message: str) -> None:
    assert result.returncode != 0
    assert result.stdout == ""
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def only_uuid(result: Result) -> uuid.UUID:
    assert result.returncode == 0, result.stderr
    value = uuid.UUID(result.stdout.strip())
    assert result.stdout == f"{value}\n"
    return value


@pytest.fixture
async def fresh_urls(backend: str, tmp_path: Path) -> AsyncIterator[Callable[[], Awaitable[str]]]:
    """Makes empty databases of the parametrised backend: not even migrated."""
    async with AsyncExitStack() as made:

        async def make() -> str:
            database = throwaway_database(backend, tmp_path, revision=None, prefix="rentengine_cli")
            return await made.enter_async_context(database)

        yield make


@pytest.fixture
async def fresh_url(fresh_urls: Callable[[], Awaitable[str]]) -> str:
    return await fresh_urls()


@asynccontextmanager
async def api(database_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, Runtime]]:
    runtime = Runtime.build(make_settings(database_url))
    transport = httpx.ASGITransport(app=create_app(runtime.settings, runtime))
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver/api/public/v1"
        ) as client:
            yield client, runtime
    finally:
        await runtime.db.dispose()


async def _key_lines(url: str, email: str) -> list[list[str]]:
    result = await cli(url, "keys", "list", "--user", email)
    assert result.returncode == 0, result.stderr
    return [line.split("\t") for line in result.stdout.splitlines()]


async def test_accounts_users_and_keys_end_to_end(fresh_url: str) -> None:
    first = only_uuid(await cli(fresh_url, "accounts", "create", "Acme Rentals"))
    second = only_uuid(await cli(fresh_url, "accounts", "create", "Beta Homes"))
    user_id = only_uuid(
        await cli(
            fresh_url,
            *("users", "create", "PM@Example.com", "--account", str(first), "--account", str(second)),
            "--password-stdin",
            stdin=PASSWORD + "\n",
        )
    )
    created = await cli(fresh_url, "keys", "create", "--user", "pm@example.com", "--name", "integration")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert created.stdout == f"{token}\n"
    assert token.count(".") == 2
    [[key_id, name, _created_at, last_used, status]] = await _key_lines(fresh_url, "pm@example.com")
    assert (name, last_used, status) == ("integration", "-", "active")
    assert key_id in created.stderr

    headers = {"Authorization": f"Bearer {token}"}
    async with api(fresh_url) as (client, runtime):
        for account in (first, second):  # a member of both accounts
            params = {"account_id": str(account)}
            assert (
                await client.get("/multifamily_properties", params=params, headers=headers)
            ).status_code == 200
        elsewhere = {"account_id": str(uuid.uuid4())}
        assert (
            await client.get("/multifamily_properties", params=elsewhere, headers=headers)
        ).status_code == 403
        response = await client.post("/multifamily_properties", json=property_body(second), headers=headers)
        assert response.status_code == 200
        [entry] = (await client.get("/audit_log", headers=headers)).json()
        assert (entry["user_id"], entry["api_key_id"]) == (str(user_id), key_id)

        async with runtime.db.transaction(writes=False) as session:
            user = await session.scalar(select(User).where(User.id == user_id))
        assert user is not None
        assert user.email == "pm@example.com"
        assert user.password_hash is not None
        assert verify_password(user.password_hash, PASSWORD)
        stored = await all_text(runtime)
        assert PASSWORD not in stored
        assert token not in stored

    [[_, _, _, last_used, _]] = await _key_lines(fresh_url, "pm@example.com")
    assert last_used != "-"

    revoked = await cli(fresh_url, "keys", "revoke", key_id)
    assert (revoked.returncode, revoked.stdout) == (0, "")
    async with api(fresh_url) as (client, _):
        response = await client.get("/multifamily_properties", headers=headers)
    assert response.status_code == 401
    assert [line[4] for line in await _key_lines(fresh_url, "pm@example.com")] == ["revoked"]


async def test_migrate_on_a_fresh_database(fresh_url: str) -> None:
    for _ in range(2):  # and again, on the migrated one
        result = await cli(fresh_url, "migrate")
        assert (result.returncode, result.stdout) == (0, "")
        assert "up to date" in result.stderr


UNKNOWN = "6f1c1d6e-8a43-4c43-9d4b-0f0d0c1a2b3c"
FRESH_DATABASE_ERRORS: list[tuple[tuple[str, ...], str]] = [
    (
        ("keys", "create", "--user", "ghost@example.com", "--name", "k"),
        "no user with email ghost@example.com",
    ),
    (("keys", "list", "--user", "Ghost@Example.com"), "no user with email ghost@example.com"),
    (("keys", "revoke", UNKNOWN), f"no API key {UNKNOWN}"),
    (("users", "create", "a@example.com", "--account", UNKNOWN), f"no such account: {UNKNOWN}"),
    (("users", "create", "a@example.com", "--account", "acme"), "'acme' is not a valid UUID"),
    (("users", "create", "a@example.com"), "Missing option '--account'"),
    (("accounts", "create", "  "), "an account needs a name"),
]


async def test_errors_on_a_fresh_database(fresh_urls: Callable[[], Awaitable[str]]) -> None:
    """Each command first meets an empty, unmigrated database and fails with its reason alone."""
    urls = [await fresh_urls() for _ in FRESH_DATABASE_ERRORS]
    runs = (cli(url, *args) for url, (args, _) in zip(urls, FRESH_DATABASE_ERRORS, strict=True))
    results = await _at_most_three(runs)
    for result, (args, message) in zip(results, FRESH_DATABASE_ERRORS, strict=True):
        try:
            assert_refused(result, message)
        except AssertionError as exc:
            raise AssertionError(f"rentengine {' '.join(args)}: {result}") from exc


async def test_user_and_key_rules(fresh_url: str) -> None:
    account = str(only_uuid(await cli(fresh_url, "accounts", "create", "Acme")))
    only_uuid(await cli(fresh_url, "users", "create", "pm@example.com", "--account", account))
    refusals = [
        (("users", "create", "PM@example.com", "--account", account), "already exists"),
        (("users", "create", "not-an-email", "--account", account), "not an email address"),
        (
            ("users", "create", "b@example.com", "--account", account, "--password-stdin"),
            "no password on stdin",
        ),
        (("keys", "create", "--user", "pm@example.com", "--name", " "), "an API key needs a name"),
    ]
    results = await _at_most_three(cli(fresh_url, *args) for args, _ in refusals)
    for result, (_, message) in zip(results, refusals, strict=True):
        assert_refused(result, message)
    # None of the refused commands left anything behind.
    assert await _key_lines(fresh_url, "pm@example.com") == []
    assert_refused(await cli(fresh_url, "keys", "list", "--user", "b@example.com"), "no user")


@pytest.mark.parametrize("env", ["staging", "production"])
async def test_the_development_secret_is_refused_outside_development(tmp_path: Path, env: str) -> None:
    path = tmp_path / "x.db"
    # Without RENTENGINE_SECRET_KEY the development default would apply.
    unsafe = await cli(f"sqlite:///{path}", "accounts", "create", "Acme", secret=None, RENTENGINE_ENV=env)
    assert_refused(unsafe, f"RENTENGINE_SECRET_KEY must be set when RENTENGINE_ENV is {env}")
    assert not path.exists()  # refused before touching the database
    only_uuid(await cli(f"sqlite:///{path}", "accounts", "create", "Acme", RENTENGINE_ENV=env))


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("RENTENGINE_RATE_LIMIT", "lots", "RENTENGINE_RATE_LIMIT: not a rate limit: 'lots'"),
        ("RENTENGINE_DATABASE_URL", "mysql://db/rentengine", "RENTENGINE_DATABASE_URL: unsupported database"),
        ("RENTENGINE_SECRET_KEY", "short", "RENTENGINE_SECRET_KEY must be at least 32 characters"),
    ],
)
async def test_bad_settings_end_the_command_with_a_clear_message(
    tmp_path: Path, variable: str, value: str, message: str
) -> None:
    result = await cli(f"sqlite:///{tmp_path / 'x.db'}", "accounts", "create", "Acme", **{variable: value})
    assert_refused(result, message)


async def test_a_missing_database_directory_is_a_clear_error(tmp_path: Path) -> None:
    missing_dir = tmp_path / "no" / "such" / "dir" / "x.db"
    result = await cli(f"sqlite:///{missing_dir}", "migrate")
    assert_refused(result, f"the directory of the SQLite database does not exist: {missing_dir}")


async def test_an_unreachable_postgresql_is_a_clear_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = await cli(f"postgresql://app:secret-password@127.0.0.1:{port}/rentengine", "migrate")
    assert_refused(result, "cannot reach the database")
    assert "secret-password" not in result.stderr


async def test_concurrent_migrations_on_a_fresh_database_take_turns(fresh_url: str) -> None:
    results = await _at_most_three(cli(fresh_url, "migrate") for _ in range(3))
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results]


async def _page_through(
    client: httpx.AsyncClient, path: str, token: str, **filters: str
) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for page in range(10_000):
        batch = (
            await client.get(
                path,
                params={**filters, "limit": 100, "page_number": page},
                headers={"Authorization": f"Bearer {token}"},
            )
        ).json()
        rows.extend(batch)
        if len(batch) < 100:
            return rows
    raise AssertionError("paging did not end")


async def test_demo_data_loads_the_sizes_asked_into_a_new_account(fresh_url: str) -> None:
    args = ("demo-data", "--units", "150", "--lockbox-events", "230", "--properties", "4", "--quiet")
    account_id = only_uuid(await cli(fresh_url, *args))
    email = "viewer@example.com"
    only_uuid(await cli(fresh_url, "users", "create", email, "--account", str(account_id)))
    token = (await cli(fresh_url, "keys", "create", "--user", email, "--name", "viewer")).stdout.strip()
    async with api(fresh_url) as (client, _runtime):
        units = await _page_through(client, "/units", token)
        events = await _page_through(client, "/lockbox_events", token)
        properties = await _page_through(client, "/multifamily_properties", token)
        audited = await _page_through(client, "/audit_log", token, table="units")
    assert len(units) == 150
    assert len(events) == 230
    assert len(properties) == 4
    assert len(audited) == 150
    assert {u["account_id"] for u in units} == {str(account_id)}
    assert all(u["address"]["coordinates"] and u["address"]["city"] for u in units)  # type: ignore[index]
    times = [str(e["created_at"]) for e in events]
    assert times == sorted(times)
    installed = [e for e in events if e["event_type"] == "Install"]
    assert installed
    assert {e["unit_id"] for e in installed} <= {str(u["id"]) for u in units}


async def test_demo_data_into_an_unknown_account_is_refused(fresh_url: str) -> None:
    result = await cli(fresh_url, "demo-data", "--account", str(uuid.uuid4()), "--units", "1", "--quiet")
    assert_refused(result, "no such account")


async def test_deleting_a_user_revokes_their_keys_and_is_audited(fresh_url: str) -> None:
    first = only_uuid(await cli(fresh_url, "accounts", "create", "Acme Rentals"))
    second = only_uuid(await cli(fresh_url, "accounts", "create", "Acme Commercial"))
    leaving = only_uuid(
        await cli(
            fresh_url,
            "users",
            "create",
            "leaving@example.com",
            "--account",
            str(first),
            "--account",
            str(second),
        )
    )
    only_uuid(await cli(fresh_url, "users", "create", "staying@example.com", "--account", str(first)))
    token = (
        await cli(fresh_url, "keys", "create", "--user", "leaving@example.com", "--name", "sync")
    ).stdout.strip()
    staying = (
        await cli(fresh_url, "keys", "create", "--user", "staying@example.com", "--name", "s")
    ).stdout.strip()
    async with api(fresh_url) as (client, _):
        assert (await client.get("/units", headers={"Authorization": f"Bearer {token}"})).status_code == 200

    deleted = await cli(fresh_url, "users", "delete", "Leaving@Example.com")
    assert (deleted.returncode, deleted.stdout) == (0, ""), deleted.stderr
    assert str(leaving) in deleted.stderr

    async with api(fresh_url) as (client, _):
        response = await client.get("/units", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401
        audit = await client.get("/audit_log?table=users", headers={"Authorization": f"Bearer {staying}"})
    [entry] = audit.json()
    assert (entry["action"], entry["record_id"], entry["account_id"]) == ("DELETE", str(leaving), str(first))
    assert_refused(await cli(fresh_url, "keys", "list", "--user", "leaving@example.com"), "no user")
    assert_refused(await cli(fresh_url, "users", "delete", "leaving@example.com"), "no user")
