"""The OpenAPI document is exact enough to generate clients from: it passes openapi-spec-validator,
and a client that openapi-python-client generates from `/openapi.json` works against the server
unchanged (typed models in and out, both backends)."""

import importlib
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate

from rentengine.app import create_app
from rentengine.runtime import Runtime
from tests.factories import Tenant, property_body, unit_body

GENERATOR = Path(sys.executable).with_name("openapi-python-client")
PACKAGE = "rentengine_generated_client"
DAY = datetime(2031, 3, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("http://testserver/openapi.json")
    assert response.status_code == 200
    served: dict[str, Any] = response.json()
    return served


@pytest.fixture(scope="module")
def generated(document: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    """The generated package, imported (generation is offline: the document comes from a file)."""
    root = tmp_path_factory.mktemp("generated")
    source, config = root / "openapi.json", root / "config.yaml"
    source.write_text(httpx.Response(200, json=document).text)
    config.write_text("post_hooks: []\n")  # no formatter run on the generated code
    command = [str(GENERATOR), "generate", "--path", str(source), "--output-path", str(root / PACKAGE)]
    done = subprocess.run(
        [*command, "--meta", "none", "--config", str(config)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Warning" not in done.stdout + done.stderr, done.stdout + done.stderr  # every operation generated
    sys.path.insert(0, str(root))
    try:
        return importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))


@pytest.fixture
async def api(runtime: Runtime, generated: ModuleType, tenant: Tenant) -> AsyncIterator[Any]:
    transport = httpx.ASGITransport(app=create_app(runtime.settings, runtime))
    made = generated.AuthenticatedClient(
        base_url="http://testserver/api/public/v1", token=tenant.token, httpx_args={"transport": transport}
    )
    async with made:
        yield made


def test_the_document_passes_openapi_spec_validator(document: dict[str, Any]) -> None:
    validate(document)


def _operation(generated: ModuleType, tag: str, name: str) -> Any:
    return importlib.import_module(f"{generated.__name__}.api.{tag}.{name}")


async def test_a_generated_client_creates_and_lists(api: Any, generated: ModuleType, tenant: Tenant) -> None:
    models = importlib.import_module(f"{generated.__name__}.models")
    post_property = _operation(generated, "multifamily_properties", "post_multifamily_property")
    created = await post_property.asyncio_detailed(
        client=api, body=models.PropertyCreate.from_dict(property_body(tenant.account_id))
    )
    assert created.status_code == 200
    [record] = created.parsed
    assert record.community_name == "Sunset Towers"

    post_unit = _operation(generated, "units", "post_unit")
    unit = await post_unit.asyncio(client=api, body=models.UnitCreate.from_dict(unit_body(tenant.account_id)))
    assert isinstance(unit, models.UnitOut)
    updated = await post_unit.asyncio(
        client=api, body=models.UnitUpdate.from_dict({"id": unit.id, "bedrooms": 4})
    )
    assert (updated.id, updated.bedrooms, updated.is_occupied) == (unit.id, "4", False)

    listed = await _operation(generated, "units", "get_units").asyncio(client=api, limit=10)
    assert [row.id for row in listed] == [unit.id]
    assert isinstance(listed[0].is_occupied, bool)

    report = _operation(generated, "reporting", "get_units_report")
    page = await report.asyncio(
        client=api, account_ids=[tenant.account_id], start=DAY, end=DAY + timedelta(days=32)
    )
    assert page.page.has_more is False


async def test_a_generated_client_reads_refusals_as_the_error_model(api: Any, generated: ModuleType) -> None:
    response = await _operation(generated, "units", "get_units").asyncio_detailed(client=api, limit=1000)
    assert response.status_code == 400
    [item] = response.parsed.details
    assert (item.instance_path, item.data_path) == ("/limit", "/limit")
