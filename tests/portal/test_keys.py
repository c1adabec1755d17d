"""The API keys page in a real browser: create (token shown once), use, revoke; CSRF; without scripts."""

import asyncio
from collections.abc import Awaitable, Callable

import httpx
import pytest

from rentengine.auth import repository as auth_repository
from tests.portal.conftest import Member, Portal, PortalServer, bearer, make_api_key

pytestmark = pytest.mark.slow

OpenPortal = Callable[..., Awaitable[Portal]]
MakeMember = Callable[..., Awaitable[Member]]


async def _create_key(portal: Portal, name: str) -> str:
    """Creates a key through the form; returns the token the page shows."""
    await portal.goto("/portal/keys")
    await portal.page.fill("#key-name", name)
    response = await portal.submit("#create-key form")
    assert response.status == 201, await portal.alert()
    assert response.headers["cache-control"] == "no-store"
    return (await portal.page.inner_text("#new-token")).strip()


async def _row_cells(portal: Portal, name: str) -> list[str]:
    row = portal.page.locator("tbody tr", has=portal.page.locator("td", has_text=name))
    assert await row.count() == 1
    return [c.strip() for c in await row.locator("td").all_inner_texts()]


async def _key_names(server: PortalServer, member: Member) -> list[tuple[str, bool]]:
    """(name, revoked) of the member's keys as stored."""
    async with server.runtime.db.transaction(writes=False) as session:
        keys = await auth_repository.keys_of(session, member.user_id)
        return [(k.name, k.revoked_at is not None) for k in keys]


async def test_create_use_and_revoke_a_key(
    portal: Portal, cli_member: Member, api: httpx.AsyncClient
) -> None:
    await portal.signed_in_as(cli_member)
    token = await _create_key(portal, "PMS sync")
    assert token.count(".") == 2
    assert "It will not be shown again" in await portal.page.inner_text(".token")
    await portal.screenshot("keys")
    assert (await api.get("/units", headers=bearer(token))).status_code == 200

    await portal.goto("/portal/keys")  # what a later visit (or a reload by address) shows
    assert token not in await portal.page.content()
    assert await portal.page.locator("#new-token").count() == 0
    _, created, last_used, status, _ = await _row_cells(portal, "PMS sync")
    # The use is recorded just after the API's answer went out: a moment later at most.
    for _ in range(50):
        if last_used.endswith(" UTC"):
            break
        await asyncio.sleep(0.1)
        await portal.goto("/portal/keys")
        last_used = (await _row_cells(portal, "PMS sync"))[2]
    assert created.endswith(" UTC")
    assert last_used.endswith(" UTC")  # the API call above
    assert status == "Active"

    await portal.page.click("[aria-label='Revoke Token PMS sync']")
    assert await portal.page.inner_text("h1") == "Revoke “PMS sync”?"
    assert "cannot be undone" in await portal.page.inner_text("main")
    await portal.screenshot("revoke")
    assert (await api.get("/units", headers=bearer(token))).status_code == 200  # nothing revoked yet
    response = await portal.submit("form.buttons")
    assert response.status == 303
    assert portal.page.url == portal.server.url("/portal/keys")
    assert (await _row_cells(portal, "PMS sync"))[3] == "Revoked"
    assert await portal.page.locator("[aria-label='Revoke Token PMS sync']").count() == 0
    refused = await api.get("/units", headers=bearer(token))
    assert refused.status_code == 401


async def test_cancel_on_the_confirmation_keeps_the_key(
    portal: Portal, make_member: MakeMember, api: httpx.AsyncClient
) -> None:
    member = await make_member()
    _, token = await make_api_key(portal.server, member, "nightly export")
    await portal.signed_in_as(member)
    await portal.page.click("[aria-label='Revoke Token nightly export']")
    await portal.page.click("text=Cancel")
    assert portal.page.url == portal.server.url("/portal/keys")
    assert (await _row_cells(portal, "nightly export"))[3] == "Active"
    assert (await api.get("/units", headers=bearer(token))).status_code == 200


async def test_a_form_without_its_csrf_token_changes_nothing(
    portal: Portal, make_member: MakeMember, api: httpx.AsyncClient
) -> None:
    member = await make_member()
    key_id, token = await make_api_key(portal.server, member, "kept")
    await portal.signed_in_as(member)

    await portal.page.fill("#key-name", "smuggled")
    await portal.page.evaluate("document.querySelector('#create-key input[name=csrf_token]').remove()")
    response = await portal.submit("#create-key form")
    assert response.status == 403
    assert "did not come from this site" in await portal.alert()

    revoke = portal.server.url(f"/portal/keys/{key_id}/revoke")
    forged = await portal.page.request.post(revoke, form={"csrf_token": "guessed"}, max_redirects=0)
    assert forged.status == 403
    assert await _key_names(portal.server, member) == [("kept", False)]
    assert (await api.get("/units", headers=bearer(token))).status_code == 200


async def test_an_empty_name_is_refused(portal: Portal, make_member: MakeMember) -> None:
    member = await make_member()
    await portal.signed_in_as(member)
    await portal.page.fill("#key-name", "   ")
    response = await portal.submit("#create-key form")
    assert response.status == 400
    assert "Give the key a name" in await portal.alert()
    assert await _key_names(portal.server, member) == []


async def test_another_users_key_can_be_neither_seen_nor_revoked(
    portal: Portal, make_member: MakeMember, api: httpx.AsyncClient
) -> None:
    member, other = await make_member(), await make_member("other")
    other_key, other_token = await make_api_key(portal.server, other, "theirs")
    await portal.signed_in_as(member)
    assert "theirs" not in await portal.page.inner_text("main")
    response = await portal.goto(f"/portal/keys/{other_key}/revoke")
    assert response.status == 404
    csrf = await portal.page.input_value("form.logout input[name=csrf_token]")
    revoke = portal.server.url(f"/portal/keys/{other_key}/revoke")
    refused = await portal.page.request.post(revoke, form={"csrf_token": csrf}, max_redirects=0)
    assert refused.status == 404
    assert await _key_names(portal.server, other) == [("theirs", False)]
    assert (await api.get("/units", headers=bearer(other_token))).status_code == 200


async def test_the_copy_button_copies_the_token(open_portal: OpenPortal, make_member: MakeMember) -> None:
    portal = await open_portal(permissions=["clipboard-read", "clipboard-write"])
    await portal.signed_in_as(await make_member())
    token = await _create_key(portal, "copied")
    await portal.page.click("button.copy")
    await portal.page.wait_for_function("document.querySelector('button.copy').textContent === 'Copied'")
    assert await portal.page.evaluate("navigator.clipboard.readText()") == token


async def test_keys_work_without_javascript(
    open_portal: OpenPortal, make_member: MakeMember, api: httpx.AsyncClient
) -> None:
    portal = await open_portal(javascript=False)
    await portal.signed_in_as(await make_member())
    token = await _create_key(portal, "no scripts")
    assert (await api.get("/units", headers=bearer(token))).status_code == 200
    await portal.goto("/portal/keys")
    await portal.page.click("[aria-label='Revoke Token no scripts']")
    assert (await portal.submit("form.buttons")).status == 303
    assert (await api.get("/units", headers=bearer(token))).status_code == 401
