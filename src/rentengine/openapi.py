"""The OpenAPI 3.1 document served at /openapi.json, and the self-contained reference page at /docs.

FastAPI generates the paths and schemas from the routes; `build_document` then completes the
document centrally instead of per route: paths relative to the `/api/public/v1` server, one
`BearerAuth` scheme on every operation (the vendor's name for it), the shared `Error` responses
every operation can give, and none of FastAPI's 422 "Validation Error" responses (validation
failures are 400s here).
"""

import copy
from typing import Any

from fastapi import FastAPI
from fastapi.encoders import jsonable_encoder
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts

from rentengine import API_PREFIX
from rentengine.apidocs import render_page
from rentengine.errors import BODY_ERROR, QUERY_ERROR
from rentengine.validation import ONE_OF_FIELDS, UPSERT
from rentengine.webhooks.openapi import webhooks_section

SECURITY_SCHEME = "BearerAuth"
_ERROR_REF = {"$ref": "#/components/schemas/Error"}
_FASTAPI_SCHEMAS = ("HTTPValidationError", "ValidationError")
_RATE_LIMIT_HEADERS = ("X-Ratelimit-Limit", "X-Ratelimit-Remaining", "X-Ratelimit-Reset")
# The pages allow no external resource: they are read on self-hosted networks without a CDN.
_DOCS_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"

ERROR_SCHEMAS: dict[str, Any] = {
    "ErrorDetail": {
        "type": "object",
        "description": "One AJV v8-style validation error item.",
        "required": ["keyword", "instancePath", "dataPath", "schemaPath", "params", "message"],
        "properties": {
            "keyword": {"type": "string", "description": "The failed JSON Schema keyword."},
            "instancePath": {
                "type": "string",
                "description": "JSON Pointer into the query object or the body; empty for the root.",
            },
            "dataPath": {
                "type": "string",
                "description": "The `instancePath` pointer again: AJV v6's name, which the vendor shows.",
            },
            "schemaPath": {"type": "string"},
            "params": {"type": "object", "description": "Keyword-specific parameters."},
            "message": {"type": "string"},
        },
    },
    "Error": {
        "type": "object",
        "description": "The body of every error response.",
        "required": ["error"],
        "properties": {
            "error": {"type": "string"},
            "details": {"type": "array", "items": {"$ref": "#/components/schemas/ErrorDetail"}},
        },
    },
}

_MISSING_ACCOUNT = {
    "keyword": "required",
    "instancePath": "",
    "dataPath": "",
    "schemaPath": "#/required",
    "params": {"missingProperty": "account_id"},
    "message": "must have required property 'account_id'",
}
_BAD_LIMIT = {
    "keyword": "maximum",
    "instancePath": "/limit",
    "dataPath": "/limit",
    "schemaPath": "#/properties/limit/maximum",
    "params": {"comparison": "<=", "limit": 100},
    "message": "must be <= 100",
}


def json_example(description: str, example: Any) -> dict[str, Any]:
    """One documented response with its example body."""
    return {"description": description, "content": {"application/json": {"example": example}}}


def json_examples(description: str, named: dict[str, Any]) -> dict[str, Any]:
    """One documented response with named examples (`{name: {"summary", "value"}}`)."""
    return {"description": description, "content": {"application/json": {"examples": named}}}


def _error_response(description: str, error: str) -> dict[str, Any]:
    content = {"schema": _ERROR_REF, "example": {"error": error}}
    return {"description": description, "content": {"application/json": content}}


def _header(description: str) -> dict[str, Any]:
    return {"description": description, "schema": {"type": "integer"}}


