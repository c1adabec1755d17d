"""`rentengine agent-tokens issue|list|revoke` and `rentengine accounts settings`.

As everywhere in the CLI: machine-readable output alone on stdout (an issued code appears there
once and nowhere else), human messages on stderr, and one line on stderr with a non-zero exit when
something is refused. The operator acts on every account; the audit log records their writes with
no user and no API key, as `CLI` requests.
"""

import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.agents import service
from rentengine.agents.service import AgentTokenRefused
from rentengine.agents.showing_settings import (
    SettingsRefused,
    ShowingSettings,
    change_settings,
    checked,
    settings_of,
    visible_account,
)
from rentengine.auth.access import Operator
from rentengine.changes.types import Actor
from rentengine.errors import NotFound

T = TypeVar("T")


def _run(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    # Imported when a command runs: rentengine.cli imports this module to register its commands.
    from rentengine.cli import in_transaction

    return in_transaction(work)


def _operator(command: str) -> Actor:
    return Actor(user_id=None, request_method="CLI", request_path=f"rentengine {command}")


@contextmanager
def _refusals(not_found: str) -> Iterator[None]:
    """The rules' refusals as one-line CLI errors."""
    try:
        yield
    except (AgentTokenRefused, SettingsRefused) as exc:
        raise click.ClickException(str(exc)) from None
    except NotFound:
        raise click.ClickException(not_found) from None


@click.group("agent-tokens")
def agent_tokens() -> None:
    """Manage agent tokens: the codes buyers' agents book showings with, without prescreening."""


@agent_tokens.command("issue")
@click.option("--account", "account_id", required=True, type=click.UUID)
@click.option("--label", required=True, help="Whom the token is for, e.g. the agent or the brokerage.")
def issue_token(account_id: uuid.UUID, label: str) -> None:
    """Issue a token for an account; prints its code alone (it is shown only this once)."""

    async def work(session: AsyncSession) -> tuple[uuid.UUID, str, str]:
        with _refusals(f"no such account: {account_id}"):
            token, code = await service.issue_recorded(
                session, Operator(), _operator("agent-tokens issue"), account_id, label
            )
        return token.id, token.label, code

    token_id, saved_label, code = _run(work)
    click.echo(f"issued agent token {token_id} ({saved_label}); the code is not shown again", err=True)
    click.echo(code)


@agent_tokens.command("list")
@click.option("--account", "account_id", required=True, type=click.UUID)
def list_tokens(account_id: uuid.UUID) -> None:
    """List an account's tokens, newest first: id, label, created, created by, status (tab-separated).

    "Created by" is the portal user's email, or "-" for a token issued here.
    """

    async def work(session: AsyncSession) -> list[str]:
        with _refusals(f"no such account: {account_id}"):
            await visible_account(session, Operator(), account_id)
        tokens = await service.list_tokens(session, [account_id])
        issuers = await service.issuer_emails(session, tokens)
        return [
            "\t".join(
                [
                    str(token.id),
                    token.label,
                    token.created_at.isoformat(),
                    issuers.get(token.created_by, str(token.created_by)) if token.created_by else "-",
                    "revoked" if token.revoked_at else "active",
                ]
            )
            for token in tokens
        ]

    for line in _run(work):
        click.echo(line)


@agent_tokens.command("revoke")
@click.argument("token_id", type=click.UUID)
def revoke_token(token_id: uuid.UUID) -> None:
    """Revoke a token, irreversibly: showings booked with its code are refused from now on."""

    async def work(session: AsyncSession) -> bool:
        with _refusals(f"no agent token {token_id}"):
            already = (await service.visible_token(session, Operator(), token_id)).revoked_at is not None
            await service.revoke_recorded(session, Operator(), _operator("agent-tokens revoke"), token_id)
        return already

    already = _run(work)
    click.echo(f"agent token {token_id} was {'already ' if already else ''}revoked", err=True)


def _wanted(current: ShowingSettings, timezone: str | None, showing_hours: str | None) -> ShowingSettings:
    """The current settings with the options' changes, checked."""
    start, end = current.start, current.end
    if showing_hours is not None:
        parts = showing_hours.split("-")
        if len(parts) != 2:
            raise click.ClickException(
                f"--showing-hours: give START-END (e.g. 09:00-18:00), not {showing_hours}"
            )
        start, end = parts
    with _refusals(""):
        return checked(current.timezone if timezone is None else timezone, start, end)


@click.command("settings")
@click.argument("account_id", type=click.UUID)
@click.option("--timezone", default=None, help="The account's IANA time zone, e.g. America/Chicago.")
@click.option(
    "--showing-hours", default=None, metavar="START-END", help="Local times, e.g. 09:00-18:00 (every day)."
)
def account_settings(account_id: uuid.UUID, timezone: str | None, showing_hours: str | None) -> None:
    """Print an account's showing settings (tab-separated); with options, change them first."""

    async def work(session: AsyncSession) -> tuple[ShowingSettings, bool]:
        with _refusals(f"no such account: {account_id}"):
            current = settings_of(await visible_account(session, Operator(), account_id))
        if timezone is None and showing_hours is None:
            return current, False
        wanted = _wanted(current, timezone, showing_hours)
        actor = _operator("accounts settings")
        return await change_settings(session, Operator(), actor, account_id, wanted), wanted != current

    settings, changed = _run(work)
    if timezone is not None or showing_hours is not None:
        outcome = "changed" if changed else "kept (nothing to change)"
        click.echo(f"showing settings of account {account_id} {outcome}", err=True)
    click.echo(f"timezone\t{settings.timezone}")
    click.echo(f"showing_hours\t{settings.hours}")
