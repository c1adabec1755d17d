"""Random, schema-valid JSON for `Prefer: dynamic=true`.

A small generator for the JSON Schema subset the OpenAPI document uses: `$ref`, `anyOf` (nullable
fields), `type`, `enum`, `const`, the formats uuid/date-time/date/uri/email, numeric bounds, string
lengths, simple patterns, arrays (`items`, `prefixItems`, min/maxItems) and objects (required and
optional properties, `additionalProperties`). Seed the `random.Random` for reproducible output.
"""

import random
import re
import string
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

Schema = dict[str, Any]

_WORDS = ("oak", "maple", "sunset", "harbor", "cedar", "river", "summit", "park", "bay", "lake")
# `^[A-Za-z]{2}$` and the like: one character class repeated a fixed or bounded number of times.
_SIMPLE_PATTERN = re.compile(r"^\^\[((?:[^\]\\]|\\.)+)\]\{(\d+)(?:,(\d+))?\}\$$")
_EPOCH = datetime(2023, 1, 1, tzinfo=UTC)
_MAX_DEPTH = 8


class Generator:
    """Generates values for the schemas of one document (`#/components/...` references resolve)."""

    def __init__(self, document: dict[str, Any], rng: random.Random) -> None:
        self.document = document
        self.rng = rng

    def resolve(self, schema: Schema) -> Schema:
        while "$ref" in schema:
            target: Any = self.document
            for part in schema["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            schema = target
        return schema

    def value(self, schema: Schema, depth: int = 0) -> Any:
        schema = self.resolve(schema)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return self.rng.choice(schema["enum"])
        branches = schema.get("anyOf") or schema.get("oneOf")
        if branches:
            # Keywords beside `anyOf` (e.g. `format`) apply to whichever branch is taken.
            beside = {k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")}
            options = [{**beside, **self.resolve(branch)} for branch in branches]
            concrete = [option for option in options if option.get("type") != "null"]
            nullable = len(concrete) < len(options)
            # Real values more often than null, and null always once nesting gets deep.
            if concrete and (not nullable or (depth < _MAX_DEPTH and self.rng.random() < 0.75)):
                return self.value(self.rng.choice(concrete), depth + 1)
            return None
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = self.rng.choice(kind)
        if kind is None and ("properties" in schema or "additionalProperties" in schema):
            kind = "object"
        maker = _MAKERS.get(kind) if isinstance(kind, str) else None
        # `{}` accepts any value; a word is one.
        return maker(self, schema, depth) if maker is not None else self.word()

    def word(self) -> str:
        return f"{self.rng.choice(_WORDS)}-{self.rng.randint(1, 999)}"


def _string(gen: Generator, schema: Schema, _depth: int) -> str:
    rng = gen.rng
    fmt = schema.get("format")
    if fmt == "uuid":
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))
    if fmt in ("date-time", "date"):
        moment = _EPOCH + timedelta(
            seconds=rng.randint(0, 3 * 365 * 86400), microseconds=rng.randint(0, 999999)
        )
        return moment.date().isoformat() if fmt == "date" else moment.isoformat().replace("+00:00", "Z")
    if fmt in ("uri", "url"):
        return f"https://example.com/{gen.word()}"
    if fmt == "email":
        return f"{gen.word()}@example.com"
    return _bounded_text(gen, schema)


def _bounded_text(gen: Generator, schema: Schema) -> str:
    low = int(schema.get("minLength", 1))
    high = int(schema.get("maxLength", max(low, 24)))
    pattern = schema.get("pattern")
    simple = _SIMPLE_PATTERN.match(pattern) if pattern else None
    if simple is not None:
        alphabet = _expand_class(simple.group(1))
        count = gen.rng.randint(int(simple.group(2)), int(simple.group(3) or simple.group(2)))
        return "".join(gen.rng.choice(alphabet) for _ in range(count))
    text = gen.word()
    text = (text * (low // len(text) + 1))[: max(low, min(len(text), high))]
    # Letters, digits and "-" satisfy every other pattern of the document (no NUL, no control
    # characters, no outer blanks); anything else falls back to plain letters.
    if pattern and re.search(pattern, text) is None:
        text = "".join(gen.rng.choice(string.ascii_letters) for _ in range(max(low, 1)))
    return text


def _expand_class(body: str) -> str:
    """The characters of a regex class body without negation (`A-Za-z0-9_`)."""
    chars: list[str] = []
    index = 0
    while index < len(body):
        if index + 2 < len(body) and body[index + 1] == "-":
            chars.extend(chr(c) for c in range(ord(body[index]), ord(body[index + 2]) + 1))
            index += 3
        else:
            chars.append(body[index + 1] if body[index] == "\\" and index + 1 < len(body) else body[index])
            index += 2 if body[index] == "\\" else 1
    return "".join(chars)


def _number(gen: Generator, schema: Schema, _depth: int) -> float:
    low = float(schema.get("minimum", schema.get("exclusiveMinimum")) or 0)
    top = schema.get("maximum", schema.get("exclusiveMaximum"))
    high = float(top) if top is not None else low + 5000
    value = round(gen.rng.uniform(low, high), 2)
    if ("exclusiveMinimum" in schema and value <= low) or ("exclusiveMaximum" in schema and value >= high):
        value = (low + high) / 2
    return min(max(value, low), high)


def _integer(gen: Generator, schema: Schema, _depth: int) -> int:
    low = int(schema.get("minimum", 0))
    if "exclusiveMinimum" in schema:
        low = int(schema["exclusiveMinimum"]) + 1
    high = int(schema.get("maximum", low + 5000))
    if "exclusiveMaximum" in schema:
        high = int(schema["exclusiveMaximum"]) - 1
    return gen.rng.randint(low, min(high, low + 100000))


def _array(gen: Generator, schema: Schema, depth: int) -> list[Any]:
    prefix = schema.get("prefixItems")
    if prefix is not None:
        return [gen.value(item, depth + 1) for item in prefix]
    low = int(schema.get("minItems", 0))
    high = int(schema.get("maxItems", max(low, 3)))
    count = gen.rng.randint(low, min(high, max(low, 3 if depth < 3 else low)))
    items = schema.get("items", {})
    return [gen.value(items, depth + 1) for _ in range(count)]


def _object(gen: Generator, schema: Schema, depth: int) -> dict[str, Any]:
    required = set(schema.get("required", ()))
    out: dict[str, Any] = {}
    for name, prop in schema.get("properties", {}).items():
        if name in required or (depth < _MAX_DEPTH and gen.rng.random() < 0.7):
            out[name] = gen.value(prop, depth + 1)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict) and not schema.get("properties") and depth < _MAX_DEPTH:
        limit = min(2, int(schema.get("maxProperties", 2)))
        for _ in range(gen.rng.randint(0, limit)):
            out[gen.word()] = gen.value(extra, depth + 1)
    elif extra is True and not schema.get("properties") and gen.rng.random() < 0.5:
        out[gen.word()] = gen.word()
    return out


_MAKERS: dict[str, Any] = {
    "string": _string,
    "number": _number,
    "integer": _integer,
    "boolean": lambda gen, _schema, _depth: gen.rng.random() < 0.5,
    "null": lambda _gen, _schema, _depth: None,
    "array": _array,
    "object": _object,
}


def generate(document: dict[str, Any], schema: Schema, rng: random.Random | None = None) -> Any:
    """One random value valid against `schema` (a schema of `document`, refs resolved against it)."""
    return Generator(document, rng or random.Random()).value(schema)