# Keyed by status code; each operation refers to these through `#/components/responses/...`.
ERROR_RESPONSES: dict[str, tuple[str, dict[str, Any]]] = {
    "400": (
        "BadRequest",
        {
            "description": "Validation failed (query, path or body), or a business rule refused the request",
            "content": {
                "application/json": {
                    "schema": _ERROR_REF,
                    "examples": {
                        "body": {"value": {"error": BODY_ERROR, "details": [_MISSING_ACCOUNT]}},
                        "query": {"value": {"error": QUERY_ERROR, "details": [_BAD_LIMIT]}},
                    },
                }
            },
        },
    ),
    "401": ("Unauthorized", _error_response("Missing, malformed or revoked token", "Unauthorized")),
    "403": ("Forbidden", _error_response("An account the caller cannot access", "Forbidden")),
    "404": ("NotFound", _error_response("A referenced record is not found or not visible", "Not found")),
    "409": ("Conflict", _error_response("Conflicts with the current state", "Conflict")),
    "413": ("PayloadTooLarge", _error_response("Body over 1 MiB", "Request body too large")),
    "429": ("TooManyRequests", _error_response("Rate limit exceeded", "Too many requests")),
}
ERROR_RESPONSES["401"][1]["headers"] = {
    "WWW-Authenticate": {"required": True, "schema": {"type": "string", "const": "Bearer"}}
}
ERROR_RESPONSES["429"][1]["headers"] = {
    "Retry-After": {"required": True, **_header("Seconds until the rate-limit window resets.")}
}
RATE_LIMIT_HEADERS: dict[str, Any] = {
    "X-Ratelimit-Limit": _header("Requests allowed per window (absent when the limit is off)."),
    "X-Ratelimit-Remaining": _header("Requests left in the current window."),
    "X-Ratelimit-Reset": _header("Whole seconds until the window resets."),
}


# Each endpoint function's operationId, in the vendor's style (`getUnits`, `postUnit`): generators
# name their methods after these. A new endpoint without an entry fails at start, not silently.
OPERATION_IDS: dict[str, str] = {
    "list_multifamily_properties": "getMultifamilyProperties",
    "upsert_multifamily_property": "postMultifamilyProperty",
    "list_audit_log": "getAuditLog",
    "list_lockboxes": "getLockboxes",
    "create_lockboxes": "postLockboxes",
    "transfer_lockboxes": "postLockboxesTransferAccounts",
    "generate_code": "postLockboxesGenerateCode",
    "list_lockbox_events": "getLockboxEvents",
    "create_lockbox_events": "postLockboxEvents",
    "list_units": "getUnits",
    "upsert_unit": "postUnit",
    "list_prospects": "getProspects",
    "list_leasing_events": "getLeasingEvents",
    "create_leasing_event": "postLeasingEvents",
    "get_showing_availability": "getShowingAvailability",
    "create_showing": "postShowingsCreate",
    "list_rental_application_groups": "getRentalApplicationGroups",
    "list_calls": "getCalls",
    "create_call": "postCall",
    "list_messages": "getMessages",
    "create_message": "postMessage",
    "list_marketing_listings": "getMarketingListings",
    "list_comps": "getMarketComps",
    "get_unit_leasing_performance": "getUnitLeasingPerformance",
    "get_marketing_sources_report": "getMarketingSourcesReport",
    "get_showings_report": "getShowingsReport",
    "get_calls_report": "getCallsReport",
    "get_units_report": "getUnitsReport",
    "get_applications_report": "getApplicationsReport",
    "list_webhooks": "getWebhooks",
    "upsert_webhook": "postWebhook",
    "delete_webhook": "deleteWebhook",
    "list_webhook_deliveries": "getWebhookDeliveries",
    "redeliver_webhook_delivery": "postWebhookDeliveryRedeliver",
    "test_webhook": "postWebhookTest",
}


def operation_id(route: APIRoute) -> str:
    """The operationId of a route (`OPERATION_IDS`)."""
    if not route.include_in_schema:  # the portal's pages, /docs: named, never documented
        return route.name
    return operation_id_of(route.name)


def operation_id_of(endpoint_name: str) -> str:
    """The operationId of the documented endpoint function of this name."""
    try:
        return OPERATION_IDS[endpoint_name]
    except KeyError:
        raise LookupError(
            f"no operationId for the endpoint {endpoint_name!r}: add it to OPERATION_IDS"
        ) from None


def install_openapi(app: FastAPI, public_base_url: str | None = None) -> None:
    """Serves the completed document at /openapi.json (built once) and the reference page at /docs."""
    page: list[bytes] = []

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_document(app, public_base_url)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        if not page:
            page.append(render_page(openapi()).encode())
        return HTMLResponse(page[0], headers={"Content-Security-Policy": _DOCS_CSP})


