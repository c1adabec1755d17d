"""Wire models of the listings feed: its (empty) query and one listing."""

from pydantic import BaseModel, Field

from rentengine.validation import WireModel


class ListingsQuery(WireModel):
    """The feed takes no query parameters; any one sent is refused like an unknown field."""


class ListingOut(BaseModel):
    """One Available unit as a website shows it. Only listing data: no ids, no account data."""

    address: str = Field(description="`address.formatted_address`")
    beds: str = Field(description='`bedrooms` ("" when not given)')
    baths: str = Field(description='`bathrooms` ("" when not given)')
    rentAmount: str = Field(description="`target_rental_rate`, $/month")
    photos: list[str] = Field(description="`marketing_photos[].original` of the photos not hidden, in order")
    applyUrl: str | None = Field(description="`custom_application_url`")
    btnUrl: str | None = Field(description="`custom_application_url`: the listing's button links to it")
    btnText: str | None = Field(description='"Apply Now" when there is an application URL, else null')
    waitlistLabel: str | None = Field(
        description='"Available YYYY-MM-DD" while `earliest_move_in_date` is in the future, else null'
    )
    virtualTour: str | None = Field(description="Always null: no unit field holds a virtual tour")
    specials: str | None = Field(description="Always null: no unit field holds rental specials")


# The wire order of a listing's fields (API.md §16).
LISTING_FIELDS: tuple[str, ...] = tuple(ListingOut.model_fields)
