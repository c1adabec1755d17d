"""Wire models of units: the list query, the upsert body and the documented response shape."""

import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from rentengine.validation import (
    Bool,
    CommaList,
    Date,
    DateTime,
    Int,
    Number,
    PageQuery,
    Str,
    WireModel,
    update_or_create,
)

UnitStatus = Literal[
    "Incomplete",
    "Under Review",
    "Available",
    "Archived",
    "Leased",
    "On Hold",
    "Expired",
    "Withdrawn",
    "Withdrawal Requested",
    "Price Analysis",
]
PropertyType = Literal[
    "SINGLE FAMILY RESIDENCE", "DUPLEX", "TRIPLEX", "MULTI-FAMILY", "CONDO", "TOWNHOUSE", "ROOM", "ADU"
]
# The published enum is cut off after "Machines In…" (API.md §21.1); "Machines In Unit" completes it.
Laundry = Literal[
    "In Unit", "Shared", "Coin-op", "Hookups but no machines", "Machines In Unit", "On-site", "None"
]
ParkingType = Literal[
    "Street", "Carport", "Assigned Spots", "Driveway", "Shared Garage", "Private Garage", "Paid Parking"
]
ShowingMethod = Literal["Accompanied", "Remote Guided", "Remote Guided with Gated Access", "Self Guided"]
Country = Literal["United States"]

CREATE_REQUIRED = ("address", "property_type", "target_rental_rate", "account_id")
MIN_YEAR_BUILT = 1600
YEARS_AHEAD = 5
# Keys of `structured_access_instructions` that make sense for each showing method.
ACCOMPANIED_KEYS = frozenset({"assigned_user_ids", "meeting_location", "notes"})
UNACCOMPANIED_KEYS = frozenset({"lockbox_location", "lockbox_code", "notes"})

# PostgreSQL stores no NUL character in text or JSON; refusing it keeps such input a 400, not a 500.
NO_NUL = r"^[^\x00]*$"
Text = Annotated[Str, Field(pattern=NO_NUL)]
QueryText = Annotated[str, Field(pattern=NO_NUL)]
NonNegative = Annotated[Number, Field(ge=0)]
ShortText = Annotated[Text, Field(max_length=200)]
Longitude = Annotated[Number, Field(ge=-180, le=180)]
Latitude = Annotated[Number, Field(ge=-90, le=90)]


def _pair_length(value: Any) -> Any:
    # A short pair is "too few items" (AJV minItems), not a missing second element.
    if isinstance(value, list | tuple) and len(value) < 2:
        raise PydanticCustomError("too_short", "too short", {"min_length": 2})
    return value


Coordinates = Annotated[tuple[Longitude, Latitude], BeforeValidator(_pair_length)]
ZipCode = Annotated[QueryText, Field(min_length=1, max_length=16)]
LeaseMonths = Annotated[Int, Field(ge=1, le=120)]


class UnitQuery(PageQuery):
    # camelCase as documented; `account_id` is refused like any other unknown parameter.
    unitIds: CommaList[int] | None = Field(
        None, max_length=1000, description="Unit ids, `1,2` or repeated; ids you cannot see match nothing"
    )
    accountId: uuid.UUID | None = Field(None, description="One of your accounts (default: all of them)")
    statuses: CommaList[UnitStatus] | None = Field(
        None, max_length=100, description="`Available,On Hold` or repeated (default: every status)"
    )
    extracted_from: QueryText | None = Field(None, max_length=2048, description="Exact match")
    city: QueryText | None = Field(None, max_length=100, description="Case-insensitive exact match")
    zip_codes: CommaList[ZipCode] | None = Field(
        None, max_length=1000, description="`78701,78702` or repeated"
    )
    updated_after: DateTime | None = Field(None, description="`updated_at` >= this")
    updated_before: DateTime | None = Field(None, description="`updated_at` < this")


class UnitAddress(WireModel):
    """Sent whole: the stored address is replaced (an omitted `unit` is cleared)."""

    street_number: Text = Field(min_length=1, max_length=32)
    street_name: Text = Field(min_length=1, max_length=200)
    unit: Text | None = Field(None, max_length=32)
    city: Text = Field(min_length=1, max_length=100)
    state: Str = Field(pattern=r"^[A-Za-z]{2}$", description="Two-letter state code")
    zip_code: Text = Field(min_length=1, max_length=16)
    country: Country = "United States"
    coordinates: Coordinates | None = Field(None, description="[longitude, latitude]")


