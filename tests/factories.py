"""Plain typed factories with keyword overrides."""

import uuid
from dataclasses import dataclass, field
from typing import Any

from rentengine.auth import service as auth
from rentengine.runtime import Runtime


@dataclass
class Tenant:
    account_id: uuid.UUID
    user_id: uuid.UUID
    email: str
    key_id: uuid.UUID
    token: str
    other_account_ids: list[uuid.UUID] = field(default_factory=list)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def make_tenant(runtime: Runtime, *, accounts: int = 1, name: str = "Test PM") -> Tenant:
    """A user with `accounts` fresh accounts and one API key."""
    async with runtime.db.transaction() as session:
        created = [await auth.create_account(session, f"{name} {i}") for i in range(accounts)]
        email = f"user-{uuid.uuid4().hex[:12]}@example.com"
        user = await auth.create_user(session, email, [a.id for a in created])
        key, token = await auth.create_api_key(session, runtime.settings.secret_key, user, "test key")
    return Tenant(
        account_id=created[0].id,
        user_id=user.id,
        email=email,
        key_id=key.id,
        token=token,
        other_account_ids=[a.id for a in created[1:]],
    )


async def make_key(runtime: Runtime, tenant: Tenant, name: str = "another key") -> tuple[uuid.UUID, str]:
    async with runtime.db.transaction() as session:
        user = await auth.require_user(session, tenant.email)
        key, token = await auth.create_api_key(session, runtime.settings.secret_key, user, name)
    return key.id, token


def property_body(account_id: uuid.UUID, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "community_name": "Sunset Towers",
        "building_count": 3,
        "unit_count": 75,
        "description": "Luxury apartment community with amenities",
        "structure_type": "Mid Rise",
        "year_built": 2008,
        "photos": [{"path": "https://example.com/images/sunset-towers.jpg", "hidden": False}],
        "text_address": "123 Main St, San Francisco, CA 94111",
        "account_id": str(account_id),
    }
    body.update(overrides)
    return body


async def make_unit_row(runtime: Runtime, account_id: uuid.UUID) -> int:
    """A bare unit (with its address) inserted directly, for tests of other domains that need one."""
    from rentengine.kit.clock import utc_now
    from rentengine.units.models import Address, Unit

    now = utc_now()
    async with runtime.db.transaction() as session:
        address = Address(
            street_number="123", street_name="Main St", city="Austin", state="TX", zip_code="78701"
        )
        session.add(address)
        await session.flush()
        unit = Unit(
            account_id=account_id,
            address_id=address.id,
            city_key="austin",
            zip_code="78701",
            property_type="SINGLE FAMILY RESIDENCE",
            target_rental_rate=1800.0,
            created_at=now,
            updated_at=now,
        )
        session.add(unit)
        await session.flush()
        return unit.id


def unit_body(account_id: uuid.UUID, **overrides: Any) -> dict[str, Any]:
    """A create body for a three-bedroom house in Austin, TX (the fields required on create, and a few)."""
    body: dict[str, Any] = {
        "account_id": str(account_id),
        "address": {
            "street_number": "123",
            "street_name": "Main St",
            "unit": "4B",
            "city": "Austin",
            "state": "TX",
            "zip_code": "78701",
        },
        "property_type": "SINGLE FAMILY RESIDENCE",
        "bedrooms": 3,
        "bathrooms": 2.5,
        "sqft": 1378,
        "target_rental_rate": 2450,
    }
    body.update(overrides)
    return body


async def make_prospect_row(
    runtime: Runtime, account_id: uuid.UUID, unit_id: int | None = None, **overrides: Any
) -> int:
    """A prospect inserted directly (no change recorded), for tests of the domains that link to one."""
    from rentengine.db.positions import claim_slot
    from rentengine.kit.clock import utc_now
    from rentengine.prospects.models import Prospect, ProspectCounter

    now = utc_now()
    values: dict[str, Any] = {
        "account_id": account_id,
        "unit_id": unit_id,
        "first_name": "Jane",
        "last_name": "Doe",
        "email": f"jane-{uuid.uuid4().hex[:8]}@example.com",
        "phone": "5551234567",
        "status": "New",
        "source": "Zillow",
        "prospect_type": "Self",
        "created_at": now,
        "updated_at": now,
        **overrides,
    }
    async with runtime.db.transaction() as session:
        # Like every insert, it takes the account's next position and a time that agrees with it.
        slot = await claim_slot(session, ProspectCounter, account_id, values["created_at"])
        prospect = Prospect(**values | {"created_at": slot.created_at, "account_seq": slot.account_seq})
        session.add(prospect)
        await session.flush()
        return prospect.id
