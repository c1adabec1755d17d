"""Signing in and out of the portal in a real browser against a real server."""

import asyncio
import itertools
import re
from collections import Counter
from collections.abc import Awaitable, Callable

import httpx
import pytest

from rentengine.portal.sessions import LOGIN_CSRF_COOKIE, SESSION_COOKIE
from tests.portal.conftest import Member, Portal, PortalServer

pytestmark = pytest.mark.slow

OpenPortal = Callable[..., Awaitable[Portal]]
MakeMember = Callable[..., Awaitable[Member]]
FormFields = dict[str, str | float | bool]
# Client addresses of this module's own clients (the harness hands out 10.x.y.z to browser contexts).
_addresses = itertools.count(1)


def _client(server: PortalServer) -> httpx.AsyncClient:
    """A plain HTTP client with its own client address (its own per-address sign-in counter)."""
    n = next(_addresses)
    address = f"172.{16 + (n >> 16 & 15)}.{n >> 8 & 255}.{n & 255}"
    return httpx.AsyncClient(base_url=server.base_url, headers={"X-Forwarded-For": address}, timeout=60)


async def _form_token(client: httpx.AsyncClient) -> str:
    """Opens the sign-in page (which sets the form's CSRF cookie) and returns the form's token."""
    page = await client.get("/portal/login")
    assert page.status_code == 200
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


async def _post_login(client: httpx.AsyncClient, member: Member, password: str) -> httpx.Response:
    form = {"email": member.email, "password": password, "csrf_token": await _form_token(client)}
    return await client.post("/portal/login", data=form)


async def _opens_keys_page(server: PortalServer, cookie: str) -> bool:
    """Whether the session cookie alone (no browser) opens the keys page."""
    async with httpx.AsyncClient(cookies={SESSION_COOKIE: cookie}, timeout=30) as client:
        response = await client.get(server.url("/portal/keys"))
    if response.status_code == 303:
        assert response.headers["location"] == "/portal/login"
        return False
    assert response.status_code == 200
    return True


async def test_portal_leads_to_login_then_to_the_keys_page(portal: Portal, cli_member: Member) -> None:
    response = await portal.goto("/portal")
    assert portal.page.url == portal.server.url("/portal/login")
    assert response.status == 200
    assert await portal.page.title() == "Sign in · rentengine"
    await portal.page.fill("#email", cli_member.email)
    await portal.screenshot("login")

    await portal.signed_in_as(cli_member)
    await portal.goto("/portal")
    assert portal.page.url == portal.server.url("/portal/keys")
    cookies = {c["name"]: c for c in await portal.context.cookies()}
    assert LOGIN_CSRF_COOKIE not in cookies  # spent at sign-in
    session = cookies[SESSION_COOKIE]
    assert (session["httpOnly"], session["sameSite"], session["path"]) == (True, "Lax", "/portal")
    assert session["expires"] > 0  # ends with its server-side session, not with the browser


@pytest.mark.parametrize(
    "path", ["/portal/keys", "/portal/audit", "/portal/keys/00000000-0000-0000-0000-000000000000/revoke"]
)
async def test_pages_need_a_signed_in_user(portal: Portal, path: str) -> None:
    await portal.goto(path)
    assert portal.page.url == portal.server.url("/portal/login")


async def test_a_wrong_password_is_refused(portal: Portal, make_member: MakeMember) -> None:
    member = await make_member()
    response = await portal.sign_in(member, password="not the password")
    assert response.status == 401
    assert portal.page.url == portal.server.url("/portal/login")
    assert await portal.alert() == "Wrong email or password."
    assert await portal.page.input_value("#email") == member.email
    assert await portal.session_cookie() is None
    await portal.goto("/portal/keys")
    assert portal.page.url == portal.server.url("/portal/login")


async def test_repeated_failures_are_throttled(open_portal: OpenPortal, make_member: MakeMember) -> None:
    member, bystander = await make_member(), await make_member()
    portal = await open_portal()
    for _ in range(5):
        assert (await portal.sign_in(member, password="guess")).status == 401
    # From now on even the right password is refused, for this email from any address...
    response = await portal.sign_in(member)
    assert response.status == 429
    assert "Too many failed sign-ins" in await portal.alert()
    elsewhere = await open_portal()
    assert (await elsewhere.sign_in(member)).status == 429
    assert await elsewhere.session_cookie() is None
    # ...and for any email from this address; other users elsewhere are not affected.
    assert (await portal.sign_in(bystander)).status == 429
    await elsewhere.signed_in_as(bystander)


