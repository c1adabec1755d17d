"""What the showing tests share: a pinned clock, units and bookings made through the public API,
and direct counts of what a request wrote."""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from rentengine.agents import service as agents
from rentengine.agents.showing_settings import change_settings, checked
from rentengine.audit.models import AuditEntry
from rentengine.auth.access import Operator
from rentengine.changes.types import Actor
from rentengine.kit.clock import set_clock
from rentengine.leasing.models import LeasingEvent
from rentengine.prospects.models import Prospect
from rentengine.runtime import Runtime
from rentengine.showings.models import Showing
from tests.factories import Tenant, make_tenant, unit_body

# Wednesday 2031-03-05, 06:00 in Chicago (CST, UTC-6); the US switches to CDT on Sunday 2031-03-09.
NOW = datetime(2031, 3, 5, 12, 0, tzinfo=UTC)
AVAILABILITY = "/showings/availability"
CREATE = "/showings/create"
TABLES = ("prospects", "showings", "leasing_events")


@dataclass
class Clock:
    now: datetime

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now

    async def tenant(self, runtime: Runtime, **options: Any) -> Tenant:
        """A tenant whose API key is issued at the real time (a key from the future is refused)."""
        set_clock(None)
        try:
            return await make_tenant(runtime, **options)
        finally:
            set_clock(lambda: self.now)


@pytest.fixture
def clock() -> Iterator[Clock]:
    """The clock pinned at `NOW` (a Wednesday, 06:00 in Chicago); tests move it by hand."""
    pinned = Clock(NOW)
    set_clock(lambda: pinned.now)
    yield pinned
    set_clock(None)


def z(value: datetime) -> str:
    """An instant as the API writes it."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def create_unit(
    client: httpx.AsyncClient, tenant: Tenant, account: uuid.UUID | None = None, **overrides: Any
) -> dict[str, Any]:
    """An Available, self-guided unit (rent 2450) unless overridden; returns its record."""
    fields: dict[str, Any] = {"status": "Available", "showing_method": "Self Guided", **overrides}
    response = await client.post(
        "/units", json=unit_body(account or tenant.account_id, **fields), headers=tenant.headers
    )
    assert response.status_code == 201, response.text
    record: dict[str, Any] = response.json()
    return record


async def availability(client: httpx.AsyncClient, tenant: Tenant, unit_id: Any) -> dict[str, Any]:
    response = await client.get(AVAILABILITY, params={"unitId": unit_id}, headers=tenant.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert list(body) == ["availability"]
    answer: dict[str, Any] = body["availability"]
    return answer


def starts(windows: list[dict[str, Any]]) -> list[str]:
    return [window["start"] for window in windows]


def prospect_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "firstName": "Jane",
        "lastName": "Doe",
        "email": "jane.doe@example.com",
        "phone": "5551234567",
        "creditScore": "700+",
        "income": "$9000-$10000/month",
        "questionAnswers": [],
        "prospectType": "Self",
    }
    data.update(overrides)
    return data


def book_body(unit_id: Any, planned: str, **overrides: Any) -> dict[str, Any]:
    """A booking; `prospect` overrides go into `prospectData`."""
    body: dict[str, Any] = {
        "unitId": unit_id,
        "plannedForTime": planned,
        "prospectData": prospect_data(**overrides.pop("prospect", {})),
    }
    body.update(overrides)
    return body


async def book(
    client: httpx.AsyncClient, tenant: Tenant, unit_id: Any, planned: str, **overrides: Any
) -> httpx.Response:
    return await client.post(CREATE, json=book_body(unit_id, planned, **overrides), headers=tenant.headers)


async def booked(
    client: httpx.AsyncClient, tenant: Tenant, unit_id: Any, planned: str, **overrides: Any
) -> None:
    response = await book(client, tenant, unit_id, planned, **overrides)
    assert response.status_code == 200, response.text
    assert response.json() == {"statusText": "success"}


async def set_showing_hours(runtime: Runtime, account_id: uuid.UUID, zone: str, start: str, end: str) -> None:
    async with runtime.db.transaction() as session:
        await change_settings(session, Operator(), Actor(user_id=None), account_id, checked(zone, start, end))


async def issue_agent_token(runtime: Runtime, account_id: uuid.UUID) -> tuple[uuid.UUID, str]:
    async with runtime.db.transaction() as session:
        token, code = await agents.issue(session, account_id, "Buyer's agent", None)
        return token.id, code


async def revoke_agent_token(runtime: Runtime, account_id: uuid.UUID, token_id: uuid.UUID) -> None:
    async with runtime.db.transaction() as session:
        await agents.revoke(session, [account_id], token_id)


@dataclass(frozen=True)
class Written:
    """Rows of the three tables a booking writes, and their audit entries, in one account."""

    prospects: int
    showings: int
    leasing_events: int
    audit_entries: int


async def written(runtime: Runtime, account_id: uuid.UUID) -> Written:
    async with runtime.db.transaction(writes=False) as session:

        async def count(model: Any) -> int:
            found = await session.scalar(select(func.count()).where(model.account_id == account_id))
            return int(found or 0)

        entries = await session.scalar(
            select(func.count()).where(AuditEntry.account_id == account_id, AuditEntry.table.in_(TABLES))
        )
        return Written(
            await count(Prospect), await count(Showing), await count(LeasingEvent), int(entries or 0)
        )


async def showings_of(runtime: Runtime, unit_id: int) -> list[Showing]:
    async with runtime.db.transaction(writes=False) as session:
        rows = await session.scalars(select(Showing).where(Showing.unit_id == unit_id).order_by(Showing.id))
        return list(rows.all())


async def prospects_of(runtime: Runtime, unit_id: int) -> list[Prospect]:
    async with runtime.db.transaction(writes=False) as session:
        rows = await session.scalars(
            select(Prospect).where(Prospect.unit_id == unit_id).order_by(Prospect.id)
        )
        return list(rows.all())


async def events_of(client: httpx.AsyncClient, tenant: Tenant, prospect_id: int) -> list[dict[str, Any]]:
    response = await client.get(
        "/leasing_events", params={"prospect_id": prospect_id}, headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()["data"]
    return events
