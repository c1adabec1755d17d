"""The SDK cannot drift from the OpenAPI document: its generated files are what the served document
generates, every operationId has its method on both clients, and every model has the schema's keys."""

import importlib.util
import inspect
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import rentengine_client
from rentengine.api import create_api_app
from rentengine_client import METHODS, OPERATIONS, AsyncRentEngine, RentEngine, WebhookEvent, models

SDK = Path(__file__).resolve().parents[2] / "clients" / "python"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return dict(create_api_app().openapi())


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("rentengine_client_generate", SDK / "generate.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def annotations(model: Any) -> dict[str, str]:
    """A generated TypedDict's annotations as written (the module postpones their evaluation)."""
    return {key: getattr(value, "__forward_arg__", value) for key, value in model.__annotations__.items()}


def required_keys(model: Any) -> set[str]:
    return {key for key, value in annotations(model).items() if not value.startswith("NotRequired[")}


def test_the_package_is_the_checkout() -> None:
    assert Path(rentengine_client.__file__).is_relative_to(SDK / "src")


def test_generated_files_match_the_document(document: dict[str, Any]) -> None:
    rendered = generator().render(document)
    for name, source in rendered.items():
        committed = (SDK / "src" / "rentengine_client" / name).read_text()
        assert committed == source, f"{name} is stale: run `python clients/python/generate.py`"


def test_every_operation_has_a_method(document: dict[str, Any]) -> None:
    documented = {
        op["operationId"]: (method.upper(), path)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    }
    assert {k: v[:2] for k, v in OPERATIONS.items()} == documented
    assert set(METHODS) == set(documented)
    for operation, (resource, name) in METHODS.items():
        for client in (RentEngine, AsyncRentEngine):
            group = client.__annotations__[resource]
            group_class = getattr(rentengine_client._resources, group.rsplit(".", 1)[-1])
            method = getattr(group_class, name)
            assert operation in (method.__doc__ or ""), (client, resource, name)
            assert inspect.iscoroutinefunction(method) == (client is AsyncRentEngine)
            if OPERATIONS[operation][2] is not None:
                iter_name = "iter" if name == "list" else f"iter_{name}"
                assert callable(getattr(group_class, iter_name))


def test_list_shapes_follow_the_document(document: dict[str, Any]) -> None:
    shapes = {op: shape for op, (_, _, shape) in OPERATIONS.items() if shape}
    assert shapes["getUnits"] == "array"
    assert {op for op, shape in shapes.items() if shape == "env"} == {
        "getLeasingEvents",
        "getCalls",
        "getMessages",
        "getMarketingSourcesReport",
        "getShowingsReport",
        "getCallsReport",
        "getUnitsReport",
        "getApplicationsReport",
    }


def test_models_have_the_schemas_keys(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    checked = 0
    for name, schema in schemas.items():
        model = getattr(models, name)
        if "properties" not in schema:
            continue
        assert set(model.__annotations__) == set(schema["properties"]), name
        assert required_keys(model) == set(schema.get("required", [])), name
        checked += 1
    assert checked > 50


def test_the_webhook_event_is_the_documented_payload(document: dict[str, Any]) -> None:
    for table, item in document["webhooks"].items():
        schema = item["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert set(WebhookEvent.__annotations__) == set(schema["properties"]), table
        assert required_keys(WebhookEvent) == set(schema["required"]), table
    table_type = annotations(models.PayloadOut)["table"]
    assert all(repr(table) in table_type for table in document["webhooks"])
