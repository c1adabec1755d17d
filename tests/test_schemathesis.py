"""Property-based conformance: schemathesis drives every operation of /openapi.json on both databases.

The operations are read from the document itself, so a newly mounted endpoint is covered without
touching this file. Every response must not be a 5xx, must use a documented status code, content
type and required headers, and must match the documented body schema. Cases are valid requests
(positive), requests that break the schema (negative) and the documented request examples.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from rentengine.app import create_app
from rentengine.runtime import Runtime
from tests.conftest import make_settings
from tests.factories import Tenant, make_tenant

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Cases per operation, valid and invalid together: a backend's whole run stays well under a minute.
EXAMPLES_PER_OPERATION = 60
METHODS = ("get", "put", "post", "patch", "delete")
ACCOUNT_FIELDS = ("account_id", "accountId", "new_account_id")


def _operation_labels() -> list[str]:
    """`METHOD /path` of every documented operation, read at collection time.

    Building the document connects to no database, so the URL below is never opened.
    """
    document = create_app(make_settings(f"sqlite:///{Path('unused.db').absolute()}")).openapi()
    return [
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method in METHODS
        if method in item
    ]


def _own_account(value: Any, account_id: str) -> Any:
    if isinstance(value, dict):
        return {
            k: account_id if k in ACCOUNT_FIELDS else _own_account(v, account_id) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_own_account(item, account_id) for item in value]
    return value


def _request_examples(operation: dict[str, Any], tenant: Tenant) -> list[Any]:
    """The documented request bodies, moved into the tenant's account so that creates succeed."""
    media = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    found = [example["value"] for example in media.get("examples", {}).values()]
    found += [media["example"]] if "example" in media else []
    return [_own_account(body, str(tenant.account_id)) for body in found]


@pytest.fixture(scope="session")
async def fuzz_tenant(runtime: Runtime) -> Tenant:
    return await make_tenant(runtime, name="Schemathesis")


def _config(tenant: Tenant) -> schemathesis.Config:
    """Half of the generated account ids are the tenant's, so writes and filters also succeed."""
    accounts = {"values": [str(tenant.account_id)]}
    binding = {"dictionary": "tenant_accounts", "probability": 0.5}
    parameters = {f"{where}.{name}": binding for where in ("query", "body") for name in ACCOUNT_FIELDS}
    return schemathesis.Config.from_dict(
        {"dictionaries": {"tenant_accounts": accounts}, "parameters": parameters}
    )


@pytest.fixture(scope="session")
def api_schema(database_url: str, fuzz_tenant: Tenant) -> Iterator[schemathesis.BaseSchema]:
    # An app with its own runtime: schemathesis serves it from its own event loop thread, and a
    # connection pool cannot move between event loops.
    app = create_app(make_settings(database_url))
    yield schemathesis.openapi.from_asgi("/openapi.json", app, config=_config(fuzz_tenant))
    # The app's lifespan shutdown disposes of that runtime's engine, inside the same event loop.
    shutdown_lifespans()


@pytest.mark.parametrize("label", _operation_labels())
def test_operation_conforms_to_the_document(
    api_schema: schemathesis.BaseSchema, fuzz_tenant: Tenant, label: str
) -> None:
    method, path = label.split(" ", 1)
    operation = api_schema[path][method]
    examples = _request_examples(api_schema.raw_schema["paths"][path][method.lower()], fuzz_tenant)
    cases = st.one_of(
        operation.as_strategy(schemathesis.GenerationMode.POSITIVE),
        operation.as_strategy(schemathesis.GenerationMode.NEGATIVE),
        *(operation.as_strategy(schemathesis.GenerationMode.POSITIVE, body=body) for body in examples),
    )

    # derandomize + no example database: CI runs exactly the same cases every time.
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(case=cases)
    def run(case: Any) -> None:
        case.call_and_validate(headers=fuzz_tenant.headers, checks=CHECKS)

    run()
