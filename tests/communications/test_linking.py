"""A call or message sent without `prospect_id` is linked to the account's most recent prospect with
its phone number (or, for a message, its email address, whatever its case)."""

import httpx
import pytest

from rentengine.runtime import Runtime
from tests.communications.factories import CALLS, KINDS, MESSAGES, PHONE, Kind
from tests.factories import Tenant, make_prospect_row, make_tenant


async def record(
    client: httpx.AsyncClient, tenant: Tenant, kind: Kind, **fields: object
) -> dict[str, object]:
    response = await client.post(
        kind.path, json=kind.body(tenant.account_id, **fields), headers=tenant.headers
    )
    assert response.status_code == 201, response.text
    created: dict[str, object] = response.json()
    return created


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.table)
async def test_the_latest_prospect_with_the_phone_number_is_linked(
    client: httpx.AsyncClient, runtime: Runtime, kind: Kind
) -> None:
    tenant = await make_tenant(runtime, accounts=2)
    await make_prospect_row(runtime, tenant.account_id, phone=PHONE)
    latest = await make_prospect_row(runtime, tenant.account_id, phone=PHONE)
    await make_prospect_row(runtime, tenant.account_id, phone="5559876543")
    # Same number in another account, created later: never linked across accounts.
    await make_prospect_row(runtime, tenant.other_account_ids[0], phone=PHONE)
    assert (await record(client, tenant, kind, **{kind.contact_field: PHONE}))["prospect_id"] == latest
    # Null means the same as leaving it out.
    linked = await record(client, tenant, kind, **{kind.contact_field: PHONE, "prospect_id": None})
    assert linked["prospect_id"] == latest


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.table)
async def test_no_prospect_with_the_contact_links_nothing(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, kind: Kind
) -> None:
    await make_prospect_row(runtime, tenant.account_id, phone="5550000000")
    assert (await record(client, tenant, kind, **{kind.contact_field: "5550000001"}))["prospect_id"] is None


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.table)
async def test_a_sent_prospect_is_linked_as_sent(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant, kind: Kind
) -> None:
    chosen = await make_prospect_row(runtime, tenant.account_id, phone="5550001111")
    await make_prospect_row(runtime, tenant.account_id, phone=PHONE)
    linked = await record(client, tenant, kind, **{kind.contact_field: PHONE, "prospect_id": chosen})
    assert linked["prospect_id"] == chosen


async def test_an_email_contact_links_the_latest_prospect_whatever_its_case(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    await make_prospect_row(runtime, tenant.account_id, email="jane.doe@example.com")
    latest = await make_prospect_row(runtime, tenant.account_id, email="jane.doe@example.com", phone=None)
    await make_prospect_row(runtime, tenant.account_id, email="john@example.com")
    for contact in ("jane.doe@example.com", "Jane.Doe@Example.COM"):
        message = await record(client, tenant, MESSAGES, channel="Email", contact=contact)
        assert message["prospect_id"] == latest, contact
        # The contact is kept as sent.
        assert message["contact"] == contact
    nobody = await record(client, tenant, MESSAGES, channel="Email", contact="someone@example.com")
    assert nobody["prospect_id"] is None


async def test_a_contact_that_is_neither_phone_nor_email_links_nothing(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    await make_prospect_row(runtime, tenant.account_id, phone=PHONE)
    for contact in ("jane.doe.fb", "+1 555 123 4567"):
        message = await record(client, tenant, MESSAGES, channel="Facebook Message", contact=contact)
        assert message["prospect_id"] is None


async def test_a_call_links_by_phone_only(
    client: httpx.AsyncClient, runtime: Runtime, tenant: Tenant
) -> None:
    by_phone = await make_prospect_row(runtime, tenant.account_id, phone=PHONE, email="a@example.com")
    assert (await record(client, tenant, CALLS, contact_number=PHONE))["prospect_id"] == by_phone
