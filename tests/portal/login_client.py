"""The sign-in form against an app in this process: for tests that set the client's address or patch
the server's code (the browser tests drive a real server process instead)."""

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI

from rentengine.app import create_app
from rentengine.auth import service as auth
from rentengine.runtime import Runtime
from tests.conftest import make_settings

PASSWORD = "correct horse battery staple"


@asynccontextmanager
async def login_app(database_url: str, **settings: Any) -> AsyncIterator[tuple[FastAPI, Runtime]]:
    runtime = Runtime.build(make_settings(database_url, **settings))
    try:
        yield create_app(runtime.settings, runtime), runtime
    finally:
        await runtime.db.dispose()


def client_at(app: FastAPI, peer: str, forwarded_for: str | None = None) -> httpx.AsyncClient:
    """A client whose connection comes from `peer`, optionally sending an X-Forwarded-For header."""
    transport = httpx.ASGITransport(app=app, client=(peer, 40000))
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for is not None else {}
    return httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=headers)


async def make_user(runtime: Runtime, password: str | None = PASSWORD) -> str:
    """A user in a fresh account (with `password`, or none at all); returns the email."""
    email = f"login-{uuid.uuid4().hex[:12]}@example.com"
    async with runtime.db.transaction() as session:
        account = await auth.create_account(session, "login test")
        await auth.create_user(session, email, [account.id], password)
    return email


async def post_login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    """Opens the sign-in page (for its CSRF cookie and token) and sends the form."""
    page = await client.get("/portal/login")
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    form = {"email": email, "password": password, "csrf_token": token.group(1)}
    return await client.post("/portal/login", data=form)
