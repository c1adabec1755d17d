"""Wire models of the reports: their queries (the window rules) and the rows they answer with."""

import uuid
from datetime import datetime, timedelta
from typing import Literal, Self

from pydantic import BaseModel, Field, model_validator
from pydantic_core import PydanticCustomError

from rentengine.validation import CommaList, DateTime, PageQuery, WireModel

MAX_ACCOUNTS = 100
MAX_LIMIT = 2000
DEFAULT_LIMIT = 100
MAX_WINDOW = timedelta(days=32)
START_DESCRIPTION = "Start of the period, inclusive (RFC 3339 with an offset)"
START_EXAMPLE = "2024-10-01T05:00:00Z"
END_EXAMPLE = "2024-11-01T05:00:00Z"

PropertyHealth = Literal["Off-Market", "Healthy", "At-risk", "On Hold", "Waitlist", "Commercial", "Unknown"]


def _require_order(start: datetime, end: datetime) -> None:
    if end <= start:
        raise PydanticCustomError(
            "formatExclusiveMinimum",
            "'end' must be after 'start'",
            {"comparison": ">", "limit": "start"},
        )


class Window(WireModel):
    start: DateTime = Field(description=START_DESCRIPTION, examples=[START_EXAMPLE])
    end: DateTime = Field(description="End of the period, exclusive; after `start`", examples=[END_EXAMPLE])

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        _require_order(self.start, self.end)
        return self


class AccountReportQuery(PageQuery):
    account_ids: CommaList[uuid.UUID] = Field(
        min_length=1,
        max_length=MAX_ACCOUNTS,
        description="Your accounts, `a,b` or repeated; any account you cannot access → 403",
        examples=[["4b88ff32-8ba0-4bbf-8e60-c789909ac176"]],
    )
    start: DateTime = Field(description=START_DESCRIPTION, examples=[START_EXAMPLE])
    end: DateTime = Field(
        description="End of the period, exclusive: after `start`, at most 32 days (768 hours) after it",
        examples=[END_EXAMPLE],
    )
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)

    @model_validator(mode="after")
    def _window(self) -> Self:
        _require_order(self.start, self.end)
        if self.end - self.start > MAX_WINDOW:
            raise PydanticCustomError(
                "maxWindow",
                "the period from 'start' to 'end' must not be longer than 32 days",
                {"limit": "P32D"},
            )
        return self


class MarketingSourceRow(BaseModel):
    source_key: str = Field(description="The source in lower case, words joined by `_`; `unknown` when none")
    source_display: str = Field(description="The source as prospects carry it; `Unknown` when none")
    leads: int = Field(description="Prospects from this source created in the period")
    showings_scheduled: int = Field(description="Of those, prospects with a `Showing Scheduled` event")
    showings_completed: int = Field(description="Of those, prospects with a `Showing Complete` event")
    upcoming_showings: int = Field(description="Of those, prospects with a showing `Scheduled` from now on")
    applications_requested: int = Field(
        description="Of those, prospects with an `Application Sent to Prospect` event"
    )
    applications_submitted: int = Field(
        description="Of those, prospects with an `Application Received` event"
    )
    apps_approved: int = Field(description="Of those, prospects with an `Application Approved` event")
    rejected_prescreens: int = Field(
        description="Of those, prospects with a `Prescreen Rejected` event (any reason)"
    )


class ShowingRow(BaseModel):
    showing_id: int
    prospect_id: int
    property_address: str = Field(description="One line, e.g. `123 Main St 4B, Austin, TX 78701`")
    prospect_name: str
    status: str = Field(description="`Scheduled`, `Completed`, `Canceled` or `Missed`")
    feedback: str | None
    created_at: str = Field(json_schema_extra={"format": "date-time"})
    planned_date_time: str = Field(json_schema_extra={"format": "date-time"})
    showing_agent: str | None = Field(description="Null: no agent is recorded for the showing")
    cancellation_reason: str | None


class CallRow(BaseModel):
    name: str = Field(description="Who was on the line: the prospect's name, else the number")
    created_at: str = Field(json_schema_extra={"format": "date-time"})
    call_direction: str | None = Field(description="`inbound`, `outbound` or null")
    status: str
    contact_number: str
    call_duration: int | None = Field(description="Seconds")
    prospect_name: str | None = Field(description="Null when the call is linked to no prospect")
    user_id: str = Field(description='The user who handled it; `""` when none')


class UnitRow(BaseModel):
    unit_id: int
    address: str
    date_marked_available: str | None = Field(
        description="The day it last became Available, in the account's time zone (`YYYY-MM-DD`)",
        json_schema_extra={"format": "date"},
    )
    status: str
    target_rental_rate: float
    days_on_market: int | None = Field(
        description="Whole days since that day, counted in the account's time zone"
    )


class ApplicationRow(BaseModel):
    application_group_id: int
    lead_applicant: str | None = Field(description="The lead prospect's name")
    address: str
    status: str
    created_at: str = Field(json_schema_extra={"format": "date-time"})
    submitted_at: str | None = Field(json_schema_extra={"format": "date-time"})


class ShowingFeedback(BaseModel):
    prospect_id: int
    prospect_name: str
    created_at: str = Field(
        description="When the showing was planned for", json_schema_extra={"format": "date-time"}
    )
    feedback: str


class LeasingPerformance(BaseModel):
    unit_id: int
    days_on_market: int | None = Field(
        description="Whole days since the unit last became Available, in the account's time zone; "
        "null when it is not Available"
    )
    property_health: PropertyHealth = Field(
        description="`On Hold` for a unit On Hold; `Off-Market` for any other status but Available; "
        "`Unknown` when less than a whole day has passed since the rent was last set (nothing to "
        "compare yet); else `Healthy` when the prospects created since the rent was last set are "
        "at least `benchmark_leads_since_last_price_change`, and `At-risk` when fewer"
    )
    benchmark_leads_since_last_price_change: int = Field(
        description="The leads a unit of its bedroom count is expected to draw per day "
        "(`RENTENGINE_BENCHMARK_LEADS_PER_DAY`) times the whole days since `target_rental_rate` "
        "was last set, rounded down"
    )
    new_prospects: int = Field(description="Prospects of the unit created in [start, end)")
    showings_scheduled: int = Field(description="Showings of the unit booked in [start, end)")
    showings_completed: int = Field(description="Completed showings of the unit planned in [start, end)")
    applications_requested: int = Field(
        description="`Application Sent to Prospect` events of the unit's prospects in [start, end)"
    )
    applications_submitted: int = Field(
        description="Application groups of the unit submitted in [start, end)"
    )
    active_prospects: int = Field(
        description="Prospects of the unit created before `end` whose status is not a closed one "
        "(Not Interested, Withdrawn, Blocklist Prospect, Unit of Interest Unavailable, Ghosting, "
        "Moved In, Prescreen Rejected)"
    )
    upcoming_showings: int = Field(description="Showings of the unit `Scheduled` from now on")
    outbound_texts: int = Field(
        description="Outbound `Text Message` messages with the unit's prospects in [start, end)"
    )
    total_calls: int = Field(description="Calls with the unit's prospects in [start, end)")
    showing_feedback: list[ShowingFeedback] = Field(
        description="The feedback of the unit's showings planned in [start, end), latest first, at most 100"
    )
