"""Agent tokens page, per account: issue (code shown once), list, revoke (with confirmation), and the
showing hours and time zone in which agents book.

The rules live in `agents.service` and `agents.showing_settings`, which the CLI uses too: the page
calls them with the signed-in user's accounts as the caller and the user as the actor, so every
change lands in the audit log. A token or account of someone else's is answered 404.
"""

import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from rentengine.agents import service
from rentengine.agents.models import AgentToken
from rentengine.agents.service import AgentTokenRefused
from rentengine.agents.showing_settings import (
    SettingsRefused,
    ShowingSettings,
    change_settings,
    checked,
    settings_of,
    time_zones,
    visible_account,
)
from rentengine.errors import NotFound
from rentengine.portal.pages import Page, PortalPage, redirect
from rentengine.portal.webhooks import account_names, caller_of

router = APIRouter()

SECTION = "agent_tokens"
NOTICES = {
    "revoked": "Token revoked: showings booked with its code are refused from now on.",
    "saved": "Showing hours saved.",
}


@dataclass(frozen=True)
class TokenRow:
    """A token as the page lists it: never its code."""

    id: uuid.UUID
    label: str
    created: str
    created_at: str
    created_by: str
    revoked: bool


def _issuer(token: AgentToken, emails: dict[uuid.UUID, str]) -> str:
    if token.created_by is None:
        return "CLI"  # tokens issued by the operator on the command line have no portal user
    return emails.get(token.created_by, "a deleted user")


async def _token_rows(page: Page, account_id: uuid.UUID) -> list[TokenRow]:
    tokens = await service.list_tokens(page.session, [account_id])
    emails = await service.issuer_emails(page.session, tokens)
    return [
        TokenRow(
            id=token.id,
            label=token.label,
            created=token.created_at.strftime("%Y-%m-%d %H:%M UTC"),
            created_at=token.created_at.isoformat(),
            created_by=_issuer(token, emails),
            revoked=token.revoked_at is not None,
        )
        for token in tokens
    ]


def _link(account_id: uuid.UUID, notice: str) -> str:
    return f"/portal/agent-tokens?account={account_id}&notice={notice}"


async def _render(
    page: Page,
    account_id: uuid.UUID | None,
    status: int = 200,
    hours: ShowingSettings | None = None,
    **extra: Any,
) -> HTMLResponse:
    """The page for one of the user's accounts; `hours` shows a refused settings form back as sent."""
    accounts = await account_names(page)
    context: dict[str, Any] = {"section": SECTION, "accounts": accounts, "account_id": account_id}
    if account_id is not None:
        account = await visible_account(page.session, caller_of(page), account_id)
        context |= {
            "account_name": account.name,
            "tokens": await _token_rows(page, account_id),
            "hours": hours or settings_of(account),
            "time_zones": sorted(time_zones()),
        }
    return page.render("agent_tokens.html", status, **context, **extra)


def _not_found(page: Page, what: str) -> HTMLResponse:
    return page.render("error.html", 404, message=f"No such {what}.", section=SECTION)


def _account_of(page: Page, raw: str | None) -> uuid.UUID | None:
    """The user's account named by a form or query value; None when it is not one of theirs."""
    try:
        account_id = uuid.UUID(raw or "")
    except ValueError:
        return None
    return account_id if account_id in page.user.account_ids else None


@router.get("/agent-tokens", response_class=HTMLResponse)
async def agent_tokens_page(page: PortalPage, account: str = "", notice: str = "") -> HTMLResponse:
    if account:
        chosen = _account_of(page, account)
        if chosen is None:
            return _not_found(page, "account")
    else:
        chosen = next(iter(await account_names(page)), None)
    return await _render(page, chosen, notice=NOTICES.get(notice))


@router.post("/agent-tokens", response_class=HTMLResponse)
async def issue_token(page: PortalPage) -> HTMLResponse:
    form = await page.check_csrf()
    account_id = _account_of(page, form.get("account_id"))
    if account_id is None:
        return _not_found(page, "account")
    label = form.get("label", "")
    try:
        token, code = await service.issue_recorded(
            page.session, caller_of(page), page.actor, account_id, label
        )
    except AgentTokenRefused as exc:
        return await _render(page, account_id, 400, error=str(exc), label=label)
    # The code exists only in this response: only its digest is stored, and the page is not cached.
    return await _render(page, account_id, 201, new_token=token, new_code=code)


async def _visible_token(page: Page, token_id: uuid.UUID) -> AgentToken | None:
    try:
        return await service.visible_token(page.session, caller_of(page), token_id)
    except NotFound:
        return None


@router.get("/agent-tokens/{token_id}/revoke", response_class=HTMLResponse)
async def confirm_revoke(page: PortalPage, token_id: uuid.UUID) -> HTMLResponse:
    token = await _visible_token(page, token_id)
    if token is None:
        return _not_found(page, "agent token")
    accounts = await account_names(page)
    return page.render(
        "agent_tokens_revoke.html", section=SECTION, token=token, account_name=accounts[token.account_id]
    )


@router.post("/agent-tokens/{token_id}/revoke", response_model=None)
async def revoke_token(page: PortalPage, token_id: uuid.UUID) -> Response:
    await page.check_csrf()
    try:
        token = await service.revoke_recorded(page.session, caller_of(page), page.actor, token_id)
    except NotFound:
        return _not_found(page, "agent token")
    return redirect(_link(token.account_id, "revoked"))


@router.post("/agent-tokens/showing-hours", response_model=None)
async def save_showing_hours(page: PortalPage) -> Response:
    form = await page.check_csrf()
    account_id = _account_of(page, form.get("account_id"))
    if account_id is None:
        return _not_found(page, "account")
    sent = ShowingSettings(form.get("timezone", ""), form.get("start", ""), form.get("end", ""))
    try:
        wanted = checked(sent.timezone, sent.start, sent.end)
        await change_settings(page.session, caller_of(page), page.actor, account_id, wanted)
    except SettingsRefused as exc:
        return await _render(page, account_id, 400, hours=sent, hour_errors=exc.errors)
    except NotFound:
        return _not_found(page, "account")
    return redirect(_link(account_id, "saved"))
