"""Agent tokens' rules on both backends: codes, their check, issue and revoke with their audit entries."""

import re
import uuid
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select

from rentengine.agents import service
from rentengine.agents.models import AgentToken
from rentengine.agents.service import AgentTokenRefused
from rentengine.audit.models import AuditEntry
from rentengine.auth.access import Operator
from rentengine.auth.service import Principal
from rentengine.changes.types import Actor
from rentengine.errors import Forbidden, NotFound
from rentengine.runtime import Runtime
from tests.factories import Tenant, make_tenant


def _caller(tenant: Tenant) -> Principal:
    return Principal(tenant.user_id, None, frozenset([tenant.account_id, *tenant.other_account_ids]))


def _actor(tenant: Tenant) -> Actor:
    return Actor(user_id=tenant.user_id, request_method="POST", request_path="/portal/agent-tokens")


async def _issue(runtime: Runtime, tenant: Tenant, label: str = "Dana Reyes") -> tuple[AgentToken, str]:
    async with runtime.db.transaction() as session:
        return await service.issue_recorded(
            session, _caller(tenant), _actor(tenant), tenant.account_id, label
        )


async def _is_valid(runtime: Runtime, account_id: uuid.UUID, code: str) -> bool:
    async with runtime.db.transaction(writes=False) as session:
        return await service.is_valid(session, account_id, code)


async def _entries(runtime: Runtime, account_id: uuid.UUID) -> list[AuditEntry]:
    async with runtime.db.transaction(writes=False) as session:
        found = await session.scalars(
            select(AuditEntry)
            .where(AuditEntry.account_id == account_id, AuditEntry.table == "agent_tokens")
            .order_by(AuditEntry.id)
        )
        return list(found)


def test_codes_are_six_capitals_or_digits() -> None:
    codes = {service.new_code() for _ in range(200)}
    assert all(re.fullmatch(r"[A-Z0-9]{6}", code) for code in codes)
    assert len(codes) > 190  # drawn at random, not from a short list


async def test_a_code_is_valid_for_its_account_until_revoked(runtime: Runtime, tenant: Tenant) -> None:
    token, code = await _issue(runtime, tenant)
    other = await make_tenant(runtime)
    assert await _is_valid(runtime, tenant.account_id, code)
    assert not await _is_valid(runtime, other.account_id, code)
    async with runtime.db.transaction() as session:
        await service.revoke_recorded(session, _caller(tenant), _actor(tenant), token.id)
    assert not await _is_valid(runtime, tenant.account_id, code)


@pytest.mark.parametrize(
    "malformed", ["", "ABC12", "ABCDEFG", "abc123", "ABC 12", "ÄBC123", "ABC12\n", "ABC-12"]
)
async def test_malformed_codes_are_never_valid(runtime: Runtime, tenant: Tenant, malformed: str) -> None:
    await _issue(runtime, tenant)
    assert not await _is_valid(runtime, tenant.account_id, malformed)


async def test_a_code_in_the_wrong_case_is_not_valid(runtime: Runtime, tenant: Tenant) -> None:
    _, code = await _issue(runtime, tenant)
    if code.lower() != code:
        assert not await _is_valid(runtime, tenant.account_id, code.lower())


