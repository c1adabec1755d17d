import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from rentengine.validation import Bool, Int, PageQuery, QueryBool, Str, WireModel, update_or_create

StructureType = Literal["Mid Rise", "High Rise", "Garden Style"]
CREATE_REQUIRED = (
    "community_name",
    "building_count",
    "unit_count",
    "structure_type",
    "year_built",
    "photos",
    "text_address",
    "account_id",
)
MIN_YEAR_BUILT = 1800
YEARS_AHEAD = 5


class PropertyQuery(PageQuery):
    account_id: uuid.UUID | None = None
    id: uuid.UUID | None = None
    deleted: QueryBool = Field(False, description="false: only live properties; true: only soft-deleted ones")


class Photo(WireModel):
    path: Str = Field(min_length=1, max_length=2048)
    hidden: Bool


class PropertyUpsert(WireModel):
    """Without `id`: create. With `id`: update only the fields sent."""

    model_config = ConfigDict(json_schema_extra=update_or_create(CREATE_REQUIRED))

    id: uuid.UUID | None = None
    community_name: Str = Field(None, min_length=1, max_length=200)  # type: ignore[assignment]
    building_count: Int = Field(None, ge=1, le=100_000)  # type: ignore[assignment]
    unit_count: Int = Field(None, ge=1, le=1_000_000)  # type: ignore[assignment]
    description: Str | None = Field(None, max_length=10_000)
    structure_type: StructureType = None  # type: ignore[assignment]
    year_built: Int = Field(None, ge=MIN_YEAR_BUILT)  # type: ignore[assignment]
    photos: list[Photo] = Field(None, max_length=200)  # type: ignore[arg-type]
    external_ids: dict[str, Str] | None = Field(None, max_length=100)
    text_address: Str = Field(None, min_length=1, max_length=500)  # type: ignore[assignment]
    account_id: uuid.UUID = None  # type: ignore[assignment]
    deleted: Bool = None  # type: ignore[assignment]


class PhotoOut(BaseModel):
    path: str
    hidden: bool


class PropertyOut(BaseModel):
    id: uuid.UUID
    community_name: str
    building_count: int
    unit_count: int
    description: str | None
    structure_type: StructureType
    year_built: int
    photos: list[PhotoOut]
    external_ids: dict[str, str]
    text_address: str
    account_id: uuid.UUID
    created_at: str
    updated_at: str
    # Our additions: always sent, but optional in the schema because upstream records (and the
    # official examples) do not have them.
    deleted: bool = False
    paid_feed_requirements: list[str] = Field(default_factory=list)
