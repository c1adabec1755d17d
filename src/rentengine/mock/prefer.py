"""The `Prefer` header of the mock (`code=NNN`, `example=NAME`, `dynamic=true`) and the answer it picks.

Preferences are comma-separated `name=value` tokens (RFC 7240); unknown ones are ignored, as the
RFC asks. An unknown code or example name is the caller's mistake and gets a 400 that lists the
allowed values.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

from rentengine.errors import detail, json_response
from rentengine.kit.jsonutil import dumps
from rentengine.mock.dynamic import generate
from rentengine.mock.examples import Answer, Operation

PREFER_ERROR = "Invalid Prefer header"
_TRUE = {"true", "1", "yes"}


@dataclass(frozen=True)
class Preferences:
    code: str | None = None
    example: str | None = None
    dynamic: bool = False


def parse_prefer(values: Iterable[str]) -> Preferences:
    found: dict[str, str] = {}
    for value in values:
        for token in value.split(","):
            name, _, raw = token.split(";", 1)[0].partition("=")
            found.setdefault(name.strip().lower(), raw.strip().strip('"'))
    return Preferences(
        code=found.get("code"),
        example=found.get("example"),
        dynamic=found.get("dynamic", "").lower() in _TRUE,
    )


def refusal(name: str, allowed: list[str]) -> Response:
    """400 for a preference naming something the operation does not document."""
    item = detail(
        "enum",
        f"/{name}",
        f"Prefer {name} must be equal to one of the allowed values",
        {"allowedValues": allowed},
        f"#/properties/{name}/enum",
    )
    return json_response(400, {"error": PREFER_ERROR, "details": [item]})


def answer(operation: Operation, prefs: Preferences, document: dict[str, Any]) -> Response:
    """The documented response the preferences ask for (the success example by default)."""
    status = operation.success
    if prefs.code is not None:
        if not prefs.code.isdigit() or int(prefs.code) not in operation.answers:
            return refusal("code", operation.statuses())
        status = int(prefs.code)
    chosen = operation.answers[status]
    if prefs.example is not None:
        body = chosen.named.get(prefs.example)
        if body is None:
            return refusal("example", sorted(chosen.named))
        return _response(chosen, body)
    if prefs.dynamic and chosen.schema is not None:
        return _response(chosen, dumps(generate(document, chosen.schema)))
    return _response(chosen, chosen.body)


def _response(chosen: Answer, body: bytes | None) -> Response:
    if body is None:
        return Response(status_code=chosen.status, headers=chosen.headers)
    return Response(body, status_code=chosen.status, headers=chosen.headers, media_type="application/json")
