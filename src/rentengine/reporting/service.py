"""The reports (API.md §15), computed from this server's prospects, showings, events, calls and
messages. Counts cover [start, end); what is "upcoming" is measured from the time of the request."""

import math
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.auth.access import require_account, visible
from rentengine.auth.service import Principal
from rentengine.changes.types import Record
from rentengine.envelope import envelope
from rentengine.kit.clock import isoformat_z
from rentengine.reporting import repository
from rentengine.reporting.schemas import AccountReportQuery, Window
from rentengine.showings.slots import zone_of
from rentengine.units.models import Unit
from rentengine.units.service import formatted_address

ON_HOLD = "On Hold"
UNKNOWN_SOURCE = ("unknown", "Unknown")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def _require_accounts(principal: Principal, query: AccountReportQuery) -> list[uuid.UUID]:
    for account_id in query.account_ids:
        require_account(principal, account_id)
    return list(dict.fromkeys(query.account_ids))


def _name(first: str | None, last: str | None) -> str:
    return " ".join(part for part in (first, last) if part)


def _instant(value: datetime | None) -> str | None:
    return None if value is None else isoformat_z(value)


def source_key_of(source: str | None) -> str:
    """`Apartments.com` → `apartments_com`; no source → `unknown`."""
    key = _NOT_WORD.sub("_", (source or "").lower()).strip("_")
    return key or UNKNOWN_SOURCE[0]


@dataclass
class _SourceTotals:
    """One report row: the counts of every spelling of a source, shown by its most used one."""

    counts: dict[str, int] = field(default_factory=dict)
    spellings: dict[str, int] = field(default_factory=dict)

    def add(self, spelling: str, counts: Mapping[str, int]) -> None:
        self.spellings[spelling] = self.spellings.get(spelling, 0) + counts["leads"]
        for name, count in counts.items():
            self.counts[name] = self.counts.get(name, 0) + count

    def row(self, key: str) -> Record:
        display = min(self.spellings, key=lambda spelling: (-self.spellings[spelling], spelling))
        return {"source_key": key, "source_display": display, **self.counts}


async def marketing_sources(
    session: AsyncSession, principal: Principal, query: AccountReportQuery, now: datetime
) -> dict[str, Any]:
    """One page of the sources of the prospects created in the period, most leads first."""
    accounts = _require_accounts(principal, query)
    funnels = await repository.source_funnels(session, accounts, query.start, query.end, now)
    totals: dict[str, _SourceTotals] = {}
    for source, counts in funnels.items():
        spelling = source or UNKNOWN_SOURCE[1]
        totals.setdefault(source_key_of(source), _SourceTotals()).add(spelling, counts)
    rows = sorted(
        (total.row(key) for key, total in totals.items()), key=lambda row: (-row["leads"], row["source_key"])
    )
    return envelope(rows[query.offset : query.offset + query.limit + 1], query, _marketing_row)


_MARKETING_FIELDS = (
    "source_key",
    "source_display",
    "leads",
    "showings_scheduled",
    "showings_completed",
    "upcoming_showings",
    "applications_requested",
    "applications_submitted",
    "apps_approved",
    "rejected_prescreens",
)


def _marketing_row(row: Record) -> Record:
    return {name: row[name] for name in _MARKETING_FIELDS}


async def showings(session: AsyncSession, principal: Principal, query: AccountReportQuery) -> dict[str, Any]:
    """One page of the showings planned in the period, by planned time."""
    accounts = _require_accounts(principal, query)
    rows = await repository.showings_in(session, accounts, query)
    return envelope(rows, query, _showing_row)


def _showing_row(row: Any) -> Record:
    showing = row.Showing
    return {
        "showing_id": showing.id,
        "prospect_id": showing.prospect_id,
        "property_address": formatted_address(row.Address),
        "prospect_name": _name(row.first_name, row.last_name),
        "status": showing.status,
        "feedback": showing.feedback,
        "created_at": isoformat_z(showing.created_at),
        "planned_date_time": isoformat_z(showing.planned_date_time),
        "showing_agent": None,
        "cancellation_reason": showing.cancellation_reason,
    }


async def calls(session: AsyncSession, principal: Principal, query: AccountReportQuery) -> dict[str, Any]:
    """One page of the calls made in the period, oldest first."""
    accounts = _require_accounts(principal, query)
    rows = await repository.calls_in(session, accounts, query)
    return envelope(rows, query, _call_row)


def _call_row(row: Any) -> Record:
    call = row.Call
    prospect_name = None if call.prospect_id is None else _name(row.first_name, row.last_name)
    return {
        "name": prospect_name or call.contact_number,
        "created_at": isoformat_z(call.created_at),
        "call_direction": call.direction,
        "status": call.status,
        "contact_number": call.contact_number,
        "call_duration": call.call_duration,
        "prospect_name": prospect_name,
        "user_id": "" if call.user_id is None else str(call.user_id),
    }