def build_document(app: FastAPI, public_base_url: str | None = None) -> dict[str, Any]:
    document = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version="3.1.0",
        description=app.description,
        routes=app.routes,
        separate_input_output_schemas=app.separate_input_output_schemas,
    )
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in _FASTAPI_SCHEMAS:
        schemas.pop(name, None)
    # Copies: the module constants must stay pristine for the next app built in this process.
    schemas.update(copy.deepcopy(ERROR_SCHEMAS))
    components["securitySchemes"] = {
        SECURITY_SCHEME: {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "An API key created in the portal or with `rentengine keys create`.",
        }
    }
    components["responses"] = copy.deepcopy(dict(ERROR_RESPONSES.values()))
    components["headers"] = copy.deepcopy(RATE_LIMIT_HEADERS)
    for route in api_routes(app):
        _restore_examples(document["paths"][route.path_format], route)
    _rebase_paths(document, public_base_url)
    for operation in operations(document):
        _complete_operation(operation)
        _comma_separated_arrays(operation)
    document["webhooks"] = webhooks_section(document)
    for name in list(schemas):
        _split_variants(schemas, name)
    for schema in schemas.values():
        _mark_instants(schema)
    first = ("openapi", "info", "servers", "paths", "webhooks")
    return {**{key: document[key] for key in first if key in document}, **document}


def api_routes(app: FastAPI) -> list[RouteContext]:
    """The documented routes, with the prefixes and responses of the routers that include them."""
    return [
        context
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute) and context.include_in_schema
    ]


def _restore_examples(path_item: dict[str, Any], route: RouteContext) -> None:
    """Puts back the examples exactly as the route declares them.

    FastAPI renders its document with `exclude_none`, which also deletes every `null` inside the
    examples, so a documented `"description": null` would vanish and the example would no longer
    match its own schema.
    """
    for method in route.methods or ():
        operation = path_item[method.lower()]
        for status, declared in route.responses.items():
            media = declared.get("content", {}).get("application/json", {})
            target = operation["responses"][str(status)].get("content", {}).get("application/json")
            for key in ("example", "examples"):
                if key in media and target is not None:
                    target[key] = jsonable_encoder(media[key])
        body = route.body_field
        examples = getattr(body.field_info, "openapi_examples", None) if body is not None else None
        if examples:
            operation["requestBody"]["content"]["application/json"]["examples"] = jsonable_encoder(examples)


def operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    methods = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
    return [item[m] for item in document.get("paths", {}).values() for m in methods if m in item]


def _rebase_paths(document: dict[str, Any], public_base_url: str | None) -> None:
    """Paths become relative to the server `/api/public/v1`, as in the upstream document; a
    deployment's public address is listed second, for generators that need an absolute URL."""
    document["servers"] = [{"url": API_PREFIX, "description": "this server, where the document is served"}]
    if public_base_url:
        url = public_base_url.rstrip("/") + API_PREFIX
        document["servers"].append(
            {"url": url, "description": "this deployment (`RENTENGINE_PUBLIC_BASE_URL`)"}
        )
    paths: dict[str, Any] = {}
    for path, item in document.get("paths", {}).items():
        if path.startswith(API_PREFIX + "/"):
            paths[path.removeprefix(API_PREFIX)] = item
        else:
            paths[path] = {**item, "servers": [{"url": "/"}]}
    document["paths"] = paths


def _complete_operation(operation: dict[str, Any]) -> None:
    # A public operation declares `security: []` itself (the listings feed); the others need a token.
    if operation.get("security") != []:
        operation["security"] = [{SECURITY_SCHEME: []}]
    responses: dict[str, Any] = operation.setdefault("responses", {})
    responses.pop("422", None)
    for status, response in responses.items():
        if status.startswith("2"):
            headers = response.setdefault("headers", {})
            headers.update({name: {"$ref": f"#/components/headers/{name}"} for name in _RATE_LIMIT_HEADERS})
        elif status.startswith("4") and "$ref" not in response:
            _use_error_schema(response, ERROR_RESPONSES.get(status))
    statuses = ["400", "401", "403", "404", "429"] + (["413"] if "requestBody" in operation else [])
    for status in statuses:
        responses.setdefault(status, {"$ref": f"#/components/responses/{ERROR_RESPONSES[status][0]}"})
    operation["responses"] = dict(sorted(responses.items()))


