"""Wire models of leasing events: the list query, the create body and the record's shape (API.md §11)."""

import uuid
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field

from rentengine.validation import Bool, CommaList, DateTime, Int, PageQuery, Str, WireModel, unique_items

ASSIGN_TO_USER = "Assign to User"
SHOWING_SCHEDULED = "Showing Scheduled"
EventSource = Literal[
    "Phone Call", "Text Message", "Email", "Facebook Message", "WhatsApp", "Other", "Automation"
]
EVENT_TYPE_LENGTH = 100
MAX_ASSIGNEES = 100
MAX_NOTES_LENGTH = 10_000
KNOWN_EVENT_TYPES = (
    ASSIGN_TO_USER,
    SHOWING_SCHEDULED,
    "Showing Complete",
    "Application Sent to Prospect",
    "Prescreen Rejected - Credit",
    "HOA Application Sent To Prospect",
)

EventType = Annotated[str, Field(min_length=1, max_length=EVENT_TYPE_LENGTH)]


class LeasingEventQuery(PageQuery):
    prospect_id: int | None = Field(None, description="Only this prospect's events")
    event_types: CommaList[EventType] | None = Field(
        None,
        max_length=100,
        description="`Assign to User,Showing Scheduled` or repeated (default: every type)",
        json_schema_extra={"example": [ASSIGN_TO_USER]},
    )
    created_after: DateTime | None = Field(None, description="`created_at` >= this instant (RFC 3339)")
    created_before: DateTime | None = Field(None, description="`created_at` < this instant (RFC 3339)")


class AssignContext(WireModel):
    assignedToUserIds: Annotated[list[uuid.UUID], AfterValidator(unique_items)] = Field(
        min_length=1,
        max_length=MAX_ASSIGNEES,
        description="The users the prospect is assigned to; each must be a member of the prospect's account",
        json_schema_extra={"uniqueItems": True},
    )
    applyActionInBulk: Bool = Field(
        False,
        description="Also assign every other prospect of the account with the same phone number",
    )


class LeasingEventIn(WireModel):
    prospect_id: Int = Field(description="A prospect of one of your accounts")
    event_type: Literal["Assign to User"] = Field(description="Only `Assign to User` can be recorded")
    source: EventSource | None = None
    notes: Str | None = Field(None, max_length=MAX_NOTES_LENGTH)
    context: AssignContext


class LeasingEventCreate(WireModel):
    events: list[LeasingEventIn] = Field(min_length=1, max_length=1, description="Exactly one event")


class LeasingEventOut(BaseModel):
    id: int
    prospect: int = Field(description="The prospect's id")
    event_type: str = Field(
        description="Known values include " + ", ".join(f"`{t}`" for t in KNOWN_EVENT_TYPES)
    )
    source: str | None = Field(description="A request `source`, or another value the platform writes")
    notes: str | None
    context: dict[str, Any] | None
    planned_date_time: str | None = Field(description="The showing time, on showing events")
    created_at: str
    next_follow_up: str | None
    created_by: uuid.UUID | None = Field(description="The user who recorded the event")
