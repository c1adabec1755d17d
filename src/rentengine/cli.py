"""The `rentengine` command. Machine-readable output goes to stdout, human messages to stderr."""

import asyncio
import sys
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.agents.cli import account_settings, agent_tokens
from rentengine.auth import repository as auth_repository
from rentengine.auth import service as auth
from rentengine.auth.access import Operator
from rentengine.changes.types import Actor
from rentengine.db.migrate import upgrade
from rentengine.db.session import Database
from rentengine.errors import ApiError, BadRequest, NotFound
from rentengine.kit.jsonutil import dumps
from rentengine.settings import Settings, describe_error
from rentengine.validation import translate_errors
from rentengine.webhooks import repository as webhook_repository
from rentengine.webhooks import service as webhook_service
from rentengine.webhooks.schemas import WebhookUpsert

T = TypeVar("T")


def _settings() -> Settings:
    try:
        settings = Settings()
    except ValidationError as exc:
        raise click.ClickException(describe_error(exc)) from None
    url = make_url(settings.database_url)
    # SQLite creates the file but not its directory; say so before the driver fails obscurely.
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).parent.is_dir():
        raise click.ClickException(f"the directory of the SQLite database does not exist: {url.database}")
    return settings


@contextmanager
def _clear_errors() -> Iterator[None]:
    """Rule and database failures end the command with one line on stderr, not a traceback."""
    try:
        yield
    except auth.AuthRuleError as exc:
        raise click.ClickException(str(exc)) from None
    except DBAPIError as exc:
        raise click.ClickException(f"database error: {exc.orig or exc}") from None
    except OSError as exc:  # e.g. the PostgreSQL server refuses the connection
        raise click.ClickException(f"cannot reach the database: {exc}") from None


