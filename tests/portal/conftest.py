"""Browser harness: a real `rentengine serve --no-worker` process per backend, driven by Chromium.

Each backend gets one server on a fresh database (SQLite file or PostgreSQL database), migrated by
the server itself at start. Tests drive it through Debian's Chromium with Playwright, talk to its API
with httpx, and set up or check rows through an in-process `Runtime` on the same database.

Every browser context sends its own `X-Forwarded-For` client address (the server trusts it from
127.0.0.1 through `RENTENGINE_TRUSTED_PROXIES`, as behind a reverse proxy), so one test's failed
sign-ins never throttle another's.

For a new portal page's tests:
- `portal` (or `open_portal(javascript=False, permissions=[...])` for more browsers) gives a
  `Portal`: `goto`, `signed_in_as(member)`, `submit(form_selector)` → the POST's response,
  `alert()`, `session_cookie()`, `screenshot(name)` → docs/img/portal-NAME.png;
- `make_member()` makes a user with a password in fresh account(s); `make_api_key` a key for it;
- `api` is an httpx client of the server's public API (`headers=bearer(token)`);
- `portal_server.runtime` reads or sets up rows in the same database, `portal_server.cli(...)`
  runs the command line against it.
Teardown fails the test on a page script error, a CSP refusal, a 5xx or a traceback in the log.
"""

import asyncio
import itertools
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright
from playwright.async_api import Response as PageResponse
from sqlalchemy import make_url

from rentengine.auth import service as auth
from rentengine.portal.sessions import SESSION_COOKIE
from rentengine.runtime import Runtime
from tests.browser import CHROMIUM_ARGS
from tests.conftest import BACKENDS, TEST_SECRET, make_settings
from tests.databases import throwaway_database
from tests.ports import free_port

RENTENGINE = Path(sys.executable).with_name("rentengine")
IMAGES = Path(__file__).resolve().parents[2] / "docs" / "img"
# Screenshots are taken on one backend only: the pages are the same on both.
SCREENSHOT_BACKEND = "sqlite"
VIEWPORT = {"width": 1280, "height": 800}
PASSWORD = "correct horse battery staple"
TIMEOUT_MS = 15_000
_client_addresses = itertools.count(1)


@dataclass(frozen=True)
class CliResult:
    returncode: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class PortalServer:
    base_url: str
    database_url: str
    backend: str
    log: Path
    # The same database, in this process: for setting up rows and checking what was stored.
    runtime: Runtime

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    async def cli(self, *args: str, stdin: str = "") -> CliResult:
        """Runs `rentengine ARGS` against this server's database."""
        clean = {k: v for k, v in os.environ.items() if not k.startswith("RENTENGINE_")}
        env = {**clean, "RENTENGINE_DATABASE_URL": self.database_url, "RENTENGINE_SECRET_KEY": TEST_SECRET}
        process = await asyncio.create_subprocess_exec(
            str(RENTENGINE),
            *args,
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(stdin.encode()), timeout=120)
        assert process.returncode is not None
        return CliResult(process.returncode, out.decode(), err.decode())


@dataclass(frozen=True)
class Member:
    """A portal user with a password, in its own account(s)."""

    email: str
    password: str
    user_id: uuid.UUID
    account_ids: list[uuid.UUID]

    @property
    def account_id(self) -> uuid.UUID:
        return self.account_ids[0]


