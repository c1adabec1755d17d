"""The mock's answers, read once from the OpenAPI document and serialised at start-up.

Every operation gets one `Answer` per documented status: the default example as bytes, its named
examples as bytes, the schema (for `Prefer: dynamic=true`) and the headers the response requires.
The examples come from the document only, so the mock and the reference page can never disagree.
"""

import random
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from rentengine.kit.jsonutil import dumps
from rentengine.mock.dynamic import Schema, generate

# A documented success without an example still answers the same body every time.
_FALLBACK_SEED = 0


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes | None  # None: the response has no content (204)
    named: dict[str, bytes] = field(default_factory=dict)
    schema: Schema | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Operation:
    operation_id: str
    success: int
    answers: dict[int, Answer]

    def statuses(self) -> list[str]:
        return [str(status) for status in sorted(self.answers)]


def resolve(document: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def catalogue(document: dict[str, Any], success: dict[str, int]) -> dict[str, Operation]:
    """Operations by operationId; `success` names the status an operation answers by default."""
    methods = ("get", "put", "post", "delete", "patch")
    found: dict[str, Operation] = {}
    for item in document.get("paths", {}).values():
        for method in methods:
            if method in item:
                operation = _operation(document, item[method], success)
                found[operation.operation_id] = operation
    return found


def _operation(document: dict[str, Any], operation: dict[str, Any], success: dict[str, int]) -> Operation:
    operation_id = operation["operationId"]
    answers = {
        int(status): _answer(document, int(status), response)
        for status, response in operation.get("responses", {}).items()
        if status.isdigit()
    }
    documented = sorted(status for status in answers if 200 <= status < 300)
    default = success.get(operation_id)
    if default not in answers:
        default = documented[0] if documented else 200
    return Operation(operation_id, default, answers)


def _answer(document: dict[str, Any], status: int, response: Any) -> Answer:
    response = resolve(document, response)
    headers = _required_headers(document, response.get("headers", {}))
    media = response.get("content", {}).get("application/json")
    if media is None:
        return Answer(status, None, headers=headers)
    schema = media.get("schema")
    named = {name: dumps(resolve(document, ex)["value"]) for name, ex in media.get("examples", {}).items()}
    if "example" in media:
        body = dumps(media["example"])
    elif named:
        body = next(iter(named.values()))
    else:
        body = dumps(_made_up(document, status, schema))
    return Answer(status, body, named, schema, headers)


def _made_up(document: dict[str, Any], status: int, schema: Schema | None) -> Any:
    """A body for a documented status that shows no example."""
    if status >= 400:
        return {"error": HTTPStatus(status).phrase}
    return generate(document, schema or {}, random.Random(_FALLBACK_SEED))


def _required_headers(document: dict[str, Any], headers: dict[str, Any]) -> dict[str, str]:
    """Values for the headers a response must carry (`WWW-Authenticate`, `Retry-After`)."""
    values: dict[str, str] = {}
    for name, header in headers.items():
        header = resolve(document, header)
        if not header.get("required"):
            continue
        schema = resolve(document, header.get("schema", {}))
        value = header.get("example", schema.get("const", 1 if schema.get("type") == "integer" else "mock"))
        values[name] = str(value)
    return values
