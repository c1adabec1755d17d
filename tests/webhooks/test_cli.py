"""`rentengine webhooks create|list|delete`, run as real processes: the same rules as POST /webhooks,
machine output alone on stdout, one-line reasons on stderr."""

import json
import uuid

import pytest
from sqlalchemy import select

from rentengine.kit.encryption import key_id, new_key, parse_keys
from rentengine.webhooks.models import WebhookDelivery, WebhookSubscription
from tests.factories import property_body
from tests.test_cli import (
    _at_most_three,
    api,
    assert_refused,
    cli,
    fresh_url,  # noqa: F401 - a fixture
    fresh_urls,  # noqa: F401 - a fixture
    only_uuid,
)

pytestmark = pytest.mark.slow
RECEIVER = "http://127.0.0.1:9/hooks"
ALLOW_PRIVATE = {"RENTENGINE_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true"}


async def _token(url: str, account: str) -> str:
    only_uuid(await cli(url, "users", "create", "pm@example.com", "--account", account))
    created = await cli(url, "keys", "create", "--user", "pm@example.com", "--name", "hooks")
    assert created.returncode == 0, created.stderr
    return created.stdout.strip()


async def _lines(url: str, account: str) -> list[list[str]]:
    result = await cli(url, "webhooks", "list", "--account", account)
    assert result.returncode == 0, result.stderr
    return [line.split("\t") for line in result.stdout.splitlines()]


async def test_create_list_and_delete_end_to_end(fresh_url: str) -> None:  # noqa: F811
    account = str(only_uuid(await cli(fresh_url, "accounts", "create", "Acme Rentals")))
    token = await _token(fresh_url, account)
    create = ("webhooks", "create", "--account", account, "--url", RECEIVER)
    listening = await cli(
        fresh_url,
        *create,
        *("--table", "multifamily_properties", "--event-type", "INSERT", "--api-key", "receiver-key"),
        **ALLOW_PRIVATE,
    )
    first = str(only_uuid(listening))
    assert f"created webhook subscription {first}" in listening.stderr
    as_json = await cli(
        fresh_url,
        *create,
        *("--table", "units", "--table", "multifamily_properties"),
        *("--event-type", "UPDATE", "--event-type", "DELETE", "--disabled", "--json"),
        **ALLOW_PRIVATE,
    )
    assert as_json.returncode == 0, as_json.stderr
    assert len(as_json.stdout.splitlines()) == 1
    second = json.loads(as_json.stdout)
    assert (second["tables"], second["event_types"]) == (
        ["units", "multifamily_properties"],
        ["UPDATE", "DELETE"],
    )
    assert (second["enabled"], second["api_key"], second["account_id"]) == (False, None, account)
    assert second["signing_secret"].startswith("whsec_")

    assert await _lines(fresh_url, account) == [
        [first, RECEIVER, "multifamily_properties", "INSERT", "enabled"],
        [second["id"], RECEIVER, "units,multifamily_properties", "UPDATE,DELETE", "disabled"],
    ]

    headers = {"Authorization": f"Bearer {token}"}
    async with api(fresh_url) as (client, _):
        listed = (await client.get("/webhooks", headers=headers)).json()
        assert [row["id"] for row in listed] == [first, second["id"]]
        assert listed[0]["api_key"] == "receiver-key"
        assert listed[1] == second
        response = await client.post(
            "/multifamily_properties", json=property_body(uuid.UUID(account)), headers=headers
        )
        assert response.status_code == 200
        [delivery] = (await client.get(f"/webhooks/{first}/deliveries", headers=headers)).json()
        assert (delivery["type"], delivery["status"]) == ("INSERT", "pending")
        assert (await client.get(f"/webhooks/{second['id']}/deliveries", headers=headers)).json() == []
        audit = await client.get("/audit_log", params={"table": "webhooks"}, headers=headers)
        assert "receiver-key" not in audit.text
        assert second["signing_secret"] not in audit.text
        assert [(e["action"], e["user_id"], e["api_key_id"], e["request_method"]) for e in audit.json()] == [
            ("INSERT", None, None, "CLI"),
            ("INSERT", None, None, "CLI"),
        ]

    deleted = await cli(fresh_url, "webhooks", "delete", first)
    assert (deleted.returncode, deleted.stdout) == (0, "")
    assert f"deleted webhook subscription {first}" in deleted.stderr
    assert [line[0] for line in await _lines(fresh_url, account)] == [second["id"]]
    async with api(fresh_url) as (client, runtime):
        gone = await client.get(f"/webhooks/{first}/deliveries", headers=headers)
        assert gone.status_code == 404
        async with runtime.db.transaction(writes=False) as session:
            statuses = await session.scalars(
                select(WebhookDelivery.status).where(WebhookDelivery.webhook_id == uuid.UUID(first))
            )
            assert list(statuses) == ["cancelled"]
    assert_refused(await cli(fresh_url, "webhooks", "delete", first), f"no webhook subscription {first}")