@dataclass
class Portal:
    """One browser context (own cookies, own client address) with one page on the portal."""

    server: PortalServer
    context: BrowserContext
    page: Page
    problems: list[str] = field(default_factory=list)

    async def goto(self, path: str) -> PageResponse:
        response = await self.page.goto(self.server.url(path))
        assert response is not None
        return response

    async def sign_in(self, member: Member, password: str | None = None) -> PageResponse:
        """Fills and sends the login form; returns the response to the form's POST."""
        if not self.page.url.endswith("/portal/login"):
            await self.goto("/portal/login")
        await self.page.fill("#email", member.email)
        await self.page.fill("#password", password or member.password)
        async with self.page.expect_response(lambda r: r.request.method == "POST") as posted:
            await self.page.click("button[type=submit]")
        await self.page.wait_for_load_state()
        return await posted.value

    async def signed_in_as(self, member: Member) -> None:
        await self.sign_in(member)
        assert self.page.url == self.server.url("/portal/keys"), await self.alert()
        assert await self.page.inner_text(".who") == member.email

    async def submit(self, form: str) -> PageResponse:
        """Submits `form` (a selector) with its own button; returns the response to the POST."""
        async with self.page.expect_response(lambda r: r.request.method == "POST") as posted:
            await self.page.click(f"{form} button[type=submit]")
        await self.page.wait_for_load_state()
        return await posted.value

    async def alert(self) -> str:
        alerts = self.page.locator("[role=alert]")
        return await alerts.first.inner_text() if await alerts.count() else ""

    async def session_cookie(self) -> str | None:
        cookies = await self.context.cookies(self.server.url("/portal/keys"))
        return next((c["value"] for c in cookies if c["name"] == SESSION_COOKIE), None)

    async def screenshot(self, name: str) -> None:
        """Writes docs/img/portal-NAME.png (the README's tour shows them)."""
        if self.server.backend != SCREENSHOT_BACKEND:
            return
        IMAGES.mkdir(parents=True, exist_ok=True)
        await self.page.screenshot(path=IMAGES / f"portal-{name}.png", full_page=True)


def empty_database(backend: str, directory: Path, prefix: str) -> AbstractAsyncContextManager[str]:
    """An empty database of `backend` (a server given it migrates it), dropped afterwards."""
    return throwaway_database(backend, directory, revision=None, prefix=f"rentengine_{prefix}")


@pytest.fixture(scope="session", params=BACKENDS)
async def portal_database_url(
    request: pytest.FixtureRequest, chromium: Path, tmp_root: Path
) -> AsyncIterator[str]:
    """An empty database of each backend for the portal's server (which migrates it)."""
    async with empty_database(request.param, tmp_root, "portal") as url:
        yield url


