"""Wire models of showings: the availability query and answer, the booking body (API.md §12)."""

import re
import uuid
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, model_validator
from pydantic_core import PydanticCustomError

from rentengine.units.schemas import NO_NUL, ShowingMethod, UnitStatus
from rentengine.validation import DateTime, Int, Str, WireModel

SELF, AGENT = "Self", "Agent"
HOUSING_VOUCHER = "housing_voucher"
# ASCII digits only: `\d` would also take other scripts' digits.
CREDIT_BAND = r"^([0-9]{3}\+|[0-9]{3}-[0-9]{3}|Below [0-9]{3})$"
INCOME_RANGE = r"^\$[0-9]{1,9}(-\$[0-9]{1,9}|\+)/month$"
PHONE = r"^[0-9]{10}$"
AGENT_TOKEN = r"^[A-Z0-9]{6}$"
_EMAIL = re.compile(r"[^@\s\x00]+@[^@\s\x00]+\.[^@\s\x00]+")
_BOUNDS = re.compile(r"[0-9]+")

Text = Annotated[Str, Field(pattern=NO_NUL)]
Name = Annotated[Text, Field(min_length=1, max_length=200)]


def _email(value: str) -> str:
    if not _EMAIL.fullmatch(value):
        raise PydanticCustomError("format", 'must match format "{format}"', {"format": "email"})
    return value


def _ordered_range(value: str) -> str:
    """A range's lower bound must not exceed its upper bound ("700-650" says nothing)."""
    numbers = [int(n) for n in _BOUNDS.findall(value)]
    if len(numbers) == 2 and numbers[0] > numbers[1]:
        raise PydanticCustomError(
            "range",
            "the lower bound must not exceed the upper bound",
            {"lower": numbers[0], "upper": numbers[1]},
        )
    return value


Email = Annotated[Str, Field(max_length=320, json_schema_extra={"format": "email"}), AfterValidator(_email)]
CreditBand = Annotated[
    Str,
    Field(pattern=CREDIT_BAND, description="`700+`, `650-699` or `Below 600`"),
    AfterValidator(_ordered_range),
]
IncomeRange = Annotated[
    Str,
    Field(pattern=INCOME_RANGE, description="`$5000-$6000/month` or `$5000+/month`"),
    AfterValidator(_ordered_range),
]


class AvailabilityQuery(WireModel):
    unitId: int = Field(description="A unit of one of your accounts", json_schema_extra={"example": 12345})


class ShowingWindow(BaseModel):
    start: str = Field(json_schema_extra={"format": "date-time"})
    end: str = Field(json_schema_extra={"format": "date-time"})
    invitedUserIdsArray: list[uuid.UUID] = Field(description="The users who accompany the showing")
    showingMethodsAvailable: list[ShowingMethod]


class Availability(BaseModel):
    unitId: int
    showingMethod: ShowingMethod | None
    timezoneName: str = Field(description="The account's IANA time zone")
    timezoneAbbreviation: str | None = Field(description="The zone's abbreviation now, e.g. `CST`")
    unitStatus: UnitStatus | None
    preferredShowingWindows: list[ShowingWindow] = Field(
        description="Available windows next to an already scheduled showing"
    )
    availableShowingWindows: list[ShowingWindow]


class AvailabilityOut(BaseModel):
    availability: Availability


class QuestionAnswer(WireModel):
    question: Text = Field(max_length=2000)
    answer: Text = Field(max_length=2000)
    fixedQuestionType: Text | None = Field(
        None, max_length=100, description="`housing_voucher` marks a yes/no voucher question"
    )


class ProspectData(WireModel):
    firstName: Name
    lastName: Name
    email: Email
    phone: Str = Field(pattern=PHONE, description="10 digits")
    creditScore: CreditBand
    income: IncomeRange
    questionAnswers: list[QuestionAnswer] = Field(max_length=100)
    prospectType: Literal["Self", "Agent"] = Field(
        description="`Self` prospects are prescreened; `Agent` ones need `agentTk`"
    )
    agentTk: Str | None = Field(
        None, pattern=AGENT_TOKEN, description="An agent token of the unit's account (required for `Agent`)"
    )

    @model_validator(mode="after")
    def _agent_needs_token(self) -> "ProspectData":
        if self.prospectType == AGENT and self.agentTk is None:
            raise PydanticCustomError(
                "required", "must have required property 'agentTk'", {"missingProperty": "agentTk"}
            )
        return self


class ShowingCreate(WireModel):
    unitId: Int = Field(description="A unit of one of your accounts")
    plannedForTime: DateTime = Field(description="The `start` of one of the unit's available windows")
    prospectData: ProspectData
    desiredShowingMethod: ShowingMethod | None = Field(
        None, description="One of the window's `showingMethodsAvailable`"
    )
    rescheduleEvent: Int | None = Field(None, description="The id of a scheduled showing of the unit to move")


class ShowingCreated(BaseModel):
    statusText: Literal["success"]


class ShowingRecord(BaseModel):
    """A showing as the audit log and the `showings` webhooks carry it (no operation returns one)."""

    id: int
    account_id: uuid.UUID
    unit_id: int
    prospect_id: int
    planned_date_time: str
    showing_method: ShowingMethod | None
    status: Literal["Scheduled", "Completed", "Canceled", "Missed"]
    feedback: str | None
    cancellation_reason: str | None
    created_at: str
    updated_at: str
