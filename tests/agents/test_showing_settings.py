"""An account's showing settings: the checks, and changes recorded in the audit log (both backends)."""

import uuid

import httpx
import pytest
from sqlalchemy import select

from rentengine.agents.showing_settings import (
    SettingsRefused,
    ShowingSettings,
    change_settings,
    checked,
    visible_account,
)
from rentengine.audit.models import AuditEntry
from rentengine.auth.models import Account
from rentengine.auth.service import Principal
from rentengine.changes.types import Actor
from rentengine.errors import NotFound
from rentengine.runtime import Runtime
from tests.factories import Tenant, make_tenant


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        (("America/Chicago", "09:00", "18:00"), ShowingSettings("America/Chicago", "09:00", "18:00")),
        ((" Europe/Paris ", "8:30", "17:05"), ShowingSettings("Europe/Paris", "08:30", "17:05")),
        (("UTC", "00:00", "23:59"), ShowingSettings("UTC", "00:00", "23:59")),
    ],
)
def test_settings_are_stored_in_their_usual_form(sent: tuple[str, str, str], stored: ShowingSettings) -> None:
    assert checked(*sent) == stored


@pytest.mark.parametrize(
    ("sent", "errors"),
    [
        (("Mars/Olympus_Mons", "09:00", "18:00"), {"timezone": "Unknown time zone “Mars/Olympus_Mons”"}),
        (("", "09:00", "18:00"), {"timezone": "Choose a time zone"}),
        (("america/chicago", "09:00", "18:00"), {"timezone": "Unknown time zone"}),
        (("UTC", "9", "18:00"), {"start": "a time such as 09:00"}),
        (("UTC", "24:00", "18:00"), {"start": "a time such as 09:00"}),
        (("UTC", "09:00", "18:60"), {"end": "a time such as 18:00"}),
        (("UTC", "09:00:00", "18:00"), {"start": "a time such as 09:00"}),
        (("UTC", "18:00", "09:00"), {"end": "must end after they start"}),
        (("UTC", "09:00", "09:00"), {"end": "must end after they start"}),
        (("Nowhere", "x", "y"), {"timezone": "Unknown", "start": "09:00", "end": "18:00"}),
    ],
)
def test_refusals_name_each_wrong_field(sent: tuple[str, str, str], errors: dict[str, str]) -> None:
    with pytest.raises(SettingsRefused) as refused:
        checked(*sent)
    assert set(refused.value.errors) == set(errors)
    for field, words in errors.items():
        assert words in refused.value.errors[field]


def _caller(tenant: Tenant) -> Principal:
    return Principal(tenant.user_id, None, frozenset([tenant.account_id]))


def _actor(tenant: Tenant) -> Actor:
    return Actor(
        user_id=tenant.user_id, request_method="POST", request_path="/portal/agent-tokens/showing-hours"
    )


async def _account(runtime: Runtime, account_id: uuid.UUID) -> Account:
    async with runtime.db.transaction(writes=False) as session:
        account = await session.get(Account, account_id)
    assert account is not None
    return account


async def _change(runtime: Runtime, tenant: Tenant, wanted: ShowingSettings) -> ShowingSettings:
    async with runtime.db.transaction() as session:
        return await change_settings(session, _caller(tenant), _actor(tenant), tenant.account_id, wanted)


async def test_a_new_account_shows_from_nine_to_six_in_chicago(runtime: Runtime, tenant: Tenant) -> None:
    account = await _account(runtime, tenant.account_id)
    assert (account.timezone, account.showing_hours_start, account.showing_hours_end) == (
        "America/Chicago",
        "09:00",
        "18:00",
    )


async def test_a_change_is_stored_and_audited(
    runtime: Runtime, tenant: Tenant, client: httpx.AsyncClient
) -> None:
    wanted = ShowingSettings("Europe/Paris", "08:30", "18:00")
    assert await _change(runtime, tenant, wanted) == wanted
    assert await _change(runtime, tenant, wanted) == wanted  # the same again: nothing to record
    account = await _account(runtime, tenant.account_id)
    assert (account.timezone, account.showing_hours_start, account.showing_hours_end) == (
        "Europe/Paris",
        "08:30",
        "18:00",
    )
    response = await client.get("/audit_log", params={"table": "accounts"}, headers=tenant.headers)
    [entry] = response.json()
    assert (entry["action"], entry["record_id"], entry["user_id"], entry["api_key_id"]) == (
        "UPDATE",
        str(tenant.account_id),
        str(tenant.user_id),
        None,
    )
    assert entry["changes"] == {
        "showing_hours_start": ["09:00", "08:30"],
        "timezone": ["America/Chicago", "Europe/Paris"],
    }


async def test_another_users_account_is_not_found(runtime: Runtime, tenant: Tenant) -> None:
    other = await make_tenant(runtime)
    async with runtime.db.transaction() as session:
        with pytest.raises(NotFound):
            await visible_account(session, _caller(tenant), other.account_id)
        with pytest.raises(NotFound):
            await change_settings(
                session,
                _caller(tenant),
                _actor(tenant),
                other.account_id,
                ShowingSettings("UTC", "01:00", "02:00"),
            )
    assert (await _account(runtime, other.account_id)).timezone == "America/Chicago"
    async with runtime.db.transaction(writes=False) as session:
        written = await session.scalars(
            select(AuditEntry.id).where(AuditEntry.account_id == other.account_id)
        )
        assert list(written) == []
