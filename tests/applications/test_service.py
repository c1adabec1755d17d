"""The platform's writes of rental application groups (`applications.service`): the rules, the record
and its audit entry."""

from datetime import UTC, datetime

import httpx
import pytest

from rentengine.applications import service
from rentengine.errors import NotFound
from rentengine.runtime import Runtime
from tests.applications.factories import PLATFORM, make_group
from tests.factories import Tenant, make_prospect_row, make_tenant, make_unit_row


async def test_an_update_changes_the_given_fields_and_stamps_submission(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    unit = await make_unit_row(runtime, tenant.account_id)
    lead = await make_prospect_row(runtime, tenant.account_id, unit)
    created = await make_group(runtime, tenant.account_id, unit)
    async with runtime.db.transaction() as session:
        updated = await service.update_group(
            session, PLATFORM, created["id"], {"status": "Submitted", "lead_prospect_id": lead}
        )
    assert (updated["status"], updated["lead_prospect_id"]) == ("Submitted", lead)
    assert updated["submitted_at"] == updated["updated_at"]
    assert updated["updated_at"] >= created["updated_at"]
    assert updated["created_at"] == created["created_at"]
    [listed] = (await client.get("/rental_application_groups", headers=tenant.headers)).json()
    assert listed == updated

    audit = (
        await client.get("/audit_log", params={"record_id": str(created["id"])}, headers=tenant.headers)
    ).json()
    entries = [e for e in audit if e["table"] == "rental_application_groups"]
    assert [e["action"] for e in entries] == ["INSERT", "UPDATE"]
    # A platform write has no user and no key.
    assert {(e["user_id"], e["api_key_id"]) for e in entries} == {(None, None)}
    assert entries[1]["changes"] == {
        "lead_prospect_id": [None, lead],
        "status": ["In Progress", "Submitted"],
        "submitted_at": [None, updated["submitted_at"]],
    }


async def test_a_given_submission_time_is_kept(runtime: Runtime, tenant: Tenant) -> None:
    unit = await make_unit_row(runtime, tenant.account_id)
    at = datetime(2024, 10, 7, 16, 22, 41, 118402, tzinfo=UTC)
    group = await make_group(runtime, tenant.account_id, unit, status="Submitted", submitted_at=at)
    assert group["submitted_at"] == "2024-10-07T16:22:41.118402Z"
    async with runtime.db.transaction() as session:
        approved = await service.update_group(session, PLATFORM, group["id"], {"status": "Approved"})
    assert (approved["status"], approved["submitted_at"]) == ("Approved", group["submitted_at"])


async def test_unit_and_lead_must_be_in_the_account(runtime: Runtime, tenant: Tenant) -> None:
    other = await make_tenant(runtime)
    unit = await make_unit_row(runtime, tenant.account_id)
    their_unit = await make_unit_row(runtime, other.account_id)
    their_prospect = await make_prospect_row(runtime, other.account_id)
    with pytest.raises(NotFound):
        await make_group(runtime, tenant.account_id, their_unit)
    with pytest.raises(NotFound):
        await make_group(runtime, tenant.account_id, unit, lead_prospect_id=their_prospect)
    group = await make_group(runtime, tenant.account_id, unit)
    async with runtime.db.transaction() as session:
        with pytest.raises(NotFound):
            await service.update_group(session, PLATFORM, group["id"], {"lead_prospect_id": their_prospect})
        with pytest.raises(NotFound):
            await service.update_group(session, PLATFORM, group["id"] + 1_000_000, {"status": "Withdrawn"})
