"""`rentengine agent-tokens issue|list|revoke` and `rentengine accounts settings`, run as real processes
against fresh SQLite and PostgreSQL databases: the code alone on stdout once, the writes audited as the
CLI's, one-line reasons on stderr."""

import re
import uuid

import pytest

from rentengine.agents import service
from rentengine.auth.models import Account
from tests.auth.support import all_text
from tests.test_cli import (
    UNKNOWN,
    _at_most_three,
    api,
    assert_refused,
    cli,
    fresh_url,  # noqa: F401 - a fixture
    fresh_urls,  # noqa: F401 - a fixture
    only_uuid,
)

pytestmark = pytest.mark.slow


async def _account_with_key(url: str) -> tuple[str, dict[str, str]]:
    """A new account, and the headers of a member's API key (to read its audit log)."""
    account = str(only_uuid(await cli(url, "accounts", "create", "Acme Rentals")))
    only_uuid(await cli(url, "users", "create", "pm@example.com", "--account", account))
    created = await cli(url, "keys", "create", "--user", "pm@example.com", "--name", "audit")
    assert created.returncode == 0, created.stderr
    return account, {"Authorization": f"Bearer {created.stdout.strip()}"}


async def _lines(url: str, *args: str) -> list[list[str]]:
    result = await cli(url, *args)
    assert result.returncode == 0, result.stderr
    return [line.split("\t") for line in result.stdout.splitlines()]


async def test_issue_list_and_revoke_end_to_end(fresh_url: str) -> None:  # noqa: F811
    account, headers = await _account_with_key(fresh_url)
    issued = await cli(fresh_url, "agent-tokens", "issue", "--account", account, "--label", "Dana Reyes")
    assert issued.returncode == 0, issued.stderr
    assert re.fullmatch(r"[A-Z0-9]{6}\n", issued.stdout)
    code = issued.stdout.strip()
    assert "not shown again" in issued.stderr
    assert code not in issued.stderr

    [[token_id, label, created_at, created_by, status]] = await _lines(
        fresh_url, "agent-tokens", "list", "--account", account
    )
    assert token_id in issued.stderr
    assert (label, created_by, status) == ("Dana Reyes", "-", "active")
    assert created_at.startswith("20")
    async with api(fresh_url) as (_, runtime), runtime.db.transaction(writes=False) as session:
        assert await service.is_valid(session, uuid.UUID(account), code)

    revoked = await cli(fresh_url, "agent-tokens", "revoke", token_id)
    assert (revoked.returncode, revoked.stdout) == (0, "")
    assert f"agent token {token_id} was revoked" in revoked.stderr
    again = await cli(fresh_url, "agent-tokens", "revoke", token_id)
    assert (again.returncode, again.stdout) == (0, "")
    assert "already revoked" in again.stderr
    assert [line[4] for line in await _lines(fresh_url, "agent-tokens", "list", "--account", account)] == [
        "revoked"
    ]

    async with api(fresh_url) as (client, runtime):
        async with runtime.db.transaction(writes=False) as session:
            assert not await service.is_valid(session, uuid.UUID(account), code)
        audit = await client.get("/audit_log", params={"table": "agent_tokens"}, headers=headers)
        assert [
            (
                e["action"],
                e["record_id"],
                e["user_id"],
                e["api_key_id"],
                e["request_method"],
                e["request_path"],
            )
            for e in audit.json()
        ] == [
            ("INSERT", token_id, None, None, "CLI", "rentengine agent-tokens issue"),
            ("UPDATE", token_id, None, None, "CLI", "rentengine agent-tokens revoke"),
        ]
        assert code not in audit.text
        assert code not in await all_text(runtime)


async def test_agent_token_refusals(fresh_url: str) -> None:  # noqa: F811
    account = str(only_uuid(await cli(fresh_url, "accounts", "create", "Acme Rentals")))
    refusals: list[tuple[tuple[str, ...], str]] = [
        (("agent-tokens", "issue", "--account", UNKNOWN, "--label", "x"), f"no such account: {UNKNOWN}"),
        (("agent-tokens", "issue", "--account", account, "--label", "  "), "Give the token a label"),
        (("agent-tokens", "issue", "--account", account, "--label", "x" * 201), "at most 200 characters"),
        (("agent-tokens", "issue", "--account", "acme", "--label", "x"), "'acme' is not a valid UUID"),
        (("agent-tokens", "issue", "--account", account), "Missing option '--label'"),
        (("agent-tokens", "list", "--account", UNKNOWN), f"no such account: {UNKNOWN}"),
        (("agent-tokens", "revoke", UNKNOWN), f"no agent token {UNKNOWN}"),
        (("agent-tokens", "revoke", "42"), "'42' is not a valid UUID"),
    ]
    results = await _at_most_three(cli(fresh_url, *args) for args, _ in refusals)
    for (_, message), result in zip(refusals, results, strict=True):
        assert_refused(result, message)
    assert await _lines(fresh_url, "agent-tokens", "list", "--account", account) == []


