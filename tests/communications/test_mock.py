"""Mock mode for calls, messages and rental application groups (API.md §20): the documented examples
are answered to a valid request, and the mock refuses what the real server refuses."""

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from rentengine.communications import examples as communications
from rentengine.mock import create_mock_app, mock_settings
from tests.communications.factories import CALLS, KINDS, MESSAGES, PHONE, Kind
from tests.factories import Tenant

TOKEN = {"Authorization": "Bearer anything-at-all"}
EXAMPLE_ACCOUNT = communications.ACCOUNT_ID


@pytest.fixture(scope="module")
def cache_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The mock's document cache in a folder of this run, not in the user's own cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
        yield


@pytest.fixture(scope="module")
async def mock(cache_home: None) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_mock_app(mock_settings()))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver/api/public/v1") as client:
        yield client


async def test_the_lists_answer_their_examples(mock: httpx.AsyncClient) -> None:
    params = {"account_ids": EXAMPLE_ACCOUNT, "phone_number": PHONE}
    calls = await mock.get("/calls", params=params, headers=TOKEN)
    assert (calls.status_code, calls.json()) == (200, communications.CALLS_PAGE)
    messages = await mock.get("/messages", params=params, headers=TOKEN)
    assert (messages.status_code, messages.json()) == (200, communications.MESSAGES_PAGE)
    groups = await mock.get("/rental_application_groups", headers=TOKEN)
    assert groups.status_code == 200
    assert [group["status"] for group in groups.json()] == ["Submitted", "In Progress"]


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.table)
async def test_a_create_answers_its_example(mock: httpx.AsyncClient, kind: Kind) -> None:
    response = await mock.post(kind.path, json=kind.body(EXAMPLE_ACCOUNT), headers=TOKEN)
    assert response.status_code == 201
    expected = communications.CALL if kind is CALLS else communications.MESSAGE
    assert response.json() == expected


def bad_requests(account: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        ("GET", "/calls", {"params": {"account_ids": account}}),
        ("GET", "/calls", {"params": {"account_ids": account, "prospect_id": 1, "phone_number": PHONE}}),
        ("GET", "/messages", {"params": {"phone_number": PHONE}}),
        ("GET", "/messages", {"params": {"account_ids": account, "phone_number": "12345"}}),
        ("GET", "/rental_application_groups", {"params": {"created_after": "2024-01-01"}}),
        ("POST", "/calls", {"json": CALLS.body(account, call_duration=-1)}),
        ("POST", "/calls", {"json": CALLS.body(account, created_at="1960-01-01T00:00:00Z")}),
        ("POST", "/messages", {"json": MESSAGES.body(account, body="")}),
        ("POST", "/messages", {"json": MESSAGES.body(account, channel="SMS", id=3)}),
    ]


async def test_bad_requests_get_the_real_servers_400(
    client: httpx.AsyncClient, mock: httpx.AsyncClient, tenant: Tenant
) -> None:
    for method, path, kw in bad_requests(str(tenant.account_id)):
        real = await client.request(method, path, headers=tenant.headers, **kw)
        mocked = await mock.request(method, path, headers=TOKEN, **kw)
        assert real.status_code == 400, (method, path, kw)
        assert (mocked.status_code, mocked.json()) == (400, real.json()), (method, path, kw)