async def test_a_login_post_without_the_form_token_is_refused(portal: Portal, cli_member: Member) -> None:
    await portal.goto("/portal/login")  # sets the login CSRF cookie; the forged post does not know it
    forged: FormFields = {"email": cli_member.email, "password": cli_member.password, "csrf_token": "guessed"}
    response = await portal.page.request.post(
        portal.server.url("/portal/login"), form=forged, max_redirects=0
    )
    assert response.status == 403
    assert "The form expired" in await response.text()
    assert await portal.session_cookie() is None
    without: FormFields = {"email": cli_member.email, "password": cli_member.password}
    response = await portal.page.request.post(
        portal.server.url("/portal/login"), form=without, max_redirects=0
    )
    assert response.status == 403
    assert await portal.session_cookie() is None


async def test_sign_out_ends_the_session(portal: Portal, make_member: MakeMember) -> None:
    member = await make_member()
    await portal.signed_in_as(member)
    cookie = await portal.session_cookie()
    assert cookie is not None
    assert await _opens_keys_page(portal.server, cookie)

    await portal.page.click("text=Sign out")
    await portal.page.wait_for_url(portal.server.url("/portal/login"))
    assert await portal.session_cookie() is None
    assert not await _opens_keys_page(portal.server, cookie)  # ended on the server, not only forgotten


async def test_sign_out_needs_the_form_token(portal: Portal, make_member: MakeMember) -> None:
    member = await make_member()
    await portal.signed_in_as(member)
    response = await portal.page.request.post(portal.server.url("/portal/logout"), form={}, max_redirects=0)
    assert response.status == 403
    cookie = await portal.session_cookie()
    assert cookie is not None
    assert await _opens_keys_page(portal.server, cookie)


@pytest.mark.parametrize("cookie", [None, ""])
async def test_a_login_post_with_neither_cookie_nor_token_is_refused(
    portal_server: PortalServer, cli_member: Member, cookie: str | None
) -> None:
    """A cross-site form knows no token; without a cookie to compare with, it must not sign in."""
    headers = {} if cookie is None else {"Cookie": f"{LOGIN_CSRF_COOKIE}={cookie}"}
    form = {"email": cli_member.email, "password": cli_member.password, "csrf_token": ""}
    async with _client(portal_server) as client:
        for sent in (form, {k: v for k, v in form.items() if k != "csrf_token"}):
            response = await client.post("/portal/login", data=sent, headers=headers)
            assert response.status_code == 403
            assert "The form expired" in response.text
            assert SESSION_COOKIE not in response.cookies


async def test_concurrent_guesses_are_counted_before_any_password_is_checked(
    portal_server: PortalServer, make_member: MakeMember
) -> None:
    """40 guesses sent at once from many connections: only the first 5 are checked at all."""
    member = await make_member()
    clients = [_client(portal_server) for _ in range(40)]
    try:
        tokens = await asyncio.gather(*(_form_token(client) for client in clients))
        responses = await asyncio.gather(
            *(
                client.post(
                    "/portal/login",
                    data={"email": member.email, "password": f"guess {n}", "csrf_token": token},
                )
                for n, (client, token) in enumerate(zip(clients, tokens, strict=True))
            )
        )
    finally:
        for client in clients:
            await client.aclose()
    assert Counter(r.status_code for r in responses) == {401: 5, 429: 35}, [r.status_code for r in responses]
    assert all("Too many failed sign-ins" in r.text for r in responses if r.status_code == 429)
    async with _client(portal_server) as client:  # the right password too, for this email
        assert (await _post_login(client, member, member.password)).status_code == 429


async def test_a_successful_sign_in_does_not_count_as_a_failure(
    portal_server: PortalServer, make_member: MakeMember
) -> None:
    member = await make_member()
    async with _client(portal_server) as client:
        for _ in range(3):
            assert (await _post_login(client, member, "guess")).status_code == 401
        signed_in = await _post_login(client, member, member.password)
        assert signed_in.status_code == 303
        assert signed_in.headers["location"] == "/portal/keys"
        assert SESSION_COOKIE in signed_in.cookies
        # Five failures in all are still allowed (3 + 2); the sign-in took none of them.
        for _ in range(2):
            assert (await _post_login(client, member, "guess")).status_code == 401
        assert (await _post_login(client, member, "guess")).status_code == 429
