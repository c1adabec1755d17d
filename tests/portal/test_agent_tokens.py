"""The agent tokens page in a real browser: issue (code shown once), list, revoke; the showing hours;
CSRF; another user's tokens and accounts; the audit entries of it all."""

import re
import uuid
from collections.abc import Awaitable, Callable

import httpx
import pytest
from sqlalchemy import select

from rentengine.agents import service
from rentengine.agents.models import AgentToken
from rentengine.audit.models import AuditEntry
from rentengine.auth.models import Account
from tests.portal.conftest import Member, Portal, PortalServer, bearer, make_api_key

pytestmark = pytest.mark.slow

OpenPortal = Callable[..., Awaitable[Portal]]
MakeMember = Callable[..., Awaitable[Member]]
PAGE = "/portal/agent-tokens"
Form = dict[str, str | float | bool]  # what Playwright's request.post takes


async def _issue(portal: Portal, label: str) -> str:
    """Issues a token through the form; returns the code the page shows."""
    await portal.page.fill("#token-label", label)
    response = await portal.submit("#issue-token form")
    assert response.status == 201, await portal.alert()
    assert response.headers["cache-control"] == "no-store"
    return (await portal.page.inner_text("#new-code")).strip()


async def _row_cells(portal: Portal, label: str) -> list[str]:
    row = portal.page.locator("tbody tr", has=portal.page.locator("td", has_text=label))
    assert await row.count() == 1
    return [c.strip() for c in await row.locator("td").all_inner_texts()]


async def _tokens(server: PortalServer, account_id: uuid.UUID) -> list[tuple[str, bool]]:
    """(label, revoked) of the account's tokens as stored, newest first."""
    async with server.runtime.db.transaction(writes=False) as session:
        tokens = await service.list_tokens(session, [account_id])
    return [(t.label, t.revoked_at is not None) for t in tokens]


async def _is_valid(server: PortalServer, account_id: uuid.UUID, code: str) -> bool:
    async with server.runtime.db.transaction(writes=False) as session:
        return await service.is_valid(session, account_id, code)


async def _settings(server: PortalServer, account_id: uuid.UUID) -> tuple[str, str, str]:
    async with server.runtime.db.transaction(writes=False) as session:
        account = await session.get(Account, account_id)
    assert account is not None
    return account.timezone, account.showing_hours_start, account.showing_hours_end


async def _token_elsewhere(server: PortalServer, member: Member, label: str) -> tuple[uuid.UUID, str]:
    """A token of the member's account issued in process (tests whose subject is not issuing)."""
    async with server.runtime.db.transaction() as session:
        token, code = await service.issue(session, member.account_id, label, member.user_id)
    return token.id, code


async def test_issue_list_and_revoke_a_token(
    portal: Portal, make_member: MakeMember, api: httpx.AsyncClient
) -> None:
    member = await make_member()
    await portal.signed_in_as(member)
    await portal.page.click("nav >> text=Agent tokens")
    assert portal.page.url == portal.server.url(PAGE)
    assert await portal.page.get_attribute("nav >> text=Agent tokens", "aria-current") == "page"
    code = await _issue(portal, "Dana Reyes, Keller Realty")
    assert re.fullmatch(r"[A-Z0-9]{6}", code)
    assert "cannot be shown again" in await portal.page.inner_text(".token")
    assert await _is_valid(portal.server, member.account_id, code)
    await portal.screenshot("agent-tokens")

    await portal.goto(PAGE)  # what a later visit (or a reload by address) shows
    assert code not in await portal.page.content()
    assert await portal.page.locator("#new-code").count() == 0
    label, created, created_by, status, _ = await _row_cells(portal, "Dana Reyes")
    assert (label, created_by, status) == ("Dana Reyes, Keller Realty", member.email, "Active")
    assert created.endswith(" UTC")

    await portal.page.click("[aria-label='Revoke agent token Dana Reyes, Keller Realty']")
    assert await portal.page.inner_text("h1") == "Revoke “Dana Reyes, Keller Realty”?"
    assert "cannot be undone" in await portal.page.inner_text("main")
    assert await _is_valid(portal.server, member.account_id, code)  # nothing revoked yet
    response = await portal.submit("form.buttons")
    assert response.status == 303
    assert "Token revoked" in await portal.page.inner_text("[role=status]")
    assert (await _row_cells(portal, "Dana Reyes"))[3] == "Revoked"
    assert await portal.page.locator("[aria-label^='Revoke agent token']").count() == 0
    assert not await _is_valid(portal.server, member.account_id, code)

    _, token = await make_api_key(portal.server, member, "audit reader")
    audit = await api.get("/audit_log", params={"table": "agent_tokens"}, headers=bearer(token))
    assert [(e["action"], e["user_id"], e["api_key_id"], e["request_method"]) for e in audit.json()] == [
        ("INSERT", str(member.user_id), None, "POST"),
        ("UPDATE", str(member.user_id), None, "POST"),
    ]
    assert code not in audit.text
    await portal.goto("/portal/audit?table=agent_tokens")
    rows = portal.page.locator("table.audit tbody tr")
    assert await rows.count() == 2
    assert code not in await portal.page.content()
    assert code not in portal.server.log.read_text()


