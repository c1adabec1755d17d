"""The webhooks pages in a real browser, sending to a real local HTTP receiver.

The harness's server refuses loopback targets (as production does), so this module starts its own
`rentengine serve` per backend with `RENTENGINE_WEBHOOK_ALLOW_PRIVATE_TARGETS=true` and with the
delivery worker running, and overrides the harness's `portal_server` with it: every other fixture of
the harness (browser contexts, members, API client) then talks to this server.
"""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from tests.conftest import BACKENDS
from tests.factories import property_body
from tests.portal.conftest import (
    Member,
    Portal,
    PortalServer,
    bearer,
    empty_database,
    make_api_key,
    running_server,
)
from tests.ports import free_port
from tests.webhooks.receiver import Received, Receiver, Reply, running_receiver, wait_until

pytestmark = pytest.mark.slow

OpenPortal = Callable[..., Awaitable[Portal]]
MakeMember = Callable[..., Awaitable[Member]]
TABLE = "multifamily_properties"


@pytest.fixture(scope="module", params=BACKENDS)
async def hooks_database_url(
    request: pytest.FixtureRequest, chromium: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """An empty database of each backend, for this module's server only (which migrates it)."""
    async with empty_database(request.param, tmp_path_factory.mktemp("hooks-portal"), "hooks_portal") as url:
        yield url


@pytest.fixture(scope="module")
async def portal_server(
    hooks_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[PortalServer]:
    """Replaces the harness's server for this module: may send to 127.0.0.1, runs the worker."""
    log = tmp_path_factory.mktemp("hooks-portal-log") / "server.log"
    private_targets = {
        "RENTENGINE_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
        "RENTENGINE_WEBHOOK_TIMEOUT_SECONDS": "5",
    }
    async with running_server(hooks_database_url, log, private_targets, worker=True) as server:
        yield server


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with running_receiver() as r:
        yield r


# --- helpers ---------------------------------------------------------------------------------------


async def create_through_form(
    portal: Portal,
    url: str,
    tables: list[str],
    event_types: list[str] | None = None,
    api_key: str = "",
) -> uuid.UUID:
    """Fills and sends the create form; returns the new webhook's id (from the page it lands on)."""
    await portal.goto("/portal/webhooks/new")
    await portal.page.fill("#wh-url", url)
    for table in tables:
        await portal.page.check(f"input[name=tables][value={table}]")
    if event_types is not None:
        for box in await portal.page.locator("input[name=event_types]").all():
            await box.set_checked(await box.get_attribute("value") in event_types)
    if api_key:
        await portal.page.fill("#wh-api-key", api_key)
    response = await portal.submit("#webhook-form")
    assert response.status == 303, await portal.alert()
    assert "Webhook created" in await portal.page.inner_text(".notice")
    return uuid.UUID(portal.page.url.split("/portal/webhooks/")[1].split("?")[0])


async def stored(api: httpx.AsyncClient, token: str) -> dict[str, dict[str, Any]]:
    """The member's subscriptions as the API returns them, by id."""
    response = await api.get("/webhooks", headers=bearer(token))
    assert response.status_code == 200, response.text
    return {hook["id"]: hook for hook in response.json()}


async def subscribe(
    api: httpx.AsyncClient, token: str, member: Member, url: str, **fields: Any
) -> dict[str, Any]:
    body = {"account_id": str(member.account_id), "url": url, "tables": [TABLE], "event_types": ["INSERT"]}
    response = await api.post("/webhooks", json={**body, **fields}, headers=bearer(token))
    assert response.status_code == 201, response.text
    hook: dict[str, Any] = response.json()
    return hook


async def list_rows(portal: Portal) -> list[tuple[str, list[str]]]:
    """The webhooks table: (webhook id, cell texts) per row, as listed."""
    rows = portal.page.locator("table.webhooks > tbody > tr[data-webhook-id]")
    out: list[tuple[str, list[str]]] = []
    for n in range(await rows.count()):
        row = rows.nth(n)
        cells = [c.strip() for c in await row.locator("> td").all_inner_texts()]
        out.append((await row.get_attribute("data-webhook-id") or "", cells))
    return out


async def delivery_rows(portal: Portal) -> list[dict[str, Any]]:
    """The deliveries table: id, status, next retry and each attempt's cells."""
    rows = portal.page.locator("table.deliveries > tbody > tr[data-delivery-id]")
    out: list[dict[str, Any]] = []
    for n in range(await rows.count()):
        row = rows.nth(n)
        attempts = row.locator("tr.attempt")
        out.append(
            {
                "id": await row.get_attribute("data-delivery-id"),
                "event": (await row.locator("td.event .table-name").inner_text()).strip(),
                "status": (await row.locator(".status").inner_text()).strip(),
                "next_retry": (await row.locator("td.next-retry").inner_text()).strip(),
                "attempts": [
                    [c.strip() for c in await attempts.nth(i).locator("td").all_inner_texts()]
                    for i in range(await attempts.count())
                ],
                "redeliver": await row.locator("button", has_text="Redeliver").count() == 1,
            }
        )
    return out


async def click_and_wait(portal: Portal, selector: str) -> int:
    """Clicks a submit button of a form; returns the status of the POST's response."""
    async with portal.page.expect_response(lambda r: r.request.method == "POST") as posted:
        await portal.page.click(selector)
    await portal.page.wait_for_load_state()
    return (await posted.value).status


# --- tests ------------------------------------------------------------------------------------------


async def test_create_reveal_secret_send_test_and_see_the_attempt_without_javascript(
    open_portal: OpenPortal, make_member: MakeMember, receiver: Receiver, api: httpx.AsyncClient
) -> None:
    """The issue's story: create a webhook to a local receiver, send a test, see the delivery."""
    portal = await open_portal(javascript=False)
    member = await make_member("hooks")
    await portal.signed_in_as(member)
    await portal.goto("/portal/webhooks")
    assert "No webhooks yet" in await portal.page.inner_text("table.webhooks")

    url = receiver.url("/hooks/pms")
    webhook_id = await create_through_form(
        portal, url, ["units", "lockboxes"], ["INSERT", "UPDATE"], api_key="receiver-key-42"
    )
    _, token = await make_api_key(portal.server, member, "check")
    hook = (await stored(api, token))[str(webhook_id)]
    assert (hook["url"], hook["tables"], hook["event_types"]) == (
        url,
        ["units", "lockboxes"],
        ["INSERT", "UPDATE"],
    )
    assert (hook["api_key"], hook["enabled"], hook["account_id"]) == (
        "receiver-key-42",
        True,
        str(member.account_id),
    )

    # The secret is not in the page until asked for; then it is the stored one.
    assert hook["signing_secret"] not in await portal.page.content()
    assert await click_and_wait(portal, "#signing-secret button[type=submit]") == 200
    secret = (await portal.page.inner_text("#secret-value")).strip()
    assert secret == hook["signing_secret"]

    assert await click_and_wait(portal, "#manage button:has-text('Send test')") == 303
    [sent] = await receiver.wait_for(1)
    Webhook(secret).verify(sent.body, sent.headers)  # signed with the secret the page showed
    assert (sent.path, sent.headers["webhook-test"], sent.headers["x-api-key"]) == (
        "/hooks/pms",
        "true",
        "receiver-key-42",
    )
    assert sent.json()["type"] == "INSERT"
    assert sent.json()["table"] == "units"

    assert portal.page.url.startswith(portal.server.url(f"/portal/webhooks/{webhook_id}/deliveries?tested="))
    result = await portal.page.inner_text("#test-result")
    assert "Test delivered" in result
    assert "HTTP 200" in result
    assert sent.headers["webhook-id"] in result
    [row] = await delivery_rows(portal)
    assert (row["event"], row["status"], row["next_retry"], row["redeliver"]) == (
        "units",
        "succeeded",
        "—",
        True,
    )
    [[number, _at, outcome, duration, error]] = row["attempts"]
    assert (number, outcome, error) == ("1", "HTTP 200", "Answer")
    await portal.page.click("tr.attempt summary")  # a <details>: no script needed
    assert await portal.page.inner_text("tr.attempt pre") == '{"received": true}'
    assert duration.endswith(" ms")
    assert int(duration.removesuffix(" ms")) >= 0


async def test_edit_tables_event_types_and_api_key_with_errors_next_to_the_form(
    portal: Portal, make_member: MakeMember, receiver: Receiver, api: httpx.AsyncClient
) -> None:
    member = await make_member("editor")
    await portal.signed_in_as(member)
    webhook_id = await create_through_form(portal, receiver.url(), ["units"], api_key="old-key")
    _, token = await make_api_key(portal.server, member, "check")
    before = (await stored(api, token))[str(webhook_id)]

    # Refused edits: the service's 400 details are shown at their fields, and nothing is stored.
    await portal.goto(f"/portal/webhooks/{webhook_id}")
    await portal.page.uncheck("input[name=tables][value=units]")
    for box in await portal.page.locator("input[name=event_types]").all():
        await box.uncheck()
    await portal.page.fill("#wh-url", "ftp://127.0.0.1/hooks")
    response = await portal.submit("#webhook-form")
    assert response.status == 400
    assert "not saved" in await portal.alert()
    assert await portal.page.inner_text("#tables-error") == "Choose at least one table."
    assert await portal.page.inner_text("#event_types-error") == "Choose at least one event type."
    assert await portal.page.input_value("#wh-url") == "ftp://127.0.0.1/hooks"  # shown back as typed
    # The URL's rules are the service's, checked once the body is well formed.
    for table in ("leasing_events", "showings"):
        await portal.page.check(f"input[name=tables][value={table}]")
    await portal.page.check("input[name=event_types][value=DELETE]")
    assert (await portal.submit("#webhook-form")).status == 400
    assert await portal.page.inner_text("#url-error") == "URL must be an http or https URL."
    assert await portal.page.get_attribute("#wh-url", "aria-invalid") == "true"
    assert await portal.page.locator(".field-error").count() == 1
    assert await portal.page.is_checked("input[name=tables][value=showings]")  # the choices are kept
    assert (await stored(api, token))[str(webhook_id)] == before

    await portal.page.fill("#wh-url", receiver.url("/v2"))
    await portal.page.check("input[name=remove_api_key]")
    response = await portal.submit("#webhook-form")
    assert response.status == 303, await portal.alert()
    assert await portal.page.inner_text(".notice") == "Changes saved."
    after = (await stored(api, token))[str(webhook_id)]
    assert (after["url"], after["tables"], after["event_types"]) == (
        receiver.url("/v2"),
        ["leasing_events", "showings"],
        ["DELETE"],
    )
    assert after["api_key"] is None
    assert after["signing_secret"] == before["signing_secret"]
    assert await portal.page.is_checked("input[name=tables][value=showings]")
    assert not await portal.page.is_checked("input[name=tables][value=units]")
    assert await portal.page.locator("input[name=remove_api_key]").count() == 0  # no key left to remove


async def test_disable_enable_and_delete_from_the_list(
    portal: Portal, make_member: MakeMember, receiver: Receiver, api: httpx.AsyncClient
) -> None:
    member = await make_member("lister")
    _, token = await make_api_key(portal.server, member, "pms")
    port = receiver.port
    leasing = ["prospects", "leasing_events", "showings"]
    for path, tables, events in (
        ("leasing", leasing, ["INSERT", "UPDATE"]),
        ("units", ["units"], ["UPDATE"]),
    ):
        url = f"http://localhost:{port}/hooks/{path}"
        await subscribe(api, token, member, url, tables=tables, event_types=events)
    hook = await subscribe(api, token, member, receiver.url("/hooks/properties"))
    await portal.signed_in_as(member)
    await portal.goto("/portal/webhooks")
    urls = [cells[0].splitlines()[0] for _, cells in await list_rows(portal)]
    assert urls == [  # newest first
        receiver.url("/hooks/properties"),
        f"http://localhost:{port}/hooks/units",
        f"http://localhost:{port}/hooks/leasing",
    ]

    disable = f"[aria-label='Disable {receiver.url('/hooks/properties')}']"
    assert await click_and_wait(portal, disable) == 303
    assert "Webhook disabled" in await portal.page.inner_text(".notice")
    assert (await stored(api, token))[hook["id"]]["enabled"] is False
    row = portal.page.locator(f"tr[data-webhook-id='{hook['id']}']")
    assert await row.locator(".badge").inner_text() == "Disabled"
    await portal.screenshot("webhooks")

    # While disabled, a change makes no delivery; enabled again, the next one is delivered.
    created = await api.post(
        f"/{TABLE}", json=property_body(member.account_id, community_name="Quiet"), headers=bearer(token)
    )
    assert created.status_code == 200, created.text
    assert (await api.get(f"/webhooks/{hook['id']}/deliveries", headers=bearer(token))).json() == []
    assert await click_and_wait(portal, f"[aria-label='Enable {receiver.url('/hooks/properties')}']") == 303
    assert (await stored(api, token))[hook["id"]]["enabled"] is True
    assert await row.locator(".badge").inner_text() == "Enabled"
    created = await api.post(
        f"/{TABLE}", json=property_body(member.account_id, community_name="Loud"), headers=bearer(token)
    )
    assert created.status_code == 200, created.text
    [sent] = await receiver.wait_for(1, path="/hooks/properties")
    assert sent.json()["record"]["community_name"] == "Loud"

    await portal.page.click(f"[aria-label='Delete webhook {receiver.url('/hooks/properties')}']")
    assert await portal.page.inner_text("h1") == "Delete this webhook?"
    assert await click_and_wait(portal, "button.danger") == 303
    assert await portal.page.inner_text(".notice") == "Webhook deleted."
    assert hook["id"] not in [webhook_id for webhook_id, _ in await list_rows(portal)]
    assert hook["id"] not in await stored(api, token)
    gone = await portal.goto(f"/portal/webhooks/{hook['id']}/deliveries")
    assert gone.status == 404


async def test_a_test_send_to_a_receiver_that_is_down_shows_why(
    portal: Portal, make_member: MakeMember, api: httpx.AsyncClient
) -> None:
    member = await make_member("down")
    _, token = await make_api_key(portal.server, member, "pms")
    url = f"http://127.0.0.1:{free_port()}/gone"  # nothing listens there
    hook = await subscribe(api, token, member, url)
    await portal.signed_in_as(member)
    await portal.goto("/portal/webhooks")
    assert await click_and_wait(portal, f"[aria-label='Send test to {url}']") == 303
    result = await portal.page.inner_text("#test-result")
    assert "Test failed" in result
    assert "No response" in result
    assert "connection failed" in result
    [row] = await delivery_rows(portal)
    assert (row["status"], row["next_retry"], row["event"]) == ("dead lettered", "—", TABLE)
    [[number, _at, outcome, _duration, error]] = row["attempts"]
    assert (number, outcome) == ("1", "No response")
    assert error.startswith("connection failed")
    assert await _statuses(api, token, hook["id"]) == ["dead_lettered"]


def _replies(request: Received) -> Reply:
    """Test sends fail with a 500; a property named "Flaky" is refused for an hour; the rest succeed."""
    if request.headers.get("webhook-test") == "true":
        return Reply(500, body=b"receiver exploded")
    if request.json()["record"]["community_name"] == "Flaky":
        return Reply(503, headers={"Retry-After": "3600"})
    return Reply(200)


async def _statuses(api: httpx.AsyncClient, token: str, webhook_id: str) -> list[str]:
    response = await api.get(f"/webhooks/{webhook_id}/deliveries", headers=bearer(token))
    return [d["status"] for d in response.json()]


async def _filter(portal: Portal, statuses: list[str], after: str = "", before: str = "") -> int:
    for box in await portal.page.locator("input[name=status]").all():
        await box.set_checked(await box.get_attribute("value") in statuses)
    await portal.page.fill("#f-after", after)
    await portal.page.fill("#f-before", before)
    async with portal.page.expect_response(lambda r: "/deliveries" in r.url) as answered:
        await portal.page.click("form.filters button[type=submit]")
    await portal.page.wait_for_load_state()
    return (await answered.value).status


async def test_deliveries_filters_and_redeliver(
    portal: Portal, make_member: MakeMember, receiver: Receiver, api: httpx.AsyncClient
) -> None:
    receiver.respond = _replies
    member = await make_member("deliveries")
    _, token = await make_api_key(portal.server, member, "pms")
    hook = await subscribe(api, token, member, receiver.url(), event_types=["INSERT", "UPDATE"])
    for name in ("Sunset Towers", "Flaky"):
        body = property_body(member.account_id, community_name=name)
        assert (await api.post(f"/{TABLE}", json=body, headers=bearer(token))).status_code == 200
    await receiver.wait_for(2)
    await wait_until(lambda: _has(api, token, hook["id"], ["succeeded", "retrying"]), "both events attempted")

    await portal.signed_in_as(member)
    await portal.goto(f"/portal/webhooks/{hook['id']}/deliveries")
    assert await click_and_wait(portal, "button:has-text('Send test')") == 303
    result = await portal.page.inner_text("#test-result")
    assert "Test failed" in result
    assert "HTTP 500" in result
    rows = await delivery_rows(portal)
    assert [r["status"] for r in rows] == ["succeeded", "retrying", "dead lettered"]  # oldest first
    succeeded, retrying, dead = rows
    assert [a[2] for a in succeeded["attempts"]] == ["HTTP 200"]
    assert [a[2] for a in retrying["attempts"]] == ["HTTP 503"]
    retry_at = datetime.fromisoformat(retrying["next_retry"]).replace(tzinfo=UTC)
    assert abs(retry_at - (datetime.now(UTC) + timedelta(hours=1))) < timedelta(minutes=2)
    assert (succeeded["redeliver"], retrying["redeliver"], dead["redeliver"]) == (True, False, True)
    assert [a[2] for a in dead["attempts"]] == ["HTTP 500"]

    assert await _filter(portal, ["retrying"]) == 200
    assert [r["id"] for r in await delivery_rows(portal)] == [retrying["id"]]
    assert await portal.page.is_checked("input[name=status][value=retrying]")  # the form shows its filter
    assert await _filter(portal, ["succeeded", "dead_lettered"]) == 200
    assert [r["id"] for r in await delivery_rows(portal)] == [succeeded["id"], dead["id"]]
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    assert await _filter(portal, [], after=tomorrow) == 200
    assert "No deliveries match these filters." in await portal.page.inner_text("table.deliveries")
    assert await _filter(portal, [], after=tomorrow, before="2020-01-01T00:00") == 400
    assert await portal.alert() == "Created after must be earlier than created before."

    # Redeliver the dead-lettered test from a filtered view: same event, sent again, view kept.
    receiver.respond = lambda _request: Reply(200)
    assert await _filter(portal, ["succeeded", "dead_lettered"]) == 200
    assert await click_and_wait(portal, f"tr[data-delivery-id='{dead['id']}'] button") == 303
    assert await portal.page.inner_text(".notice") == "Delivery queued again."
    assert "status=succeeded" in portal.page.url
    assert "status=dead_lettered" in portal.page.url
    again = await receiver.wait_for(4)
    assert again[3].headers["webhook-id"] == again[2].headers["webhook-id"]
    await wait_until(
        lambda: _has(api, token, hook["id"], ["succeeded", "retrying", "succeeded"]), "redelivered"
    )
    await portal.page.reload()
    redelivered = {r["id"]: r for r in await delivery_rows(portal)}[dead["id"]]
    assert redelivered["status"] == "succeeded"
    assert [(a[0], a[2]) for a in redelivered["attempts"]] == [("1", "HTTP 500"), ("1", "HTTP 200")]
    await portal.goto(f"/portal/webhooks/{hook['id']}/deliveries")
    await portal.screenshot("webhook-deliveries")

    # A stale page: the webhook was disabled meanwhile, so the service refuses and the page says why.
    disabled = await api.post("/webhooks", json={"id": hook["id"], "enabled": False}, headers=bearer(token))
    assert disabled.status_code == 200
    assert await click_and_wait(portal, f"tr[data-delivery-id='{succeeded['id']}'] button") == 409
    assert "Not redelivered: webhook subscription is disabled" in await portal.alert()
    assert len(await delivery_rows(portal)) == 3


async def _has(api: httpx.AsyncClient, token: str, webhook_id: str, statuses: list[str]) -> bool:
    return await _statuses(api, token, webhook_id) == statuses


async def test_accounts_select_and_other_users_webhooks_are_not_found(
    portal: Portal, make_member: MakeMember, receiver: Receiver, api: httpx.AsyncClient
) -> None:
    owner = await make_member("two-accounts", accounts=2)
    stranger = await make_member("stranger")
    _, stranger_token = await make_api_key(portal.server, stranger, "s")
    theirs = await subscribe(api, stranger_token, stranger, receiver.url("/theirs"))

    await portal.signed_in_as(owner)
    await portal.goto("/portal/webhooks/new")
    options = await portal.page.locator("#wh-account option").all_inner_texts()
    assert options == sorted([f"two-accounts account {n}" for n in range(2)])
    await portal.page.select_option("#wh-account", label="two-accounts account 1")
    await portal.page.fill("#wh-url", receiver.url("/mine"))
    await portal.page.check("input[name=tables][value=units]")
    assert (await portal.submit("#webhook-form")).status == 303
    await portal.goto("/portal/webhooks")
    [(_, cells)] = await list_rows(portal)
    assert cells[1] == "two-accounts account 1"  # the account column appears with several accounts

    # Someone else's account in the form: refused, shown at the form, nothing created.
    await portal.goto("/portal/webhooks/new")
    await portal.page.evaluate(
        "id => { document.querySelector('#wh-account').options[0].value = id; }", str(stranger.account_id)
    )
    await portal.page.fill("#wh-url", receiver.url("/sneaky"))
    await portal.page.check("input[name=tables][value=units]")
    assert (await portal.submit("#webhook-form")).status == 403
    assert await portal.page.inner_text("#account_id-error") == "Choose one of your accounts."

    # Another user's webhook does not exist for this user, whatever the page or action.
    for path in ("", "/deliveries", "/delete"):
        response = await portal.goto(f"/portal/webhooks/{theirs['id']}{path}")
        assert response.status == 404
        assert await portal.alert() == "No such webhook."
    csrf = await portal.page.locator("input[name=csrf_token]").first.input_value()
    for action in ("test", "enabled", "secret", "delete"):
        answer = await portal.context.request.post(
            portal.server.url(f"/portal/webhooks/{theirs['id']}/{action}"),
            form={"csrf_token": csrf, "enabled": "false"},
            max_redirects=0,
        )
        assert answer.status == 404, action
        assert theirs["signing_secret"] not in await answer.text()
    assert receiver.to("/theirs") == []
    assert (await stored(api, stranger_token))[theirs["id"]] == theirs
