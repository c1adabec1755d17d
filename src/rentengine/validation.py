"""Request validation: strict wire types, and pydantic errors rendered as AJV v8 items."""

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AllowInfNan, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, Strict
from pydantic_core import PydanticCustomError

from rentengine.errors import BadRequest, Detail, detail, pointer

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _format_error(fmt: str) -> PydanticCustomError:
    return PydanticCustomError("format", 'must match format "{format}"', {"format": fmt})


def _parse_datetime(value: Any) -> datetime:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value
    if not isinstance(value, str) or not _RFC3339.match(value):
        raise _format_error("date-time")
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z"))
        # An instant whose UTC time falls outside years 1-9999 cannot be compared or stored.
        parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        raise _format_error("date-time") from None
    return parsed


def _parse_date(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _DATE.match(value):
        raise _format_error("date")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _format_error("date") from None


# RFC 3339 with an offset; a bare date is refused with `must match format "date-time"`.
DateTime = Annotated[
    datetime, BeforeValidator(_parse_datetime), Field(json_schema_extra={"format": "date-time"})
]
Date = Annotated[date, BeforeValidator(_parse_date), PlainSerializer(lambda d: d.isoformat())]


def _split_commas(value: Any) -> Any:
    """`a,b` and repeated parameters are both accepted for array query parameters."""
    items = value if isinstance(value, list) else [value]
    out: list[Any] = []
    for item in items:
        if isinstance(item, str):
            out.extend(part.strip() for part in item.split(",") if part.strip() != "")
        else:
            out.append(item)
    return out


def _strict_bool(value: Any) -> Any:
    if isinstance(value, str):
        if value in ("true", "false"):
            return value == "true"
        raise PydanticCustomError("type", "must be boolean", {"type": "boolean"})
    return value


QueryBool = Annotated[bool, BeforeValidator(_strict_bool)]


if TYPE_CHECKING:
    # Type checkers see the plain list that validation produces.
    CommaList = list
else:

    class CommaList:
        """`CommaList[int]` → a list query parameter accepting `1,2` and repeated keys."""

        def __class_getitem__(cls, item: Any) -> Any:
            return Annotated[list[item], BeforeValidator(_split_commas)]


class WireModel(BaseModel):
    """Request models refuse unknown fields (AJV `additionalProperties: false`)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# Markers that `rentengine.openapi` turns into one named schema per variant, which JSON Schema
# validators check and client generators turn into one type each.
ONE_OF_FIELDS = "x-one-of-fields"
UPSERT = "x-upsert-create-required"


def exactly_one_of(*names: str) -> dict[str, Any]:
    """A body naming its target by exactly one of these fields (a null field counts as not sent)."""
    return {ONE_OF_FIELDS: list(names)}


def update_or_create(create_required: Sequence[str]) -> dict[str, Any]:
    """An upsert body: an update sends `id`; a create sends no `id` and what a create needs."""
    return {UPSERT: list(create_required)}


class PageQuery(WireModel):
    limit: int = Field(50, ge=1, le=100)
    page_number: int = Field(0, ge=0, le=100_000)

    @property
    def offset(self) -> int:
        return self.limit * self.page_number


_TYPE_NAMES = {
    "int": "integer",
    "float": "number",
    "string": "string",
    "bool": "boolean",
    "list": "array",
    "dict": "object",
    "model": "object",
    "model_attributes": "object",
    "decimal": "number",
    "tuple": "array",
    "set": "array",
}
_LIMITS = {
    "greater_than_equal": ("minimum", ">=", "ge"),
    "greater_than": ("exclusiveMinimum", ">", "gt"),
    "less_than_equal": ("maximum", "<=", "le"),
    "less_than": ("exclusiveMaximum", "<", "lt"),
}
_LENGTHS = {
    "string_too_short": ("minLength", "fewer", "min_length", "characters"),
    "string_too_long": ("maxLength", "more", "max_length", "characters"),
    "too_short": ("minItems", "fewer", "min_length", "items"),
    "too_long": ("maxItems", "more", "max_length", "items"),
}
_FORMATS = {"uuid": "uuid", "datetime": "date-time", "date": "date", "url": "uri", "time": "time"}


def _schema_path(parts: Sequence[str | int], keyword: str) -> str:
    steps = ["items" if isinstance(p, int) else f"properties/{p}" for p in parts]
    return "#/" + "/".join([*steps, keyword])


def _one(err: dict[str, Any], located: bool) -> Detail:
    # FastAPI prefixes each location with "body", "query" or "path"; plain pydantic does not.
    raw = err.get("loc", ())
    loc: list[str | int] = [p for p in (raw[1:] if located else raw) if isinstance(p, (str, int))]
    kind: str = err["type"]
    ctx: dict[str, Any] = err.get("ctx") or {}
    path = pointer(loc)
    if kind == "missing":
        if not loc:
            return detail("type", "", "must be object", {"type": "object"}, "#/type")
        name = loc[-1]
        return detail(
            "required",
            pointer(loc[:-1]),
            f"must have required property '{name}'",
            {"missingProperty": name},
            _schema_path(loc[:-1], "required"),
        )
    if kind == "extra_forbidden":
        return detail(
            "additionalProperties",
            pointer(loc[:-1]),
            "must NOT have additional properties",
            {"additionalProperty": loc[-1]},
            _schema_path(loc[:-1], "additionalProperties"),
        )
    if kind == "json_invalid":
        return detail("json", "", f"body must be valid JSON ({ctx.get('error', 'parse error')})", {}, "#")
    if kind in ("enum", "literal_error"):
        allowed = ctx.get("expected", "")
        return detail(
            "enum",
            path,
            "must be equal to one of the allowed values",
            {"allowedValues": _allowed(allowed)},
            _schema_path(loc, "enum"),
        )
    if kind in _LIMITS:
        keyword, comparison, key = _LIMITS[kind]
        limit = ctx.get(key)
        return detail(
            keyword,
            path,
            f"must be {comparison} {limit}",
            {"comparison": comparison, "limit": limit},
            _schema_path(loc, keyword),
        )
    if kind in _LENGTHS:
        keyword, word, key, unit = _LENGTHS[kind]
        limit = ctx.get(key)
        return detail(
            keyword,
            path,
            f"must NOT have {word} than {limit} {unit}",
            {"limit": limit},
            _schema_path(loc, keyword),
        )
    if kind == "string_pattern_mismatch":
        pattern = ctx.get("pattern")
        return detail(
            "pattern",
            path,
            f'must match pattern "{pattern}"',
            {"pattern": pattern},
            _schema_path(loc, "pattern"),
        )
    if kind == "format":
        fmt = ctx.get("format")
        return detail(
            "format", path, f'must match format "{fmt}"', {"format": fmt}, _schema_path(loc, "format")
        )
    prefix = kind.split("_")[0]
    if prefix in _FORMATS:
        fmt = _FORMATS[prefix]
        return detail(
            "format", path, f'must match format "{fmt}"', {"format": fmt}, _schema_path(loc, "format")
        )
    for name, json_type in sorted(_TYPE_NAMES.items(), key=lambda kv: -len(kv[0])):
        if kind.startswith(name + "_") or kind == name:
            return detail(
                "type", path, f"must be {json_type}", {"type": json_type}, _schema_path(loc, "type")
            )
    if kind == "type":
        return detail("type", path, err["msg"], ctx, _schema_path(loc, "type"))
    # Custom rule errors raised by our validators carry their keyword as the error type.
    return detail(kind, path, err["msg"], ctx, _schema_path(loc, kind))


def _allowed(expected: str) -> list[str]:
    # pydantic renders the choices as "'A', 'B' or 'C'"; AJV lists them.
    return re.findall(r"'((?:[^'\\]|\\.)*)'", expected)


def translate_errors(errors: Iterable[Any], located: bool = True) -> list[Detail]:
    seen: set[tuple[str, str, str]] = set()
    out: list[Detail] = []
    for err in errors:
        item = _one(dict(err), located)
        key = (item["keyword"], item["instancePath"], item["message"])
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


# Body scalars are strict: JSON "3" is not an integer and 1 is not a boolean, as with AJV.
Int = Annotated[int, Strict()]
Number = Annotated[float, Strict(), AllowInfNan(False)]
Bool = Annotated[bool, Strict()]
Str = Annotated[str, Strict()]


def require_fields(model: BaseModel, names: Iterable[str], base: str = "") -> None:
    """400 `required` for each named field the caller did not send (create-only requirements)."""
    missing = [name for name in names if name not in model.model_fields_set]
    if missing:
        raise BadRequest(
            [
                detail(
                    "required",
                    base,
                    f"must have required property '{name}'",
                    {"missingProperty": name},
                    "#/required",
                )
                for name in missing
            ]
        )


def rule_error(path: str, keyword: str, message: str, params: dict[str, Any] | None = None) -> BadRequest:
    """A 400 for a rule that a schema cannot express (one item)."""
    return BadRequest([detail(keyword, path, message, params or {})])


def unique_items(items: list[Any]) -> list[Any]:
    """AfterValidator for arrays whose items must be unique (AJV `uniqueItems`)."""
    # Same scan and message as AJV's uniqueItems: from the end, reporting the first pair it meets.
    seen: dict[Any, int] = {}
    for i in range(len(items) - 1, -1, -1):
        if items[i] in seen:
            j = seen[items[i]]
            raise PydanticCustomError(
                "uniqueItems",
                "must NOT have duplicate items (items ## {j} and {i} are identical)",
                {"i": i, "j": j},
            )
        seen[items[i]] = i
    return items
