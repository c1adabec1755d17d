"""Wire models of calls and messages: the list query, the create bodies and the records' shapes."""

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, Field, model_validator
from pydantic_core import PydanticCustomError

from rentengine.communications.models import CONTACT_LENGTH
from rentengine.validation import CommaList, DateTime, Int, PageQuery, Str, WireModel

Direction = Literal["inbound", "outbound"]
CallStatus = Literal["completed", "missed", "voicemail", "failed"]
Channel = Literal["Text Message", "Email", "WhatsApp", "Facebook Message", "Other"]

PHONE_PATTERN = r"^[0-9]{10}$"
INT4_MAX = 2_147_483_647  # ids and durations are 32-bit integer columns
MAX_ACCOUNTS = 100
MAX_BODY_LENGTH = 50_000
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
EARLIEST_TEXT = "1970-01-01T00:00:00Z"

Phone = Annotated[Str, Field(pattern=PHONE_PATTERN, description="10 digits, e.g. `5551234567`")]
QueryPhone = Annotated[str, Field(pattern=PHONE_PATTERN, description="10 digits, e.g. `5551234567`")]


def _not_before_1970(value: datetime) -> datetime:
    # Earlier instants are no plausible activity, and years below 1000 have no RFC 3339 form.
    if value < EARLIEST:
        raise PydanticCustomError(
            "formatMinimum",
            "must be >= {limit}",
            {"comparison": ">=", "limit": EARLIEST_TEXT},
        )
    return value


ActivityTime = Annotated[DateTime, AfterValidator(_not_before_1970)]
CREATED_AT_DESCRIPTION = "When the activity happened (RFC 3339 with an offset, from 1970); default: now"
PROSPECT_ID_DESCRIPTION = (
    "A prospect of the same account. Omitted or null: the account's most recent prospect with this "
    "contact is linked, if there is one"
)
USER_ID_DESCRIPTION = "The user who handled it; must be a member of the account"


class ActivityQuery(PageQuery):
    account_ids: CommaList[uuid.UUID] = Field(
        min_length=1,
        max_length=MAX_ACCOUNTS,
        description="Your accounts, `a,b` or repeated; any account you cannot access → 403",
        examples=[["4b88ff32-8ba0-4bbf-8e60-c789909ac176"]],
    )
    prospect_id: int | None = Field(None, description="Only this prospect's; send this or `phone_number`")
    phone_number: QueryPhone | None = Field(
        None,
        description="Only this phone number's; send this or `prospect_id`",
        examples=["5551234567"],
    )

    @model_validator(mode="after")
    def _exactly_one_contact(self) -> Self:
        sent = [i for i, value in enumerate((self.prospect_id, self.phone_number)) if value is not None]
        if len(sent) != 1:
            raise PydanticCustomError(
                "oneOf",
                "must have exactly one of 'prospect_id' or 'phone_number'{extra}",
                {"passingSchemas": sent or None, "extra": ", not both" if sent else ""},
            )
        return self


class CallCreate(WireModel):
    """A call that happened elsewhere: the call object without `id`."""

    account_id: uuid.UUID
    prospect_id: Int | None = Field(None, description=PROSPECT_ID_DESCRIPTION)
    direction: Direction | None = Field(description="Required; null when unknown")
    contact_number: Phone
    status: CallStatus
    call_duration: Int | None = Field(None, ge=0, le=INT4_MAX, description="Seconds")
    user_id: uuid.UUID | None = Field(None, description=USER_ID_DESCRIPTION)
    created_at: ActivityTime | None = Field(None, description=CREATED_AT_DESCRIPTION)


class MessageCreate(WireModel):
    """A message that happened elsewhere: the message object without `id`."""

    account_id: uuid.UUID
    prospect_id: Int | None = Field(None, description=PROSPECT_ID_DESCRIPTION)
    direction: Direction | None = Field(description="Required; null when unknown")
    channel: Channel
    contact: Str = Field(
        min_length=1,
        max_length=CONTACT_LENGTH,
        description="The other party: a phone number (10 digits) or an email address",
    )
    body: Str = Field(min_length=1, max_length=MAX_BODY_LENGTH)
    user_id: uuid.UUID | None = Field(None, description=USER_ID_DESCRIPTION)
    created_at: ActivityTime | None = Field(None, description=CREATED_AT_DESCRIPTION)


class CallOut(BaseModel):
    id: int
    account_id: uuid.UUID
    prospect_id: int | None
    direction: Direction | None
    contact_number: str
    status: CallStatus
    call_duration: int | None
    user_id: uuid.UUID | None
    created_at: str


class MessageOut(BaseModel):
    id: int
    account_id: uuid.UUID
    prospect_id: int | None
    direction: Direction | None
    channel: Channel
    contact: str
    body: str
    user_id: uuid.UUID | None
    created_at: str
