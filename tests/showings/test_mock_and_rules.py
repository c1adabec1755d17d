"""The mock answers both showing operations from their examples and validates like the server; the
prescreen's reading of bands and ranges (pure)."""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from rentengine.mock import create_mock_app, mock_settings
from rentengine.showings import examples
from rentengine.showings.prescreen import UnitRules, failures, lower_bound
from rentengine.showings.schemas import ProspectData
from tests.showings.helpers import AVAILABILITY, CREATE, book_body, prospect_data

TOKEN = {"Authorization": "Bearer anything-at-all"}


@pytest.fixture(scope="module")
def cache_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("xdg-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(folder))
        yield folder


@pytest.fixture(scope="module")
async def mock(cache_folder: Path) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_mock_app(mock_settings()))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver/api/public/v1") as client:
        yield client


async def test_the_mock_answers_the_examples(mock: httpx.AsyncClient) -> None:
    answer = await mock.get(AVAILABILITY, params={"unitId": 3}, headers=TOKEN)
    assert (answer.status_code, answer.json()) == (200, examples.AVAILABILITY)
    on_hold = await mock.get(
        AVAILABILITY, params={"unitId": 3}, headers={**TOKEN, "Prefer": "example=on_hold"}
    )
    assert on_hold.json() == examples.NOT_AVAILABLE
    booked = await mock.post(CREATE, json=examples.BOOK_BODY, headers=TOKEN)
    assert (booked.status_code, booked.json()) == (200, {"statusText": "success"})
    refused = await mock.post(CREATE, json={}, headers={**TOKEN, "Prefer": "code=400, example=prescreen"})
    assert (refused.status_code, refused.json()) == (400, examples.PRESCREEN_FAILED)
    missing = await mock.post(CREATE, json=examples.BOOK_BODY, headers={**TOKEN, "Prefer": "code=404"})
    assert (missing.status_code, missing.json()) == (404, {"error": "Not found"})


async def test_the_mock_validates_like_the_server(mock: httpx.AsyncClient) -> None:
    assert (await mock.get(AVAILABILITY, headers=TOKEN)).status_code == 400
    assert (await mock.get(AVAILABILITY, params={"unitId": 3})).status_code == 401
    agent = book_body(3, "2031-03-06T16:00:00Z", prospect={"prospectType": "Agent"})
    response = await mock.post(CREATE, json=agent, headers=TOKEN)
    assert response.status_code == 400
    [item] = response.json()["details"]
    assert (item["keyword"], item["instancePath"]) == ("required", "/prospectData")
    assert item["params"] == {"missingProperty": "agentTk"}


@pytest.mark.parametrize(
    ("band", "bound"),
    [("700+", 700), ("650-699", 650), ("Below 600", 0), ("below 600", 0), ("620", 620), ("good", None)],
)
def test_lower_bounds(band: str, bound: int | None) -> None:
    assert lower_bound(band) == bound


def test_a_rule_that_names_no_score_passes_and_the_income_bound_is_inclusive() -> None:
    prospect = ProspectData.model_validate(prospect_data(creditScore="Below 500", income="$3000+/month"))
    rules = UnitRules("good credit", 1.5, None, 2000)
    assert failures(prospect, rules) == []
    assert [d["instancePath"] for d in failures(prospect, UnitRules(None, 1.51, True, 2000))] == [
        "/prospectData/income"
    ]
