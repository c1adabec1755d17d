"""`rentengine users set-password`: the new password signs in, and every old session ends."""

from collections.abc import Awaitable, Callable

import httpx
import pytest

from rentengine.portal.sessions import SESSION_COOKIE
from tests.portal.conftest import Member, Portal, PortalServer

pytestmark = pytest.mark.slow

OpenPortal = Callable[..., Awaitable[Portal]]
MakeMember = Callable[..., Awaitable[Member]]
NEW_PASSWORD = "a new and longer passphrase"


async def _keys_page_status(server: PortalServer, cookie: str) -> int:
    async with httpx.AsyncClient(cookies={SESSION_COOKIE: cookie}, timeout=30) as client:
        return (await client.get(server.url("/portal/keys"))).status_code


async def test_set_password_signs_in_with_the_new_one_and_ends_old_sessions(
    open_portal: OpenPortal, make_member: MakeMember
) -> None:
    member = await make_member()
    first, second = await open_portal(), await open_portal()
    await first.signed_in_as(member)
    await second.signed_in_as(member)
    cookie = await first.session_cookie()
    assert cookie is not None

    result = await first.server.cli(
        "users", "set-password", member.email.upper(), "--password-stdin", stdin=NEW_PASSWORD + "\n"
    )
    assert (result.returncode, result.stdout) == (0, ""), result.stderr
    assert f"password set for {member.email}" in result.stderr

    assert await _keys_page_status(first.server, cookie) == 303
    for portal in (first, second):
        await portal.goto("/portal/keys")
        assert portal.page.url == portal.server.url("/portal/login")
    assert (await first.sign_in(member)).status == 401  # the old password
    await first.signed_in_as(Member(member.email, NEW_PASSWORD, member.user_id, member.account_ids))


async def test_a_refused_password_changes_nothing(open_portal: OpenPortal, make_member: MakeMember) -> None:
    member = await make_member()
    portal = await open_portal()
    await portal.signed_in_as(member)
    cookie = await portal.session_cookie()
    assert cookie is not None

    result = await portal.server.cli(
        "users", "set-password", member.email, "--password-stdin", stdin="short\n"
    )
    assert result.returncode != 0
    assert result.stdout == ""
    assert "a password needs at least 8 characters" in result.stderr
    assert "Traceback" not in result.stderr

    assert await _keys_page_status(portal.server, cookie) == 200  # still signed in
    await portal.goto("/portal/keys")
    assert portal.page.url == portal.server.url("/portal/keys")
    await (await open_portal()).signed_in_as(member)  # with the password it had
