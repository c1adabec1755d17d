"""`rentengine demo-data --prospects N`, run as a real process against a fresh database."""

from pathlib import Path

import httpx
import pytest

from tests.databases import throwaway_database
from tests.demo.support import highest_ids, read_pipeline
from tests.test_cli import api, cli, only_uuid

pytestmark = pytest.mark.slow


async def _all_pages(client: httpx.AsyncClient, path: str, token: str) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for page in range(1_000):
        response = await client.get(
            path, params={"limit": 100, "page_number": page}, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200, response.text
        rows += response.json()
        if len(response.json()) < 100:
            return rows
    raise AssertionError("paging did not end")


async def test_the_pipeline_asked_for_is_loaded_and_read_through_the_api(
    backend: str, tmp_path: Path
) -> None:
    async with throwaway_database(backend, tmp_path, revision=None, prefix="rentengine_demo_cli") as url:
        sizes = ("--units", "12", "--lockbox-events", "0", "--properties", "0", "--prospects", "150")
        account_id = only_uuid(await cli(url, "demo-data", *sizes, "--quiet"))
        email = "leasing@example.com"
        only_uuid(await cli(url, "users", "create", email, "--account", str(account_id)))
        token = (await cli(url, "keys", "create", "--user", email, "--name", "leasing")).stdout.strip()
        async with api(url) as (client, runtime):
            pipeline = await read_pipeline(runtime, account_id)
            prospects = await _all_pages(client, "/prospects", token)
            groups = await _all_pages(client, "/rental_application_groups", token)
            highest = await highest_ids(runtime)
            call = await client.post(
                "/calls",
                json={
                    "account_id": str(account_id),
                    "direction": "inbound",
                    "contact_number": "5125550101",
                    "status": "missed",
                },
                headers={"Authorization": f"Bearer {token}"},
            )
    assert len(prospects) == len(pipeline.prospects) == 150
    assert {p["unit_of_interest"] for p in prospects} <= set(pipeline.unit_ids)
    assert len(groups) == len(pipeline.groups) > 0
    assert pipeline.events
    assert pipeline.showings
    assert call.status_code == 201, call.text
    assert call.json()["id"] > highest["calls"]


async def test_the_help_names_the_pipeline_and_its_default(tmp_path: Path) -> None:
    result = await cli(f"sqlite:///{tmp_path / 'unused.db'}", "demo-data", "--help")
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "--prospects" in text
    assert "[default: 2000; x>=0]" in text
    assert "leasing events, showings, calls, messages and application group" in text