class UnitFee(WireModel):
    name: Text = Field(min_length=1, max_length=200)
    type: Text = Field(max_length=100)
    amount: NonNegative


class UnitPhoto(WireModel):
    path: Text = Field(min_length=1, max_length=2048)
    hidden: Bool


class UnitAccessInstructions(WireModel):
    """Self/Remote methods: lockbox keys; Accompanied: assigned users and meeting place; all: notes."""

    lockbox_location: Text | None = Field(None, max_length=500)
    lockbox_code: Text | None = Field(None, max_length=64)
    assigned_user_ids: list[uuid.UUID] | None = Field(None, max_length=50)
    meeting_location: Text | None = Field(None, max_length=500)
    notes: Text | None = Field(None, max_length=2000)


class UnitPrescreenRules(WireModel):
    min_credit_score_band: Text | None = Field(None, max_length=50)
    min_income_to_rent_ratio: NonNegative | None = None


class UnitUpsert(WireModel):
    """Without `id`: create. With `id`: update only the fields sent; `null` clears a nullable field."""

    model_config = ConfigDict(json_schema_extra=update_or_create(CREATE_REQUIRED))

    id: Int | None = None
    account_id: uuid.UUID = None  # type: ignore[assignment]
    status: UnitStatus = None  # type: ignore[assignment]
    address: UnitAddress = None  # type: ignore[assignment]
    property_type: PropertyType = None  # type: ignore[assignment]
    bedrooms: NonNegative | None = None
    bathrooms: NonNegative | None = None
    sqft: NonNegative | None = None
    # Stored in a 32-bit integer column.
    num_parking_spots: Int | None = Field(None, ge=0, le=2_147_483_647)
    target_rental_rate: Number = Field(None, gt=0)  # type: ignore[assignment]
    furnished: Bool = None  # type: ignore[assignment]
    renovated: ShortText | None = None
    laundry: Laundry | None = None
    is_occupied: Bool = None  # type: ignore[assignment]
    allow_cooperating_brokers: Bool | None = None
    hoa_app_required: Bool | None = None
    earliest_move_in_date: Date | None = None
    earliest_showing_date: Date | None = None
    desired_lease_duration_months: list[LeaseMonths] = Field(None, max_length=24)  # type: ignore[arg-type]
    pets_allowed: ShortText | None = None
    pet_restrictions: Text | None = Field(None, max_length=2000)
    key_access: Text | None = Field(None, max_length=2000)
    hoa_application_url: Text | None = Field(None, max_length=2048)
    hoa_app_fee: NonNegative | None = None
    highlighted_amenities: list[ShortText] = Field(None, max_length=200)  # type: ignore[arg-type]
    amenities: list[ShortText] = Field(None, max_length=500)  # type: ignore[arg-type]
    utilities_included: list[ShortText] = Field(None, max_length=100)  # type: ignore[arg-type]
    parking_type: list[ParkingType] = Field(None, max_length=20)  # type: ignore[arg-type]
    monthly_fees: list[UnitFee] = Field(None, max_length=100)  # type: ignore[arg-type]
    move_in_fees: list[UnitFee] = Field(None, max_length=100)  # type: ignore[arg-type]
    pet_fees: list[UnitFee] = Field(None, max_length=100)  # type: ignore[arg-type]
    marketing_photos: list[UnitPhoto] = Field(None, max_length=200)  # type: ignore[arg-type]
    marketing_description: Text | None = Field(None, max_length=20_000)
    custom_application_url: Text | None = Field(None, max_length=2048)
    min_resident_qualifications: Text | None = Field(None, max_length=10_000)
    storm_protection: Text | None = Field(None, max_length=2000)
    internal_notes: Text | None = Field(None, max_length=20_000)
    showing_method: ShowingMethod | None = None
    structured_access_instructions: UnitAccessInstructions | None = Field(
        None, description="Requires `showing_method` in the same request"
    )
    accepts_vouchers: Bool | None = None
    has_elevator: Bool | None = None
    prescreen_rules: UnitPrescreenRules | None = None
    prescreen_template_id: Int | None = Field(None, ge=1, le=2_147_483_647)
    floor_number: Int | None = Field(None, ge=-10, le=300)
    year_built: Int | None = Field(None, ge=MIN_YEAR_BUILT)
    commission_amount: NonNegative | None = None
    extracted_from: Text | None = Field(None, max_length=2048)