async def test_refusals_name_the_option_and_create_nothing(fresh_url: str) -> None:  # noqa: F811
    account = str(only_uuid(await cli(fresh_url, "accounts", "create", "Acme Rentals")))
    unknown = str(uuid.uuid4())
    base = ("webhooks", "create", "--url", RECEIVER, "--table", "units", "--event-type", "INSERT")
    refusals: list[tuple[tuple[str, ...], dict[str, str], str]] = [
        (
            (*base, "--account", account),
            {},
            "--url: the target is not allowed",
        ),
        (
            (*base, "--account", account, "--table", "audit_log"),
            ALLOW_PRIVATE,
            "--table #2: must be equal to one of the allowed values (units, lockboxes,",
        ),
        (
            (*base, "--account", account, "--event-type", "INSERT"),
            ALLOW_PRIVATE,
            "--event-type: must NOT have duplicate items (items ## 1 and 0 are identical)",
        ),
        (
            (*base, "--account", account, "--url", "https://user:pw@127.0.0.1/"),
            ALLOW_PRIVATE,
            "--url: must NOT contain a user name or password",
        ),
        ((*base, "--account", unknown), ALLOW_PRIVATE, f"no such account: {unknown}"),
        (("webhooks", "create", "--account", account, "--url", RECEIVER), {}, "Missing option '--table'"),
        (("webhooks", "list", "--account", unknown), {}, f"no such account: {unknown}"),
        (("webhooks", "delete", unknown), {}, f"no webhook subscription {unknown}"),
    ]
    results = await _at_most_three(cli(fresh_url, *args, **env) for args, env, _ in refusals)
    for result, (args, _, message) in zip(results, refusals, strict=True):
        try:
            assert_refused(result, message)
        except AssertionError as exc:
            raise AssertionError(f"rentengine {' '.join(args)}: {result}") from exc
    assert await _lines(fresh_url, account) == []


async def test_reseal_moves_every_secret_to_the_first_key(fresh_url: str) -> None:  # noqa: F811
    old, new = new_key(), new_key()
    account = str(only_uuid(await cli(fresh_url, "accounts", "create", "Acme Rentals")))
    create = ("webhooks", "create", "--account", account, "--url", RECEIVER, "--table", "units")
    sealed_by_old = only_uuid(
        await cli(
            fresh_url,
            *create,
            *("--event-type", "INSERT", "--api-key", "receiver-key"),
            RENTENGINE_DATA_ENCRYPTION_KEY=old,
            **ALLOW_PRIVATE,
        )
    )
    rotation = {"RENTENGINE_DATA_ENCRYPTION_KEY": f"{new},{old}"}
    resealed = await cli(fresh_url, "webhooks", "reseal", **rotation)
    assert (resealed.returncode, resealed.stdout) == (0, ""), resealed.stderr
    assert "re-encrypted the secrets of 1 webhook subscriptions" in resealed.stderr
    async with api(fresh_url) as (_, runtime), runtime.db.transaction(writes=False) as session:
        row = (
            await session.execute(select(WebhookSubscription).where(WebhookSubscription.id == sealed_by_old))
        ).scalar_one()
    for sealed in (row.signing_secret_sealed, row.api_key_sealed):
        assert sealed is not None
        assert f":{key_id(parse_keys(new)[0])}:" in sealed
    # Only the new key is needed from now on; a key that never sealed anything is refused loudly.
    assert (
        await cli(fresh_url, "webhooks", "list", "--account", account, RENTENGINE_DATA_ENCRYPTION_KEY=new)
    ).returncode == 0
    wrong = await cli(fresh_url, "webhooks", "reseal", RENTENGINE_DATA_ENCRYPTION_KEY=new_key())
    assert wrong.returncode != 0
    assert "Traceback" not in wrong.stderr