async def units(
    session: AsyncSession, principal: Principal, query: AccountReportQuery, now: datetime
) -> dict[str, Any]:
    """One page of the accounts' Available units now, by id (the period does not apply)."""
    accounts = _require_accounts(principal, query)
    rows = await repository.available_units(session, accounts, query)
    return envelope(rows, query, lambda row: _unit_row(row, now))


def _unit_row(row: Any, now: datetime) -> Record:
    unit: Unit = row.Unit
    zone = zone_of(row.timezone)
    since = unit.available_since
    return {
        "unit_id": unit.id,
        "address": formatted_address(row.Address),
        "date_marked_available": None if since is None else since.astimezone(zone).date().isoformat(),
        "status": unit.status,
        "target_rental_rate": unit.target_rental_rate,
        "days_on_market": _days_on_market(since, now, zone),
    }


async def applications(
    session: AsyncSession, principal: Principal, query: AccountReportQuery
) -> dict[str, Any]:
    """One page of the application groups created in the period, oldest first."""
    accounts = _require_accounts(principal, query)
    rows = await repository.application_groups_in(session, accounts, query)
    return envelope(rows, query, _application_row)


def _application_row(row: Any) -> Record:
    group = row.RentalApplicationGroup
    lead = None if group.lead_prospect_id is None else _name(row.first_name, row.last_name)
    return {
        "application_group_id": group.id,
        "lead_applicant": lead,
        "address": formatted_address(row.Address),
        "status": group.status,
        "created_at": isoformat_z(group.created_at),
        "submitted_at": _instant(group.submitted_at),
    }


@dataclass(frozen=True)
class Benchmark:
    """Expected leads per day by bedroom count (`RENTENGINE_BENCHMARK_LEADS_PER_DAY`)."""

    leads_per_day: Mapping[int, float]

    def per_day(self, bedrooms: float | None) -> float:
        """Counts round down and clamp to the table's range; an unknown count is the lowest key."""
        keys = sorted(self.leads_per_day)
        wanted = keys[0] if bedrooms is None else math.floor(bedrooms)
        below = [key for key in keys if key <= wanted]
        return self.leads_per_day[below[-1] if below else keys[0]]


async def leasing_performance(
    session: AsyncSession,
    principal: Principal,
    unit_id: int,
    window: Window,
    benchmark: Benchmark,
    now: datetime,
) -> Record:
    """The unit's leasing over [start, end) and its health now; 404 for a unit the caller cannot see."""
    found = await repository.unit_performance(session, unit_id, window.start, window.end, now)
    unit: Unit = visible(principal, found.Unit if found else None)
    assert found is not None  # `visible` refused a missing unit
    days_priced = max(0, (now - (unit.rate_changed_at or unit.created_at)) // timedelta(days=1))
    expected = math.floor(benchmark.per_day(unit.bedrooms) * days_priced)
    feedback = await repository.unit_feedback(session, unit.id, window.start, window.end)
    available_since = unit.available_since if unit.status == repository.AVAILABLE else None
    return {
        "unit_id": unit.id,
        "days_on_market": _days_on_market(available_since, now, zone_of(found.timezone)),
        "property_health": _health(unit.status, days_priced, found.since_rent_set, expected),
        "benchmark_leads_since_last_price_change": expected,
        "new_prospects": found.new_prospects,
        "showings_scheduled": found.scheduled,
        "showings_completed": found.completed,
        "applications_requested": found.applications_requested,
        "applications_submitted": found.applications_submitted,
        "active_prospects": found.active,
        "upcoming_showings": found.upcoming,
        "outbound_texts": found.outbound_texts,
        "total_calls": found.total_calls,
        "showing_feedback": [_feedback_item(row) for row in feedback],
    }


def _days_on_market(since: datetime | None, now: datetime, zone: tzinfo) -> int | None:
    """Calendar days from the day it became Available to today, both in the account's zone."""
    if since is None:
        return None
    return (now.astimezone(zone).date() - since.astimezone(zone).date()).days


def _health(status: str, days_priced: int, leads: int, expected: int) -> str:
    if status == ON_HOLD:
        return "On Hold"
    if status != repository.AVAILABLE:
        return "Off-Market"
    if days_priced < 1:
        return "Unknown"
    return "Healthy" if leads >= expected else "At-risk"


def _feedback_item(row: Any) -> Record:
    return {
        "prospect_id": row.prospect_id,
        "prospect_name": _name(row.first_name, row.last_name),
        "created_at": isoformat_z(row.planned_date_time),
        "feedback": row.feedback,
    }