class UnitAddressOut(BaseModel):
    id: int
    formatted_address: str
    street_number: str
    street_name: str
    unit: str | None
    city: str
    state: str
    zip_code: str
    country: str
    coordinates: list[float] | None = Field(description="[longitude, latitude]", min_length=2, max_length=2)


class UnitFeeOut(BaseModel):
    name: str
    type: str
    amount: float


class UnitPhotoOut(BaseModel):
    path: str
    hidden: bool
    original: str = Field(description="Full URL of the photo")


class UnitAccessInstructionsOut(BaseModel):
    lockbox_location: str | None = None
    lockbox_code: str | None = None
    assigned_user_ids: list[uuid.UUID] | None = None
    meeting_location: str | None = None
    notes: str | None = None


class UnitPrescreenRulesOut(BaseModel):
    min_credit_score_band: str | None
    min_income_to_rent_ratio: float | None


class UnitOut(BaseModel):
    """A unit as GET returns it (also the POST response and the webhook record)."""

    id: int
    account_id: uuid.UUID
    status: UnitStatus
    address: UnitAddressOut
    property_type: PropertyType
    bedrooms: str | None
    bathrooms: str | None
    sqft: str | None
    num_parking_spots: str | None
    target_rental_rate: str
    furnished: bool
    renovated: str | None
    laundry: Laundry | None
    is_occupied: bool = Field(description="Never null: `false` unless set")
    allow_cooperating_brokers: bool | None
    hoa_app_required: bool | None
    earliest_move_in_date: str | None = Field(json_schema_extra={"format": "date"})
    earliest_showing_date: str | None = Field(json_schema_extra={"format": "date"})
    desired_lease_duration_months: list[int]
    pets_allowed: str | None
    pet_restrictions: str | None
    key_access: str | None
    hoa_application_url: str | None
    hoa_app_fee: float | None
    highlighted_amenities: list[str]
    amenities: list[str]
    utilities_included: list[str]
    parking_type: list[ParkingType]
    monthly_fees: list[UnitFeeOut]
    move_in_fees: list[UnitFeeOut]
    pet_fees: list[UnitFeeOut]
    marketing_photos: list[UnitPhotoOut]
    marketing_description: str | None
    custom_application_url: str | None
    min_resident_qualifications: str | None
    storm_protection: str | None
    internal_notes: str | None
    showing_method: ShowingMethod | None
    structured_access_instructions: UnitAccessInstructionsOut | None
    accepts_vouchers: bool | None
    has_elevator: bool | None
    prescreen_rules: UnitPrescreenRulesOut | None
    prescreen_template_id: int | None
    floor_number: int | None
    year_built: int | None
    commission_amount: float | None
    extracted_from: str | None
    created_at: str = Field(json_schema_extra={"format": "date-time"})
    updated_at: str = Field(json_schema_extra={"format": "date-time"})


# The wire order of the unit object's fields (API.md §6.3).
WIRE_FIELDS: tuple[str, ...] = tuple(UnitOut.model_fields)
# Attributes kept in `Unit.attributes` (JSON) and their value when never sent.
ATTRIBUTE_DEFAULTS: dict[str, Any] = {
    "furnished": False,
    "renovated": None,
    "laundry": None,
    "is_occupied": False,
    "allow_cooperating_brokers": None,
    "hoa_app_required": None,
    "desired_lease_duration_months": [],
    "pets_allowed": None,
    "pet_restrictions": None,
    "key_access": None,
    "hoa_application_url": None,
    "hoa_app_fee": None,
    "highlighted_amenities": [],
    "amenities": [],
    "utilities_included": [],
    "parking_type": [],
    "monthly_fees": [],
    "move_in_fees": [],
    "pet_fees": [],
    "marketing_photos": [],
    "marketing_description": None,
    "custom_application_url": None,
    "min_resident_qualifications": None,
    "storm_protection": None,
    "internal_notes": None,
    "structured_access_instructions": None,
    "accepts_vouchers": None,
    "has_elevator": None,
    "prescreen_rules": None,
    "prescreen_template_id": None,
    "floor_number": None,
    "year_built": None,
    "commission_amount": None,
}
# Attributes with a column of their own (filters, reporting).
COLUMN_FIELDS = frozenset(
    {
        "status",
        "property_type",
        "bedrooms",
        "bathrooms",
        "sqft",
        "num_parking_spots",
        "target_rental_rate",
        "extracted_from",
        "showing_method",
        "earliest_move_in_date",
        "earliest_showing_date",
    }
)