def _comma_separated_arrays(operation: dict[str, Any]) -> None:
    """Array query parameters are sent `a,b` by a generated client (`style: form, explode: false`);
    the server also takes the repeated form, `a=1&a=2`."""
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        branches = [schema, *schema.get("anyOf", [])]
        if parameter.get("in") == "query" and any(branch.get("type") == "array" for branch in branches):
            parameter.setdefault("style", "form")
            parameter.setdefault("explode", False)


def _split_variants(schemas: dict[str, Any], name: str) -> None:
    """A body marked by `validation.update_or_create` or `exactly_one_of` becomes the union of one
    named schema per variant: `UnitUpdate | UnitCreate`, `GenerateCodeBySerialNumber | …`."""
    schema = schemas[name]
    if UPSERT in schema:
        base = name.removesuffix("Upsert")
        update = _variant(schema, required=["id"], null=[])
        create = _variant(schema, required=schema[UPSERT], null=["id"])
        variants = {f"{base}Update": update, f"{base}Create": create}
        schemas[name] = {"anyOf": _refs(variants), "description": schema.get("description", "")}
    elif ONE_OF_FIELDS in schema:
        fields = schema[ONE_OF_FIELDS]
        variants = {
            f"{name}By{_pascal(field)}": _variant(
                schema, [field], [other for other in fields if other != field]
            )
            for field in fields
        }
        schemas[name] = {"oneOf": _refs(variants), "description": schema.get("description", "")}
    else:
        return
    for variant_name, variant in variants.items():
        variant["title"] = variant_name  # generators name their types after it
    schemas.update(variants)


def _variant(schema: dict[str, Any], required: list[str], null: list[str]) -> dict[str, Any]:
    """The schema with `required` sent and not null, and the `null` fields null or left out."""
    markers = (UPSERT, ONE_OF_FIELDS)
    variant = {key: copy.deepcopy(value) for key, value in schema.items() if key not in markers}
    properties = variant["properties"]
    for field in null:
        properties[field] = {"type": "null", "description": "Not sent, or null"}
    for field in required:
        branches = [b for b in properties[field].get("anyOf", [properties[field]]) if b.get("type") != "null"]
        kept = {k: v for k, v in properties[field].items() if k != "anyOf"}
        properties[field] = {**kept, **branches[0]} if len(branches) == 1 else {**kept, "anyOf": branches}
    variant["required"] = sorted(set(variant.get("required", [])) | set(required), key=list(properties).index)
    return variant


def _refs(variants: dict[str, Any]) -> list[dict[str, str]]:
    return [{"$ref": f"#/components/schemas/{name}"} for name in variants]


def _pascal(field: str) -> str:
    return "".join(word.capitalize() for word in field.split("_"))


# Every field named `*_at`, and these, is an instant on the wire (RFC 3339, UTC, microseconds).
_INSTANT_FIELDS = frozenset({"planned_date_time", "next_follow_up"})


def _mark_instants(schema: dict[str, Any]) -> None:
    """`format: date-time` on each instant field's string form, for validators and generators."""
    for name, field in schema.get("properties", {}).items():
        if name.endswith("_at") or name in _INSTANT_FIELDS:
            for branch in [field, *field.get("anyOf", [])]:
                if branch.get("type") == "string":
                    branch.setdefault("format", "date-time")


def _use_error_schema(response: dict[str, Any], shared: tuple[str, dict[str, Any]] | None) -> None:
    """An error status a route declares itself (e.g. 409) gets the `Error` body and an example."""
    media = response.setdefault("content", {}).setdefault("application/json", {})
    if not media.get("schema"):
        media["schema"] = _ERROR_REF
    if shared is not None and "example" not in media and "examples" not in media:
        shared_media = shared[1]["content"]["application/json"]
        media.update({k: copy.deepcopy(v) for k, v in shared_media.items() if k in ("example", "examples")})
    if shared is not None and "headers" in shared[1]:
        response.setdefault("headers", copy.deepcopy(shared[1]["headers"]))