def in_transaction(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Migrates, then runs `work` in one committed transaction; rule errors become CLI errors."""
    settings = _settings()

    async def run() -> T:
        db = Database(settings.database_url, pool_size=2)
        try:
            async with db.transaction() as session:
                return await work(session)
        finally:
            await db.dispose()

    with _clear_errors():
        upgrade(settings.database_url)
        return asyncio.run(run())


@click.group()
@click.version_option(package_name="rentengine")
def main() -> None:
    """rentengine: a self-hostable RentEngine Public API server."""


async def _refresh_unit_wires(settings: Settings) -> None:
    from rentengine.units.service import refresh_stale_wires

    db = Database(settings.database_url, pool_size=1)
    try:
        refreshed = await refresh_stale_wires(db, settings.public_base_url)
    finally:
        await db.dispose()
    if refreshed:
        click.echo(f"stored the wire form of {refreshed} units", err=True)


# How long `serve` waits for each of its processes to start answering.
STARTUP_SECONDS = 60
# Longer than clients keep an idle connection (httpx 5 s, browsers ~60 s, load balancers 60 s): the
# client, not the server, closes an idle one, so a request sent just as it expires is never dropped.
KEEP_ALIVE_SECONDS = 75


@main.command()
def migrate() -> None:
    """Apply database migrations."""
    settings = _settings()
    with _clear_errors():
        upgrade(settings.database_url)
    click.echo("database is up to date", err=True)


@main.command()
def purge() -> None:
    """Delete rows past their retention period once (the webhook worker also does this hourly).

    Prints {"deleted": {table: rows}, "kept_for_good": [tables]}. Lockbox events and audit entries
    are kept for good unless RENTENGINE_LOCKBOX_EVENT_RETENTION_DAYS or RENTENGINE_AUDIT_RETENTION_DAYS
    is set; finished webhook deliveries go after RENTENGINE_WEBHOOK_RETENTION_DAYS. Runs in short
    batches beside a live server.
    """
    from rentengine.retention import Periods, purge_all

    settings = _settings()
    periods = Periods.of(settings)

    async def run() -> dict[str, int]:
        db = Database(settings.database_url, pool_size=1)
        try:
            return (await purge_all(db, periods)).deleted
        finally:
            await db.dispose()

    with _clear_errors():
        upgrade(settings.database_url)
        deleted = asyncio.run(run())
    kept = [table for table in ("lockbox_events", "audit_entries") if table not in deleted]
    for table in kept:
        click.echo(f"{table}: kept for good (no retention period set)", err=True)
    click.echo(dumps({"deleted": deleted, "kept_for_good": kept}).decode())


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--demo", is_flag=True, help="On an empty database, create a demo account, user, key and data.")
@click.option("--no-worker", is_flag=True, help="Do not run the webhook delivery worker in this process.")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="API processes sharing the port (one per core is the usual choice); each runs a delivery worker "
    "unless --no-worker.",
)
@click.option(
    "--access-log/--no-access-log",
    default=True,
    show_default=True,
    help="A log line per request (JSON with RENTENGINE_LOG_FORMAT=json).",
)
def serve(host: str, port: int, demo: bool, no_worker: bool, workers: int, access_log: bool) -> None:
    """Run the API server (migrations are applied first); SIGTERM drains it and exits 0."""
    import os

    import uvicorn

    from rentengine.app import DELIVERY_WORKER_ENV
    from rentengine.lifecycle import run_server
    from rentengine.observability.logs import log_config

    settings = _settings()
    upgrade(settings.database_url)
    asyncio.run(_refresh_unit_wires(settings))
    if demo:
        from rentengine.demo import ensure_demo

        asyncio.run(ensure_demo(settings, f"http://{host}:{port}"))
    # The processes build their app from the environment (uvicorn's factory), so it says the rest.
    os.environ[DELIVERY_WORKER_ENV] = "0" if no_worker else "1"
    if workers > 1 and not settings.rate_limit_storage:
        # Process memory would give each process its own counters: the database counts for all.
        os.environ["RENTENGINE_RATE_LIMIT_STORAGE"] = "database"
        click.echo(
            "rate limit: counted in the database across the processes (set "
            "RENTENGINE_RATE_LIMIT_STORAGE=redis://… to use Redis)",
            err=True,
        )
    config = uvicorn.Config(
        "rentengine.app:serve_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        # The app writes the access log (with the request id, route and duration); uvicorn's is off.
        log_config=log_config(settings.log_format, access_log),
        access_log=False,
        # Forwarded client addresses and schemes are believed only from the configured proxies.
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        # After SIGTERM, requests in flight get this long to finish (see `rentengine.lifecycle`).
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
        # A process busy importing the app on a loaded machine is not a hung one.
        timeout_worker_healthcheck=STARTUP_SECONDS,
    )
    run_server(config)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=4010, show_default=True, type=click.IntRange(1, 65535))
@click.option("--quiet", is_flag=True, help="No line per request in the log (warnings and errors only).")
def mock(host: str, port: int, quiet: bool) -> None:
    """Run the mock server: documented examples, real validation, no database, no state."""
    from rentengine.kit.startup import loading

    with loading():
        import uvicorn

        from rentengine.mock import create_mock_app, mock_settings

        try:
            settings = mock_settings()
        except ValidationError as exc:
            raise click.ClickException(describe_error(exc)) from None
        app = create_mock_app(settings)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning" if quiet else "info",
        access_log=not quiet,
        # Forwarded client addresses and schemes are believed only from the configured proxies.
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies,
    )


@main.command()
@click.option(
    "--metrics-port",
    type=click.IntRange(1, 65535),
    default=None,
    help="Serve this worker's Prometheus metrics at http://HOST:PORT/metrics.",
)
@click.option("--metrics-host", default="127.0.0.1", show_default=True)
def worker(metrics_port: int | None, metrics_host: str) -> None:
    """Run the webhook delivery worker only (any number may run); SIGTERM or SIGINT stop it cleanly."""
    import logging

    from prometheus_client import start_http_server

    from rentengine.webhooks.delivery.metrics import WebhookMetrics
    from rentengine.webhooks.delivery.worker import run_worker_process

    settings = _settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    metrics = WebhookMetrics()
    with _clear_errors():
        upgrade(settings.database_url)
    if metrics_port is not None:
        try:
            start_http_server(metrics_port, metrics_host, registry=metrics.registry)
        except OSError as exc:
            raise click.ClickException(
                f"cannot serve metrics on {metrics_host}:{metrics_port}: {exc}"
            ) from None
    with _clear_errors():
        run_worker_process(settings, metrics)


@main.group()
def accounts() -> None:
    """Manage accounts."""


@accounts.command("create")
@click.argument("name")
def accounts_create(name: str) -> None:
    """Create an account; prints its id."""
    account = in_transaction(lambda s: auth.create_account(s, name))
    click.echo(str(account.id))


@main.group()
def users() -> None:
    """Manage users."""


@users.command("create")
@click.argument("email")
@click.option(
    "--account",
    "account_ids",
    multiple=True,
    required=True,
    type=click.UUID,
    help="An account the user belongs to (repeatable).",
)
@click.option("--password-stdin", is_flag=True, help="Read the user's portal password from stdin.")
def users_create(email: str, account_ids: tuple[uuid.UUID, ...], password_stdin: bool) -> None:
    """Create a user in one or more accounts; prints its id."""
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    if password_stdin and not password:
        raise click.ClickException("no password on stdin")
    user = in_transaction(lambda s: auth.create_user(s, email, list(account_ids), password))
    click.echo(str(user.id))


@users.command("set-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, required=True, help="Read the new password from stdin.")
def users_set_password(email: str, password_stdin: bool) -> None:
    """Set a user's portal password (read from stdin); signs the user out everywhere."""
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else ""
    if not password:
        raise click.ClickException("no password on stdin")
    from rentengine.portal.sessions import sign_out_everywhere

    async def work(session: AsyncSession) -> None:
        user = await auth.set_password(session, email, password)
        await sign_out_everywhere(session, user.id)

    in_transaction(work)
    click.echo(f"password set for {email.strip().lower()}", err=True)


@users.command("delete")
@click.argument("email")
def users_delete(email: str) -> None:
    """Delete a user: revokes their keys, ends their portal sessions, records it in the audit log."""
    from rentengine.portal.sessions import sign_out_everywhere

    async def work(session: AsyncSession) -> uuid.UUID:
        user = await auth.require_user(session, email)
        await sign_out_everywhere(session, user.id)
        await auth.delete_user(session, email)
        return user.id

    user_id = in_transaction(work)
    click.echo(f"deleted user {user_id} ({email.strip().lower()}); their keys are revoked", err=True)


@main.group()
def keys() -> None:
    """Manage API keys."""


@keys.command("create")
@click.option("--user", "email", required=True, help="The email of the key's user.")
@click.option("--name", required=True, help="A name to recognise the key by.")
def keys_create(email: str, name: str) -> None:
    """Create an API key; prints the token alone (it is shown only this once)."""
    settings = _settings()

    async def work(session: AsyncSession) -> str:
        user = await auth.require_user(session, email)
        key, token = await auth.create_api_key(session, settings.secret_key, user, name)
        click.echo(f"created key {key.id} ({key.name}); the token is not shown again", err=True)
        return token

    click.echo(in_transaction(work))


@keys.command("list")
@click.option("--user", "email", required=True)
def keys_list(email: str) -> None:
    """List a user's keys: id, name, created, last used, status (tab-separated)."""

    async def work(session: AsyncSession) -> list[str]:
        user = await auth.require_user(session, email)
        return [
            "\t".join(
                [
                    str(k.id),
                    k.name,
                    k.created_at.isoformat(),
                    k.last_used_at.isoformat() if k.last_used_at else "-",
                    "revoked" if k.revoked_at else "active",
                ]
            )
            for k in await auth_repository.keys_of(session, user.id)
        ]

    for line in in_transaction(work):
        click.echo(line)


@keys.command("revoke")
@click.argument("key_id", type=click.UUID)
def keys_revoke(key_id: uuid.UUID) -> None:
    """Revoke a key, irreversibly; its token is refused from the next request on."""
    in_transaction(lambda s: auth.revoke_api_key(s, key_id))
    click.echo(f"revoked key {key_id}", err=True)


@main.command("demo-data")
@click.option(
    "--account",
    "account_id",
    type=click.UUID,
    default=None,
    help="Load into this account (default: a new demo account).",
)
@click.option("--units", default=1_000, show_default=True, type=click.IntRange(min=0))
@click.option("--lockbox-events", default=10_000, show_default=True, type=click.IntRange(min=0))
@click.option("--properties", default=20, show_default=True, type=click.IntRange(min=0))
@click.option(
    "--prospects",
    default=2_000,
    show_default=True,
    type=click.IntRange(min=0),
    help="Prospects on the account's units over the last 120 days, each with the leasing events, "
    "showings, calls, messages and application group of its story (about 12 rows per prospect).",
)
@click.option("--quiet", is_flag=True, help="No progress bars.")
def demo_data(
    account_id: uuid.UUID | None,
    units: int,
    lockbox_events: int,
    properties: int,
    prospects: int,
    quiet: bool,
) -> None:
    """Load realistic demo data (units, properties, lockboxes, lockbox events, and a leasing pipeline:
    prospects, leasing events, showings, calls, messages, application groups); prints the account id."""
    from rentengine.demo import load_demo_data
    from rentengine.demo.loader import DemoSizes

    settings = _settings()
    sizes = DemoSizes(units=units, properties=properties, lockbox_events=lockbox_events, prospects=prospects)
    with _clear_errors():
        upgrade(settings.database_url)
        loaded = asyncio.run(load_demo_data(settings, sizes, account_id, show_progress=not quiet))
    click.echo(str(loaded))


@main.group()
def webhooks() -> None:
    """Manage webhook subscriptions (the same rules as POST /webhooks)."""


_WEBHOOK_OPTIONS = {
    "account_id": "--account",
    "url": "--url",
    "tables": "--table",
    "event_types": "--event-type",
    "api_key": "--api-key",
}


def _webhook_refusal(details: list[dict[str, Any]]) -> click.ClickException:
    """The API's 400 details as one line, named by the options that carry them."""
    reasons = []
    for item in details:
        parts = item["instancePath"].split("/")[1:]
        where = _WEBHOOK_OPTIONS.get(parts[0], parts[0]) if parts else "the subscription"
        if len(parts) > 1:
            where += f" #{int(parts[1]) + 1}"
        allowed = item["params"].get("allowedValues")
        enum = item["keyword"] == "enum" and isinstance(allowed, list)
        suffix = f" ({', '.join(allowed)})" if enum else ""
        reasons.append(f"{where}: {item['message']}{suffix}")
    return click.ClickException("invalid webhook subscription: " + "; ".join(reasons))


@contextmanager
def _webhook_errors(not_found: str = "no such webhook subscription") -> Iterator[None]:
    """The service's API errors as one-line CLI errors."""
    try:
        yield
    except BadRequest as exc:
        raise _webhook_refusal(exc.details or []) from None
    except NotFound:
        raise click.ClickException(not_found) from None
    except ApiError as exc:
        raise click.ClickException(exc.error) from None


def _cli_actor(command: str) -> Actor:
    return Actor(user_id=None, request_method="CLI", request_path=f"rentengine webhooks {command}")


@webhooks.command("create")
@click.option("--account", "account_id", required=True, type=click.UUID)
@click.option("--url", required=True, help="An http or https URL whose host has public addresses.")
@click.option(
    "--table",
    "tables",
    multiple=True,
    required=True,
    help="A table to receive events of (repeatable): units, lockboxes, lockbox_events, "
    "multifamily_properties, prospects, leasing_events, showings, rental_application_groups, calls, "
    "messages.",
)
@click.option(
    "--event-type", "event_types", multiple=True, required=True, help="INSERT, UPDATE or DELETE (repeatable)."
)
@click.option("--api-key", default=None, help="Sent to the receiver as X-API-Key.")
@click.option("--disabled", is_flag=True, help="Create it disabled: no deliveries until enabled.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print the whole subscription (with its signing secret)."
)
def webhooks_create(
    account_id: uuid.UUID,
    url: str,
    tables: tuple[str, ...],
    event_types: tuple[str, ...],
    api_key: str | None,
    disabled: bool,
    as_json: bool,
) -> None:
    """Create a webhook subscription; prints its id (or the JSON object with --json)."""
    settings = _settings()
    sent = {
        "account_id": str(account_id),
        "url": url,
        "tables": list(tables),
        "event_types": list(event_types),
    }
    sent |= {"api_key": api_key} if api_key is not None else {}
    try:
        body = WebhookUpsert.model_validate({**sent, "enabled": not disabled})
    except ValidationError as exc:
        raise _webhook_refusal(translate_errors(exc.errors(), located=False)) from None

    async def work(session: AsyncSession) -> dict[str, Any]:
        if not await auth_repository.existing_account_ids(session, [account_id]):
            raise click.ClickException(f"no such account: {account_id}")
        allow_private = settings.webhook_allow_private_targets
        with _webhook_errors():
            record, _ = await webhook_service.upsert_subscription(
                session, Operator(), _cli_actor("create"), body, allow_private
            )
        return record

    record = in_transaction(work)
    click.echo(f"created webhook subscription {record['id']} for {record['url']}", err=True)
    click.echo(dumps(record).decode() if as_json else record["id"])


@webhooks.command("list")
@click.option("--account", "account_id", required=True, type=click.UUID)
def webhooks_list(account_id: uuid.UUID) -> None:
    """List an account's subscriptions: id, url, tables, event types, enabled (tab-separated)."""

    async def work(session: AsyncSession) -> list[str]:
        if not await auth_repository.existing_account_ids(session, [account_id]):
            raise click.ClickException(f"no such account: {account_id}")
        return [
            "\t".join(
                [
                    str(row.id),
                    row.url,
                    ",".join(row.tables),
                    ",".join(row.event_types),
                    "enabled" if row.enabled else "disabled",
                ]
            )
            for row in await webhook_repository.list_subscriptions(session, [account_id])
        ]

    for line in in_transaction(work):
        click.echo(line)


@webhooks.command("delete")
@click.argument("webhook_id", type=click.UUID)
def webhooks_delete(webhook_id: uuid.UUID) -> None:
    """Delete a subscription; its pending and retrying deliveries are cancelled."""

    async def work(session: AsyncSession) -> None:
        with _webhook_errors(f"no webhook subscription {webhook_id}"):
            await webhook_service.delete_subscription(session, Operator(), _cli_actor("delete"), webhook_id)

    in_transaction(work)
    click.echo(f"deleted webhook subscription {webhook_id}", err=True)


@webhooks.command("reseal")
def webhooks_reseal() -> None:
    """Encrypt again, with the first RENTENGINE_DATA_ENCRYPTION_KEY, every secret stored under another key."""
    from rentengine.kit.encryption import SealError
    from rentengine.webhooks.secrets import environment_keyring, reseal

    async def work(session: AsyncSession) -> int:
        try:
            return await reseal(session, environment_keyring())
        except SealError as error:
            raise click.ClickException(str(error)) from None

    changed = in_transaction(work)
    click.echo(f"re-encrypted the secrets of {changed} webhook subscriptions", err=True)


main.add_command(agent_tokens)
accounts.add_command(account_settings)