async def test_showing_settings_are_printed_and_changed(fresh_url: str) -> None:  # noqa: F811
    account, headers = await _account_with_key(fresh_url)
    settings = ("accounts", "settings", account)
    assert await _lines(fresh_url, *settings) == [
        ["timezone", "America/Chicago"],
        ["showing_hours", "09:00-18:00"],
    ]

    changed = await cli(fresh_url, *settings, "--timezone", "Europe/Paris", "--showing-hours", "8:30-17:00")
    assert changed.returncode == 0, changed.stderr
    assert changed.stdout == "timezone\tEurope/Paris\nshowing_hours\t08:30-17:00\n"
    assert f"showing settings of account {account} changed" in changed.stderr
    hours_only = await cli(fresh_url, *settings, "--showing-hours", "10:00-17:00")
    assert hours_only.stdout == "timezone\tEurope/Paris\nshowing_hours\t10:00-17:00\n"
    same = await cli(fresh_url, *settings, "--timezone", "Europe/Paris")
    assert (same.returncode, same.stdout) == (0, hours_only.stdout)
    assert "nothing to change" in same.stderr

    async with api(fresh_url) as (client, runtime):
        async with runtime.db.transaction(writes=False) as session:
            stored = await session.get(Account, uuid.UUID(account))
        assert stored is not None
        assert (stored.timezone, stored.showing_hours_start, stored.showing_hours_end) == (
            "Europe/Paris",
            "10:00",
            "17:00",
        )
        audit = (await client.get("/audit_log", params={"table": "accounts"}, headers=headers)).json()
    assert [(e["action"], e["record_id"], e["user_id"], e["api_key_id"], e["changes"]) for e in audit] == [
        (
            "UPDATE",
            account,
            None,
            None,
            {
                "showing_hours_end": ["18:00", "17:00"],
                "showing_hours_start": ["09:00", "08:30"],
                "timezone": ["America/Chicago", "Europe/Paris"],
            },
        ),
        ("UPDATE", account, None, None, {"showing_hours_start": ["08:30", "10:00"]}),
    ]
    assert {e["request_path"] for e in audit} == {"rentengine accounts settings"}


async def test_showing_settings_refusals_change_nothing(fresh_url: str) -> None:  # noqa: F811
    account = str(only_uuid(await cli(fresh_url, "accounts", "create", "Acme Rentals")))
    settings = ("accounts", "settings", account)
    refusals: list[tuple[tuple[str, ...], str]] = [
        (("accounts", "settings", UNKNOWN), f"no such account: {UNKNOWN}"),
        (("accounts", "settings", UNKNOWN, "--timezone", "UTC"), f"no such account: {UNKNOWN}"),
        (("accounts", "settings", "acme"), "'acme' is not a valid UUID"),
        ((*settings, "--timezone", "Mars/Olympus_Mons"), "Unknown time zone “Mars/Olympus_Mons”"),
        ((*settings, "--showing-hours", "0900"), "--showing-hours: give START-END"),
        ((*settings, "--showing-hours", "09:00-12:00-18:00"), "--showing-hours: give START-END"),
        ((*settings, "--showing-hours", "18:00-09:00"), "must end after they start"),
        ((*settings, "--showing-hours", "9am-5pm"), "must be a time such as 09:00"),
        ((*settings, "--timezone", "UTC", "--showing-hours", "25:00-26:00"), "a time such as 18:00"),
    ]
    results = await _at_most_three(cli(fresh_url, *args) for args, _ in refusals)
    for (_, message), result in zip(refusals, results, strict=True):
        assert_refused(result, message)
    assert await _lines(fresh_url, *settings) == [
        ["timezone", "America/Chicago"],
        ["showing_hours", "09:00-18:00"],
    ]