async def test_cancel_on_the_confirmation_keeps_the_token(portal: Portal, make_member: MakeMember) -> None:
    member = await make_member()
    _, code = await _token_elsewhere(portal.server, member, "kept")
    await portal.signed_in_as(member)
    await portal.goto(PAGE)
    await portal.page.click("[aria-label='Revoke agent token kept']")
    await portal.page.click("text=Cancel")
    assert portal.page.url == portal.server.url(f"{PAGE}?account={member.account_id}")
    assert (await _row_cells(portal, "kept"))[3] == "Active"
    assert await _is_valid(portal.server, member.account_id, code)


async def test_forms_without_their_csrf_token_change_nothing(portal: Portal, make_member: MakeMember) -> None:
    member = await make_member()
    token_id, code = await _token_elsewhere(portal.server, member, "kept")
    await portal.signed_in_as(member)
    await portal.goto(PAGE)

    await portal.page.fill("#token-label", "smuggled")
    await portal.page.evaluate("document.querySelector('#issue-token input[name=csrf_token]').remove()")
    response = await portal.submit("#issue-token form")
    assert response.status == 403
    assert "did not come from this site" in await portal.alert()

    revoke = portal.server.url(f"{PAGE}/{token_id}/revoke")
    forged = await portal.page.request.post(revoke, form={"csrf_token": "guessed"}, max_redirects=0)
    assert forged.status == 403
    hours = portal.server.url(f"{PAGE}/showing-hours")
    form: Form = {"account_id": str(member.account_id), "timezone": "UTC", "start": "01:00", "end": "02:00"}
    assert (await portal.page.request.post(hours, form=form, max_redirects=0)).status == 403
    assert await _tokens(portal.server, member.account_id) == [("kept", False)]
    assert await _is_valid(portal.server, member.account_id, code)
    assert await _settings(portal.server, member.account_id) == ("America/Chicago", "09:00", "18:00")


async def test_an_empty_label_is_refused(portal: Portal, make_member: MakeMember) -> None:
    member = await make_member()
    await portal.signed_in_as(member)
    await portal.goto(PAGE)
    await portal.page.fill("#token-label", "   ")
    response = await portal.submit("#issue-token form")
    assert response.status == 400
    assert "Give the token a label" in await portal.alert()
    assert await portal.page.locator("#new-code").count() == 0
    assert await _tokens(portal.server, member.account_id) == []


async def test_another_users_tokens_and_accounts_are_not_found(
    portal: Portal, make_member: MakeMember
) -> None:
    member, other = await make_member(), await make_member("other")
    theirs, code = await _token_elsewhere(portal.server, other, "theirs")
    await portal.signed_in_as(member)
    await portal.goto(PAGE)
    assert "theirs" not in await portal.page.inner_text("main")
    assert (await portal.goto(f"{PAGE}/{theirs}/revoke")).status == 404
    assert (await portal.goto(f"{PAGE}?account={other.account_id}")).status == 404
    assert (await portal.goto(f"{PAGE}?account=not-a-uuid")).status == 404

    csrf = await portal.page.input_value("form.logout input[name=csrf_token]")
    post = portal.page.request.post
    revoke = await post(
        portal.server.url(f"{PAGE}/{theirs}/revoke"), form={"csrf_token": csrf}, max_redirects=0
    )
    assert revoke.status == 404
    issue: Form = {"csrf_token": csrf, "account_id": str(other.account_id), "label": "smuggled"}
    assert (await post(portal.server.url(PAGE), form=issue, max_redirects=0)).status == 404
    hours: Form = {"csrf_token": csrf, "account_id": str(other.account_id), "timezone": "UTC"}
    hours |= {"start": "01:00", "end": "02:00"}
    assert (await post(portal.server.url(f"{PAGE}/showing-hours"), form=hours, max_redirects=0)).status == 404

    assert await _tokens(portal.server, other.account_id) == [("theirs", False)]
    assert await _is_valid(portal.server, other.account_id, code)
    assert await _settings(portal.server, other.account_id) == ("America/Chicago", "09:00", "18:00")


