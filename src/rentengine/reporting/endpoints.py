"""GET /reporting/…: one unit's leasing performance and the account reports (API.md §15)."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from rentengine.auth.dependencies import CurrentPrincipal
from rentengine.db.session import RequestSession
from rentengine.envelope import Envelope
from rentengine.http import JSONBytes, json_ok
from rentengine.kit.clock import utc_now
from rentengine.openapi import json_example
from rentengine.reporting import examples, service
from rentengine.reporting.schemas import (
    AccountReportQuery,
    ApplicationRow,
    CallRow,
    LeasingPerformance,
    MarketingSourceRow,
    ShowingRow,
    UnitRow,
    Window,
)
from rentengine.runtime import runtime_of

router = APIRouter(tags=["Reporting"])

INT4_MAX = 2_147_483_647
ACCOUNT_REPORT_RULES = """`account_ids` is required, and every account in it must be yours (else 403).
The period is [`start`, `end`): instants with an offset, `end` after `start`, at most 32 days apart
(exactly 32 is allowed). Pages of `limit` rows (1 to 2000, default 100) in the `env` envelope."""

Unit = Annotated[int, Path(ge=1, le=INT4_MAX, description="A unit of one of your accounts", examples=[3318])]


@router.get(
    "/reporting/leasing-performance/units/{unitId}",
    response_model=LeasingPerformance,
    response_class=JSONBytes,
    responses={200: json_example("The unit's leasing performance", examples.LEASING_PERFORMANCE)},
)
async def get_unit_leasing_performance(
    request: Request,
    principal: CurrentPrincipal,
    session: RequestSession,
    unitId: Unit,
    window: Annotated[Window, Query()],
) -> JSONBytes:
    """How one unit is leasing: counts over [`start`, `end`) (any length) and its health now.

    The rule of each field is in its description. A unit of an account you cannot access is 404."""
    benchmark = service.Benchmark(runtime_of(request).settings.benchmark_leads_per_day)
    record = await service.leasing_performance(session, principal, unitId, window, benchmark, utc_now())
    return json_ok(record)


AccountReport = Annotated[AccountReportQuery, Query()]


@router.get(
    "/reporting/marketing-sources",
    response_model=Envelope[MarketingSourceRow],
    response_class=JSONBytes,
    description=f"""One row per lead source of the prospects created in the period, most leads first.
Each count after `leads` counts those prospects that reached the step, whenever they reached it;
`upcoming_showings` those with a showing still scheduled now. {ACCOUNT_REPORT_RULES}""",
    responses={200: json_example("The sources, most leads first", examples.MARKETING_SOURCES)},
)
async def get_marketing_sources_report(
    principal: CurrentPrincipal, session: RequestSession, query: AccountReport
) -> JSONBytes:
    """Leads and their progress, by marketing source."""
    return json_ok(await service.marketing_sources(session, principal, query, utc_now()))


@router.get(
    "/reporting/showings",
    response_model=Envelope[ShowingRow],
    response_class=JSONBytes,
    description=f"The showings planned in the period, by planned time. {ACCOUNT_REPORT_RULES}",
    responses={200: json_example("The showings, by planned time", examples.SHOWINGS)},
)
async def get_showings_report(
    principal: CurrentPrincipal, session: RequestSession, query: AccountReport
) -> JSONBytes:
    """Showings planned in a period."""
    return json_ok(await service.showings(session, principal, query))


@router.get(
    "/reporting/calls",
    response_model=Envelope[CallRow],
    response_class=JSONBytes,
    description=f"The calls made in the period, oldest first. {ACCOUNT_REPORT_RULES}",
    responses={200: json_example("The calls, oldest first", examples.CALLS)},
)
async def get_calls_report(
    principal: CurrentPrincipal, session: RequestSession, query: AccountReport
) -> JSONBytes:
    """Calls made in a period."""
    return json_ok(await service.calls(session, principal, query))


@router.get(
    "/reporting/units",
    response_model=Envelope[UnitRow],
    response_class=JSONBytes,
    description=f"""The accounts' units that are Available now, by id; the period is checked but does
not filter (a unit's days on market are counted to today, in its account's time zone).
{ACCOUNT_REPORT_RULES}""",
    responses={200: json_example("The Available units, by id", examples.UNITS)},
)
async def get_units_report(
    principal: CurrentPrincipal, session: RequestSession, query: AccountReport
) -> JSONBytes:
    """Units on the market now."""
    return json_ok(await service.units(session, principal, query, utc_now()))


@router.get(
    "/reporting/applications",
    response_model=Envelope[ApplicationRow],
    response_class=JSONBytes,
    description=f"The application groups created in the period, oldest first. {ACCOUNT_REPORT_RULES}",
    responses={200: json_example("The application groups, oldest first", examples.APPLICATIONS)},
)
async def get_applications_report(
    principal: CurrentPrincipal, session: RequestSession, query: AccountReport
) -> JSONBytes:
    """Rental applications started in a period."""
    return json_ok(await service.applications(session, principal, query))