def _start_server(
    database_url: str, log: Path, extra_env: dict[str, str], worker: bool
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RENTENGINE_")}
    env = {
        **clean,
        "RENTENGINE_DATABASE_URL": database_url,
        "RENTENGINE_SECRET_KEY": TEST_SECRET,
        "RENTENGINE_RATE_LIMIT": "off",
        # The tests are the reverse proxy: their X-Forwarded-For addresses are the clients'.
        "RENTENGINE_TRUSTED_PROXIES": "127.0.0.1",
        **extra_env,
    }
    command = [str(RENTENGINE), "serve", "--host", "127.0.0.1", "--port", str(port)]
    if not worker:
        command.append("--no-worker")
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    return process, f"http://127.0.0.1:{port}"


def _fail_with_log(message: str, log: Path) -> None:
    pytest.fail(f"{message}:\n{log.read_text()}")


async def _wait_until_up(process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    deadline = time.monotonic() + 90
    async with httpx.AsyncClient(timeout=2) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                _fail_with_log(f"server exited with {process.returncode}", log)
            try:
                if (await client.get(f"{base_url}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    _fail_with_log("server did not start", log)


@asynccontextmanager
async def running_server(
    database_url: str, log: Path, extra_env: dict[str, str] | None = None, worker: bool = False
) -> AsyncIterator[PortalServer]:
    """A real `rentengine serve` process (by default without the delivery worker) until the block ends."""
    process, base_url = _start_server(database_url, log, extra_env or {}, worker)
    runtime = Runtime.build(make_settings(database_url))
    try:
        await _wait_until_up(process, base_url, log)
        backend = make_url(database_url).get_backend_name()
        yield PortalServer(base_url, database_url, backend, log, runtime)
    finally:
        process.terminate()
        await asyncio.to_thread(process.wait, 30)
        await runtime.db.dispose()


@pytest.fixture(scope="session")
async def portal_server(
    portal_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[PortalServer]:
    """A `rentengine serve --no-worker` process on a fresh database of each backend."""
    async with running_server(
        portal_database_url, tmp_path_factory.mktemp("portal") / "server.log"
    ) as server:
        yield server


@pytest.fixture(scope="session")
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


def _next_client_address() -> str:
    n = next(_client_addresses)
    return f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


def _watch(portal: Portal) -> None:
    """Script errors, refused (CSP) resources and server errors fail a test, whatever it checks."""
    portal.page.on("pageerror", lambda error: portal.problems.append(f"page error: {error}"))

    def on_response(response: PageResponse) -> None:
        if response.status >= 500:
            portal.problems.append(f"{response.status} from {response.request.method} {response.url}")

    portal.page.on("response", on_response)

    def on_console(message: Any) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            portal.problems.append(f"console: {message.text}")

    portal.page.on("console", on_console)


@pytest.fixture
async def open_portal(
    portal_server: PortalServer, browser: Browser
) -> AsyncIterator[Callable[..., Awaitable[Portal]]]:
    """Opens a new browser context on the portal; `javascript=False` browses without scripts."""
    opened: list[Portal] = []
    log_start = portal_server.log.stat().st_size

    async def open_one(javascript: bool = True, **options: Any) -> Portal:
        context = await browser.new_context(
            viewport=VIEWPORT,  # type: ignore[arg-type]
            java_script_enabled=javascript,
            extra_http_headers={"X-Forwarded-For": _next_client_address()},
            **options,
        )
        context.set_default_timeout(TIMEOUT_MS)
        portal = Portal(portal_server, context, await context.new_page())
        _watch(portal)
        opened.append(portal)
        return portal

    yield open_one
    for portal in opened:
        await portal.context.close()
    assert [p for portal in opened for p in portal.problems] == []
    with portal_server.log.open("rb") as log:
        log.seek(log_start)
        server_log = log.read().decode(errors="replace")
    assert "Traceback" not in server_log, server_log


@pytest.fixture
async def portal(open_portal: Callable[..., Awaitable[Portal]]) -> Portal:
    return await open_portal()


@pytest.fixture
def make_member(portal_server: PortalServer) -> Callable[..., Awaitable[Member]]:
    """Creates a user with a password in fresh account(s), in process (fast)."""

    async def make(label: str = "pm", accounts: int = 1, email: str | None = None) -> Member:
        email = email or f"{label}-{uuid.uuid4().hex[:8]}@example.com"
        async with portal_server.runtime.db.transaction() as session:
            made = [await auth.create_account(session, f"{label} account {n}") for n in range(accounts)]
            user = await auth.create_user(session, email, [a.id for a in made], PASSWORD)
        return Member(email, PASSWORD, user.id, [a.id for a in made])

    return make


@pytest.fixture(scope="session")
async def cli_member(portal_server: PortalServer) -> Member:
    """A user created the way an operator does: `accounts create`, `users create --password-stdin`."""
    created = await portal_server.cli("accounts", "create", "Acme Rentals")
    assert created.returncode == 0, created.stderr
    account_id = uuid.UUID(created.stdout.strip())
    email = "pm@acme-rentals.example"
    args = ("users", "create", email, "--account", str(account_id), "--password-stdin")
    user = await portal_server.cli(*args, stdin=PASSWORD + "\n")
    assert user.returncode == 0, user.stderr
    return Member(email, PASSWORD, uuid.UUID(user.stdout.strip()), [account_id])


@pytest.fixture
async def api(portal_server: PortalServer) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the server's public API (pass the token's headers per request)."""
    async with httpx.AsyncClient(base_url=portal_server.url("/api/public/v1"), timeout=30) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def make_api_key(server: PortalServer, member: Member, name: str) -> tuple[uuid.UUID, str]:
    """A key created in process (tests whose subject is not key creation)."""
    async with server.runtime.db.transaction() as session:
        user = await auth.require_user(session, member.email)
        key, token = await auth.create_api_key(session, server.runtime.settings.secret_key, user, name)
    return key.id, token