@pytest.fixture
def drawn_codes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The codes `new_code` draws next, in order (append to it before issuing)."""
    queue: list[str] = []
    monkeypatch.setattr(service, "new_code", lambda: queue.pop(0))
    yield queue
    assert queue == []


async def test_issue_never_repeats_a_code_of_the_account(
    runtime: Runtime, tenant: Tenant, drawn_codes: list[str]
) -> None:
    drawn_codes.append("AAAAAA")
    first, _ = await _issue(runtime, tenant, "first")
    async with runtime.db.transaction() as session:
        await service.revoke(session, [tenant.account_id], first.id)
    # Drawn again while it exists (revoked tokens keep their codes), so drawn anew until unused.
    drawn_codes.extend(["AAAAAA", "AAAAAA", "BBBBBB"])
    _, code = await _issue(runtime, tenant, "second")
    assert code == "BBBBBB"
    other = await make_tenant(runtime)
    drawn_codes.append("AAAAAA")  # another account may hold the same code
    _, elsewhere = await _issue(runtime, other, "elsewhere")
    assert elsewhere == "AAAAAA"
    assert await _is_valid(runtime, other.account_id, "AAAAAA")
    assert not await _is_valid(runtime, tenant.account_id, "AAAAAA")


async def test_issue_and_revoke_are_audited_without_the_code(
    runtime: Runtime, tenant: Tenant, client: httpx.AsyncClient
) -> None:
    token, code = await _issue(runtime, tenant, "Keller Realty")
    async with runtime.db.transaction() as session:
        await service.revoke_recorded(session, _caller(tenant), _actor(tenant), token.id)
        await service.revoke_recorded(session, _caller(tenant), _actor(tenant), token.id)  # changes nothing

    inserted, revoked = await _entries(runtime, tenant.account_id)
    assert (inserted.action, inserted.record_id, inserted.changes) == ("INSERT", str(token.id), None)
    assert revoked.action == "UPDATE"
    assert revoked.changes is not None
    assert list(revoked.changes) == ["revoked_at"]
    assert revoked.changes["revoked_at"][0] is None
    response = await client.get("/audit_log", params={"table": "agent_tokens"}, headers=tenant.headers)
    assert response.status_code == 200
    assert [
        (e["action"], e["user_id"], e["api_key_id"], e["request_method"], e["request_path"])
        for e in response.json()
    ] == [
        ("INSERT", str(tenant.user_id), None, "POST", "/portal/agent-tokens"),
        ("UPDATE", str(tenant.user_id), None, "POST", "/portal/agent-tokens"),
    ]
    assert code not in response.text
    async with runtime.db.transaction(writes=False) as session:
        stored = await session.get(AgentToken, token.id)
    assert stored is not None
    assert (stored.created_by, stored.label, stored.code_digest != code) == (
        tenant.user_id,
        "Keller Realty",
        True,
    )


@pytest.mark.parametrize("label", ["", "   ", "x" * 201])
async def test_a_missing_or_long_label_is_refused(runtime: Runtime, tenant: Tenant, label: str) -> None:
    with pytest.raises(AgentTokenRefused, match="Give the token a label"):
        await _issue(runtime, tenant, label)
    assert await _entries(runtime, tenant.account_id) == []


async def test_the_label_is_kept_trimmed(runtime: Runtime, tenant: Tenant) -> None:
    token, _ = await _issue(runtime, tenant, "  Dana Reyes  ")
    assert token.label == "Dana Reyes"


async def test_accounts_of_others_are_refused(runtime: Runtime, tenant: Tenant) -> None:
    other = await make_tenant(runtime)
    async with runtime.db.transaction() as session:
        with pytest.raises(Forbidden):
            await service.issue_recorded(session, _caller(tenant), _actor(tenant), other.account_id, "x")
    theirs, code = await _issue(runtime, other)
    async with runtime.db.transaction() as session:
        with pytest.raises(NotFound):
            await service.revoke_recorded(session, _caller(tenant), _actor(tenant), theirs.id)
        with pytest.raises(NotFound):
            await service.visible_token(session, _caller(tenant), theirs.id)
    assert await _is_valid(runtime, other.account_id, code)
    assert len(await _entries(runtime, other.account_id)) == 1


async def test_the_operator_acts_on_every_existing_account(runtime: Runtime, tenant: Tenant) -> None:
    operator = Actor(user_id=None, request_method="CLI", request_path="rentengine agent-tokens issue")
    async with runtime.db.transaction() as session:
        token, code = await service.issue_recorded(session, Operator(), operator, tenant.account_id, "cli")
        with pytest.raises(NotFound):
            await service.issue_recorded(session, Operator(), operator, uuid.uuid4(), "nowhere")
        with pytest.raises(NotFound):
            await service.revoke_recorded(session, Operator(), operator, uuid.uuid4())
    assert token.created_by is None
    assert await _is_valid(runtime, tenant.account_id, code)
    [entry] = await _entries(runtime, tenant.account_id)
    assert (entry.user_id, entry.api_key_id, entry.request_method) == (None, None, "CLI")


async def test_tokens_are_listed_newest_first_with_their_issuers(runtime: Runtime, tenant: Tenant) -> None:
    first, _ = await _issue(runtime, tenant, "first")
    second, _ = await _issue(runtime, tenant, "second")
    async with runtime.db.transaction(writes=False) as session:
        tokens = await service.list_tokens(session, [tenant.account_id])
        emails = await service.issuer_emails(session, tokens)
    assert [t.id for t in tokens] == [second.id, first.id]
    assert emails == {tenant.user_id: tenant.email}