async def test_showing_hours_are_saved_and_audited(portal: Portal, make_member: MakeMember) -> None:
    member = await make_member()
    await portal.signed_in_as(member)
    await portal.goto(PAGE)
    assert await portal.page.input_value("#timezone") == "America/Chicago"
    assert await portal.page.input_value("#hours-start") == "09:00"
    await portal.page.fill("#timezone", "Europe/Paris")
    await portal.page.fill("#hours-start", "08:30")
    await portal.page.fill("#hours-end", "17:00")
    response = await portal.submit("#showing-hours form")
    assert response.status == 303
    assert "Showing hours saved" in await portal.page.inner_text("[role=status]")
    assert await portal.page.input_value("#timezone") == "Europe/Paris"
    assert await portal.page.input_value("#hours-end") == "17:00"
    assert await _settings(portal.server, member.account_id) == ("Europe/Paris", "08:30", "17:00")
    async with portal.server.runtime.db.transaction(writes=False) as session:
        [entry] = await session.scalars(select(AuditEntry).where(AuditEntry.account_id == member.account_id))
    assert (entry.table, entry.action, entry.user_id, entry.api_key_id) == (
        "accounts",
        "UPDATE",
        member.user_id,
        None,
    )
    assert entry.changes == {
        "showing_hours_end": ["18:00", "17:00"],
        "showing_hours_start": ["09:00", "08:30"],
        "timezone": ["America/Chicago", "Europe/Paris"],
    }


async def test_invalid_showing_hours_are_shown_back_and_change_nothing(
    portal: Portal, make_member: MakeMember
) -> None:
    member = await make_member()
    await portal.signed_in_as(member)
    await portal.goto(PAGE)
    await portal.page.fill("#timezone", "Mars/Olympus_Mons")
    await portal.page.fill("#hours-start", "18:00")
    await portal.page.fill("#hours-end", "09:00")
    response = await portal.submit("#showing-hours form")
    assert response.status == 400
    assert "were not saved" in await portal.alert()
    assert "Unknown time zone “Mars/Olympus_Mons”" in await portal.page.inner_text("#timezone-error")
    assert "must end after they start" in await portal.page.inner_text("#end-error")
    assert await portal.page.get_attribute("#timezone", "aria-invalid") == "true"
    assert await portal.page.input_value("#timezone") == "Mars/Olympus_Mons"
    assert await _settings(portal.server, member.account_id) == ("America/Chicago", "09:00", "18:00")
    async with portal.server.runtime.db.transaction(writes=False) as session:
        written = await session.scalars(
            select(AuditEntry.id).where(AuditEntry.account_id == member.account_id)
        )
        assert list(written) == []


async def test_each_account_has_its_own_tokens_without_javascript(
    open_portal: OpenPortal, make_member: MakeMember
) -> None:
    portal = await open_portal(javascript=False)
    member = await make_member(accounts=2)
    first, second = member.account_ids
    by_cli = await portal.server.cli(
        "agent-tokens", "issue", "--account", str(first), "--label", "by the operator"
    )
    assert by_cli.returncode == 0, by_cli.stderr
    await portal.signed_in_as(member)
    await portal.goto(PAGE)
    await portal.page.select_option("#account-choice", str(second))
    await portal.page.click("#choose-account button[type=submit]")
    await portal.page.wait_for_load_state()
    assert portal.page.url == portal.server.url(f"{PAGE}?account={second}")
    assert "by the operator" not in await portal.page.inner_text("main")
    code = await _issue(portal, "second account's agent")
    assert await _is_valid(portal.server, second, code)
    assert not await _is_valid(portal.server, first, code)
    assert await _tokens(portal.server, second) == [("second account's agent", False)]

    await portal.goto(f"{PAGE}?account={first}")
    assert "second account's agent" not in await portal.page.inner_text("main")
    assert (await _row_cells(portal, "by the operator"))[2] == "CLI"
    async with portal.server.runtime.db.transaction(writes=False) as session:
        stored = await session.scalar(select(AgentToken).where(AgentToken.account_id == first))
    assert stored is not None
    assert stored.created_by is None
