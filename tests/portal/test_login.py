"""Signing in and out of the portal in a real browser against a real server."""

from collections.abc import Awaitable, Callable

import httpx
import pytest

from rentengine.portal.sessions import LOGIN_CSRF_COOKIE, SESSION_COOKIE
from tests.portal.conftest import Member, Portal, PortalServer

pytestmark = pytest.mark.slow

OpenPortal = Callable[..., Awaitable[Portal]]
MakeMember = Callable[..., Awaitable[Member]]
FormFields = dict[str, str | float | bool]


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
