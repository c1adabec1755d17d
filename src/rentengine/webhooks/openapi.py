"""The document's `webhooks` section (OpenAPI 3.1, API.md §19): for each table, the request a
receiver gets: its headers, and the payload whose `record` has that table's GET representation.

Generators and validators read it like the paths; the test send takes its example record from it.
"""

import copy
from typing import Any

from rentengine.showings.examples import SHOWING
from rentengine.showings.schemas import ShowingRecord
from rentengine.webhooks.schemas import WEBHOOK_TABLES

SCHEMAS = "#/components/schemas/"
# Tables whose records no operation returns (a booking answers `{"statusText": "success"}`).
RECORDS_WITHOUT_OPERATION: dict[str, tuple[type[ShowingRecord], dict[str, Any]]] = {
    "showings": (ShowingRecord, SHOWING),
}
_HEADERS = (
    ("X-API-Key", False, "The subscription's `api_key`, when it has one: compare it in constant time"),
    ("webhook-id", True, "The event's id, the same across retries and redeliveries: deduplicate on it"),
    ("webhook-timestamp", True, "Unix seconds of this attempt"),
    (
        "webhook-signature",
        True,
        "`v1,` + base64 HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{body}` with the "
        "subscription's secret (Standard Webhooks); several are space-separated",
    ),
    ("webhook-test", False, "`true` on a test send (`POST /webhooks/{id}/test`) only"),
    (
        "X-Request-Id",
        False,
        "The id of the API request that made the change (the delivery's `request_id`), to match the "
        "receiver's log with the server's; absent for changes made outside a request",
    ),
)
DESCRIPTION = """A change of one row of `{table}`, POSTed to each enabled subscription that lists
the table and the change's type, after the change's transaction commits. `record` is the row as
its GET representation shows it (null for a DELETE), `old_record` the row before (null for an
INSERT). Any 2xx acknowledges; anything else is retried with backoff (at least once, possibly more:
deduplicate on `webhook-id`); 410 Gone disables the subscription."""


def webhooks_section(document: dict[str, Any]) -> dict[str, Any]:
    """One `post` per table; adds the record schemas no operation brings to the components."""
    schemas = document["components"]["schemas"]
    for model, _example in RECORDS_WITHOUT_OPERATION.values():
        schemas.setdefault(model.__name__, model.model_json_schema(ref_template=SCHEMAS + "{model}"))
    return {table: _path_item(table, _record_schema(document, table), example_record(document, table))
            for table in WEBHOOK_TABLES}  # fmt: skip


def _path_item(table: str, record: dict[str, Any], example: dict[str, Any]) -> dict[str, Any]:
    nullable = {"anyOf": [record, {"type": "null"}]}
    payload = {
        "type": "object",
        "required": ["type", "table", "record", "old_record"],
        "additionalProperties": False,
        "properties": {
            "type": {"type": "string", "enum": ["INSERT", "UPDATE", "DELETE"]},
            "table": {"type": "string", "const": table},
            "record": nullable,
            "old_record": copy.deepcopy(nullable),
        },
    }
    body = {"type": "INSERT", "table": table, "record": example, "old_record": None}
    return {
        "post": {
            "operationId": f"{_camel(table)}Changed",
            "summary": f"A change of {table.replace('_', ' ')}",
            "description": DESCRIPTION.format(table=table),
            "parameters": [
                {
                    "name": name,
                    "in": "header",
                    "required": required,
                    "description": text,
                    "schema": {"type": "string"},
                }
                for name, required, text in _HEADERS
            ],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": payload, "example": body}},
            },
            "responses": {
                "2XX": {"description": "Received"},
                "410": {"description": "Gone: the subscription is disabled, its open deliveries cancelled"},
            },
        }
    }


def _camel(table: str) -> str:
    first, *rest = table.split("_")
    return first + "".join(word.capitalize() for word in rest)


def _record_schema(document: dict[str, Any], table: str) -> dict[str, Any]:
    """The schema of the table's records: its GET list's items (a bare array or the `env` data)."""
    if table in RECORDS_WITHOUT_OPERATION:
        return {"$ref": SCHEMAS + RECORDS_WITHOUT_OPERATION[table][0].__name__}
    listed = document["paths"][f"/{table}"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ]
    if "$ref" in listed:  # the `env` envelope
        listed = document["components"]["schemas"][listed["$ref"].removeprefix(SCHEMAS)]["properties"]["data"]
    items: dict[str, Any] = listed["items"]
    return items


def example_record(document: dict[str, Any], table: str) -> dict[str, Any]:
    """The table's example record: from its GET list, else its POST answer."""
    if table in RECORDS_WITHOUT_OPERATION:
        return RECORDS_WITHOUT_OPERATION[table][1]
    item = document.get("paths", {}).get(f"/{table}", {})
    for method, status in (("get", "200"), ("post", "201"), ("post", "200")):
        media = (
            item.get(method, {})
            .get("responses", {})
            .get(status, {})
            .get("content", {})
            .get("application/json", {})
        )
        values = [media["example"]] if "example" in media else []
        values += [example["value"] for example in media.get("examples", {}).values()]
        for value in values:
            record = _first_record(value)
            if record is not None:
                return record
    return {}


def _first_record(value: Any) -> dict[str, Any] | None:
    """A record from a bare array, a `{data: [...]}` envelope or a single object."""
    if isinstance(value, dict) and isinstance(value.get("data"), list):
        value = value["data"]
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, dict) and "id" in value else None
