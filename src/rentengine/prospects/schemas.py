"""Wire models of prospects: the list query and the record's shape (API.md §10)."""

from typing import Literal

from pydantic import BaseModel, Field

from rentengine.validation import DateTime, PageQuery

ProspectType = Literal["Self", "Agent"]
# The statuses seen on the hosted platform; the vocabulary is open, so the schema does not close it.
KNOWN_STATUSES = (
    "New",
    "Contacted",
    "Awaiting Information",
    "Showing Desired",
    "Showing Scheduled",
    "Showing Complete",
    "Showing Canceled",
    "Missed Showing",
    "Application Sent to Prospect",
    "Application Received",
    "Application Approved",
    "Prescreen Rejected",
    "Still Deciding",
    "Not Interested",
    "Withdrawn",
    "Blocklist Prospect",
    "Unit of Interest Unavailable",
    "Ghosting",
    "Moved In",
)
STATUS_DESCRIPTION = "Known values: " + ", ".join(f"`{status}`" for status in KNOWN_STATUSES)


class ProspectQuery(PageQuery):
    created_after: DateTime | None = Field(None, description="`created_at` >= this instant (RFC 3339)")
    created_before: DateTime | None = Field(None, description="`created_at` < this instant (RFC 3339)")


class ProspectOut(BaseModel):
    id: int
    name: str = Field(description="First and last name")
    email: str | None
    phone: str | None = Field(description="10 digits")
    status: str = Field(description=STATUS_DESCRIPTION)
    source: str | None = Field(description="Where the prospect came from (`Zillow`, `Phone Call`, `API`, …)")
    prospect_type: ProspectType | None
    unit_of_interest: int | None = Field(description="The id of the unit the prospect is interested in")
    notes: str | None
    created_at: str
    updated_at: str
