import math
import re
import uuid
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from rentengine.kit.jsonutil import dumps
from rentengine.validation import (
    CommaList,
    Date,
    DateTime,
    Int,
    PageQuery,
    Str,
    WireModel,
    exactly_one_of,
    unique_items,
)

LockboxType = Literal["Sentrilock", "Codebox"]
EventType = Literal["Install", "Uninstall", "Generate Code"]
CodeType = Literal["ACCESS", "SHACKLE"]
# Unit ids live in a 32-bit INTEGER column; larger values cannot name a unit.
MAX_UNIT_ID = 2_147_483_647
MAX_METADATA_BYTES = 8 * 1024
MAX_METADATA_DEPTH = 32
MAX_BATCH = 100
_SURROGATE = re.compile("[\ud800-\udfff]")

# PostgreSQL text cannot hold NUL, and a serial number has no business holding control characters.
Serial = Annotated[Str, Field(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$")]
UnitId = Annotated[Int, Field(ge=1, le=MAX_UNIT_ID)]
NumericId = Annotated[str, Field(pattern=r"^[0-9]{1,18}$")]


def _storable(value: Any, depth: int = 0) -> bool:
    """JSON that every backend stores and returns unchanged: finite numbers, 64-bit integers, no
    NUL characters (PostgreSQL's JSONB refuses them), no lone surrogates, bounded nesting."""
    if depth > MAX_METADATA_DEPTH:
        return False
    if isinstance(value, dict):
        return all(_storable(k) and _storable(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return all(_storable(item, depth + 1) for item in value)
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return -(2**63) <= value < 2**64
    if isinstance(value, str):
        return "\x00" not in value and not _SURROGATE.search(value)
    return True


def _metadata_size(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    if not _storable(value):
        raise PydanticCustomError(
            "storableJson",
            "must hold only finite numbers, 64-bit integers and strings without NUL characters, "
            "nested at most {limit} levels deep",
            {"limit": MAX_METADATA_DEPTH},
        )
    if len(dumps(value)) > MAX_METADATA_BYTES:
        raise PydanticCustomError(
            "maxBytes",
            "must NOT be larger than {limit} bytes when serialised",
            {"limit": MAX_METADATA_BYTES},
        )
    return value


class LockboxQuery(PageQuery):
    serial_numbers: CommaList[Serial] | None = None
    lockbox_ids: CommaList[uuid.UUID] | None = None
    account_id: uuid.UUID | None = None
    lockbox_type: LockboxType | None = None


class LockboxCreate(WireModel):
    lockbox_type: Literal["Sentrilock"] = Field(
        description="Only `Sentrilock`; Codebox lockboxes are added in the portal."
    )
    serial_numbers: Annotated[list[Serial], AfterValidator(unique_items)] = Field(
        min_length=1, max_length=MAX_BATCH
    )
    account_id: uuid.UUID


class LockboxTransfer(WireModel):
    lockbox_ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_BATCH)
    new_account_id: uuid.UUID


class GenerateCode(WireModel):
    """Exactly one of `lockbox_id`, `serial_number` and `unit_id` names the lockbox."""

    model_config = ConfigDict(json_schema_extra=exactly_one_of("lockbox_id", "serial_number", "unit_id"))

    lockbox_id: uuid.UUID | None = None
    serial_number: Serial | None = None
    unit_id: UnitId | None = Field(None, description="The lockbox currently installed on this unit.")
    date: Date = Field(description="The only day (YYYY-MM-DD) on which the code works.")
    created_for: Str | None = Field(
        None, max_length=200, pattern=r"^[^\x00]*$", description="Who the code is for."
    )
    code_type: CodeType = "ACCESS"


class LockboxEventQuery(PageQuery):
    serial_numbers: CommaList[Serial] | None = None
    lockbox_ids: CommaList[uuid.UUID] | None = None
    lockbox_event_ids: CommaList[uuid.UUID] | None = None
    account_id: uuid.UUID | None = None
    lockbox_type: LockboxType | None = None
    event_types: CommaList[EventType] | None = None
    created_at_from: DateTime | None = Field(None, description="created_at >= this instant")
    created_at_to: DateTime | None = Field(None, description="created_at < this instant")
    unit_ids: CommaList[NumericId] | None = Field(None, description="Numeric unit ids, e.g. `12345`.")


class LockboxEventIn(WireModel):
    lockbox_id: uuid.UUID
    event_type: Literal["Install", "Uninstall"]
    unit_id: UnitId
    metadata: Annotated[dict[str, Any] | None, AfterValidator(_metadata_size)] = Field(
        None, description="Free-form object, at most 8 KiB when serialised."
    )


class LockboxEventBatch(WireModel):
    events: list[LockboxEventIn] = Field(min_length=1, max_length=MAX_BATCH)


class LockboxOut(BaseModel):
    id: uuid.UUID
    lockbox_type: LockboxType
    serial_number: str
    account_id: uuid.UUID
    created_at: str
    updated_at: str


class LockboxEventOut(BaseModel):
    id: uuid.UUID
    lockbox_id: uuid.UUID
    event_type: EventType
    unit_id: str | None
    account_id: uuid.UUID
    created_at: str
    metadata: dict[str, Any] | None


class GeneratedCodeOut(BaseModel):
    code: str
    # camelCase is the documented wire spelling of this one field.
    lockboxType: LockboxType
    instructions: str
