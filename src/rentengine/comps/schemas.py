"""Wire models of market comps: the query and one comp."""

import uuid
from typing import Annotated, Literal, Self

from pydantic import AllowInfNan, BaseModel, Field, model_validator
from pydantic_core import PydanticCustomError

from rentengine.validation import CommaList, Date, WireModel

MAX_RADIUS_MILES = 25
MAX_ZIPCODES = 50
MAX_COMPS = 200

Finite = Annotated[float, AllowInfNan(False)]
ZipCode = Annotated[str, Field(min_length=1, max_length=16, pattern=r"^[^\x00]*$")]
CompStatus = Literal["Rented", "Available"]
CompPropertyType = Literal["Single Family", "Townhouse", "Apartment"]


class CompsQuery(WireModel):
    latitude: Finite = Field(
        ge=-90, le=90, description="Latitude of the subject property", examples=[30.3132]
    )
    longitude: Finite = Field(
        ge=-180, le=180, description="Longitude of the subject property", examples=[-97.7236]
    )
    radius_miles: Finite | None = Field(
        None,
        gt=0,
        le=MAX_RADIUS_MILES,
        description="Search radius; exactly one of this or `zipcodes`",
        examples=[2],
    )
    zipcodes: CommaList[ZipCode] | None = Field(
        None,
        min_length=1,
        max_length=MAX_ZIPCODES,
        description="`78701,78702` or repeated; exactly one of this or `radius_miles`",
    )
    min_beds: Finite | None = Field(None, ge=0)
    max_beds: Finite | None = Field(None, ge=0)
    min_baths: Finite | None = Field(None, ge=0)
    max_baths: Finite | None = Field(None, ge=0)
    min_sqft: Finite | None = Field(None, ge=0)
    max_sqft: Finite | None = Field(None, ge=0)
    min_days_on_market: int | None = Field(None, ge=0, le=100_000)
    max_days_on_market: int | None = Field(None, ge=0, le=100_000)
    start_date: Date | None = Field(
        None, description="`date_rented` on or after this day (Available comps always pass)"
    )
    end_date: Date | None = Field(
        None, description="`date_rented` on or before this day (Available comps always pass)"
    )
    account_id: uuid.UUID | None = Field(None, description="One of your accounts, the call is made for")

    @model_validator(mode="after")
    def _one_area(self) -> Self:
        if (self.radius_miles is None) == (self.zipcodes is None):
            raise PydanticCustomError(
                "oneOf",
                "must have exactly one of radius_miles or zipcodes",
                {"properties": ["radius_miles", "zipcodes"]},
            )
        return self


class CompOut(BaseModel):
    """A nearby Leased (`Rented`) or Available unit: listing data only, no ids, no account data."""

    address: str = Field(description="Street, city, state and zip code, without the unit number")
    unit_number: str | None
    beds: float | None
    baths: float | None
    sqft: float | None
    rent: float = Field(description="Asking rent (`target_rental_rate`), $/month")
    days_on_market: int | None = Field(
        description="Available: days since it became Available. Rented: days it was Available before "
        "it was leased. Null when unknown"
    )
    date_rented: str | None = Field(
        json_schema_extra={"format": "date"}, description="Rented: the day it was leased (UTC)"
    )
    features: list[str] = Field(description="Highlighted amenities, then the other amenities")
    status: CompStatus
    latitude: float
    longitude: float
    property_type: CompPropertyType = Field(
        description="SINGLE FAMILY RESIDENCE → Single Family, TOWNHOUSE → Townhouse, any other → Apartment"
    )
    image: str | None = Field(description="The first photo that is not hidden")
    zipcode: str
    furnished: bool
    in_apartment_complex: bool = Field(description="True for MULTI-FAMILY units")
    num_parking_spots: int | None
    description: str | None = Field(description="`marketing_description`")


COMP_FIELDS: tuple[str, ...] = tuple(CompOut.model_fields)
