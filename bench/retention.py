"""Table sizes under continuous load past the retention period: they stay flat.

On a fresh, migrated database of each backend, an in-process app (the real API over ASGI) takes
lockbox events from `--accounts` accounts, `--events-per-hour` an hour, each event with its audit
entry, for `--days` days of application time. Time is simulated: the application's clock (the one
`rentengine.kit.clock` the code reads) moves on an hour per step, so days pass in seconds. After
every simulated hour the purge runs as the worker runs it (`rentengine.retention.purge_all`), with
both periods `--period-days` long. Events are Installs and Uninstalls of a fixed set of lockboxes,
so the purge also spares the Installs in force (at most one per lockbox).

Printed every `--report-hours` simulated hours: the rows of `lockbox_events` and `audit_entries`
and their size with their indexes: on PostgreSQL `pg_total_relation_size`, on SQLite the pages of
their b-trees (`dbstat`) and the file's pages in use (page_count - freelist_count).

PostgreSQL reuses the space of deleted rows once they are vacuumed. A live server's autovacuum
does that on its own (every minute at most, once enough rows changed); compressed into seconds, the
bench runs a plain `VACUUM` (which does not block writers) of the two tables after each purge in
its stead. `--no-vacuum` leaves it to autovacuum, whose schedule (a look a minute, a vacuum once a
fifth of a table is dead) is slow against days that pass in seconds.

    python -m bench.retention [--backends sqlite,postgresql] [--days 12] [--period-days 3]
"""

import argparse
import asyncio
import itertools
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from bench.counting import table
from bench.databases import BACKENDS, fresh_database, postgres_admin_url
from rentengine.app import create_app
from rentengine.auth import service as auth
from rentengine.db.migrate import upgrade
from rentengine.db.session import async_url
from rentengine.kit.clock import set_clock
from rentengine.lockboxes.models import LockboxEvent
from rentengine.retention import Periods, purge_all
from rentengine.runtime import Runtime
from rentengine.settings import Settings
from rentengine.units.models import Address, Unit

TABLES = ("lockbox_events", "audit_entries")
START = datetime(2026, 1, 1, tzinfo=UTC)
SECRET = "bench-secret-key-long-enough-0123456789-abcdef"
BOXES_PER_ACCOUNT = 20
BATCH = 100  # events per POST /lockbox_events
HEADERS = [
    "day",
    "hour",
    "lockbox_events rows",
    "audit_entries rows",
    "lockbox_events size",
    "audit_entries size",
]


@dataclass(frozen=True)
class Tenant:
    account_id: uuid.UUID
    headers: dict[str, str]
    boxes: list[str]
    unit: int


@dataclass(frozen=True)
class Sample:
    hours: int
    rows: dict[str, int]
    sizes: dict[str, int]  # bytes, the table with its indexes
    file_pages: int | None  # SQLite: pages in use in the whole file


class Clock:
    """The application's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--days", type=int, default=12, help="simulated days of load")
    parser.add_argument("--period-days", type=int, default=3, help="both retention periods")
    parser.add_argument("--events-per-hour", type=int, default=400)
    parser.add_argument("--accounts", type=int, default=4)
    parser.add_argument("--report-hours", type=int, default=12)
    parser.add_argument("--no-vacuum", action="store_true", help="PostgreSQL: no VACUUM after each purge")
    args = parser.parse_args()
    admin = postgres_admin_url(start="postgresql" in args.backends)
    for backend in args.backends.split(","):
        asyncio.run(run(backend, admin, args))


async def run(backend: str, admin: str | None, args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="rentengine-retention-") as workdir:
        async with fresh_database(backend, Path(workdir), admin) as url:
            await asyncio.to_thread(upgrade, url)
            clock = Clock()
            set_clock(clock)
            try:
                samples, purge_seconds = await load(url, clock, args)
            finally:
                set_clock(None)
    print_report(backend, args, samples, purge_seconds)


async def load(url: str, clock: Clock, args: argparse.Namespace) -> tuple[list[Sample], list[float]]:
    settings = Settings(database_url=url, secret_key=SECRET, rate_limit="off")
    runtime = Runtime.build(settings)
    period = timedelta(days=args.period_days)
    periods = Periods(lockbox_events=period, audit_entries=period, webhook_deliveries=timedelta(days=30))
    samples: list[Sample] = []
    purge_seconds: list[float] = []
    transport = httpx.ASGITransport(app=create_app(settings, runtime))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://bench/api/public/v1") as api:
            tenants = [await make_tenant(runtime, api, i) for i in range(args.accounts)]
            cycle = itertools.count()
            for hour in range(1, args.days * 24 + 1):
                await write_hour(api, tenants, args.events_per_hour, cycle)
                clock.now = START + timedelta(hours=hour)
                started = time.perf_counter()
                await purge_all(runtime.db, periods)
                purge_seconds.append(time.perf_counter() - started)
                if backend_of(url) == "postgresql" and not args.no_vacuum:
                    await vacuum(url)
                if hour % args.report_hours == 0:
                    samples.append(await sample(url, hour))
            await check_pages(runtime, api, tenants[0])
    finally:
        await runtime.db.dispose()
    return samples, purge_seconds


def backend_of(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


async def make_tenant(runtime: Runtime, api: httpx.AsyncClient, n: int) -> Tenant:
    async with runtime.db.transaction() as session:
        account = await auth.create_account(session, f"Retention bench {n}")
        user = await auth.create_user(
            session, f"retention-{n}-{uuid.uuid4().hex[:6]}@example.com", [account.id]
        )
        _, token = await auth.create_api_key(session, SECRET, user, "bench")
        address = Address(
            street_number="1", street_name="Main St", city="Austin", state="TX", zip_code="78701"
        )
        session.add(address)
        await session.flush()
        unit = Unit(
            account_id=account.id,
            address_id=address.id,
            city_key="austin",
            zip_code="78701",
            property_type="SINGLE FAMILY RESIDENCE",
            target_rental_rate=1800.0,
            created_at=START,
            updated_at=START,
        )
        session.add(unit)
        await session.flush()
        unit_id = unit.id
    headers = {"Authorization": f"Bearer {token}"}
    body = {
        "lockbox_type": "Sentrilock",
        "serial_numbers": [f"RB-{n}-{i}" for i in range(BOXES_PER_ACCOUNT)],
        "account_id": str(account.id),
    }
    response = await api.post("/lockboxes", json=body, headers=headers)
    response.raise_for_status()
    return Tenant(account.id, headers, [box["id"] for box in response.json()], unit_id)


async def write_hour(
    api: httpx.AsyncClient, tenants: list[Tenant], events: int, cycle: "itertools.count[int]"
) -> None:
    """An hour's events, spread over the accounts, each lockbox installed and uninstalled in turn."""
    for start in range(0, events, BATCH):
        tenant = tenants[(start // BATCH) % len(tenants)]
        batch = []
        for _ in range(min(BATCH, events - start)):
            n = next(cycle)
            box = tenant.boxes[n % len(tenant.boxes)]
            kind = "Install" if (n // len(tenant.boxes)) % 2 == 0 else "Uninstall"
            batch.append({"lockbox_id": box, "event_type": kind, "unit_id": tenant.unit})
        response = await api.post("/lockbox_events", json={"events": batch}, headers=tenant.headers)
        response.raise_for_status()


async def vacuum(url: str) -> None:
    engine = create_async_engine(async_url(url), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            for name in TABLES:
                await conn.execute(text(f"VACUUM {name}"))
    finally:
        await engine.dispose()


async def sample(url: str, hours: int) -> Sample:
    engine = create_async_engine(async_url(url))
    try:
        async with engine.connect() as conn:
            rows = {
                name: int(await conn.scalar(text(f"SELECT count(*) FROM {name}")) or 0) for name in TABLES
            }
            if backend_of(url) == "postgresql":
                sizes = {
                    name: int(await conn.scalar(text("SELECT pg_total_relation_size(:t)"), {"t": name}) or 0)
                    for name in TABLES
                }
                return Sample(hours, rows, sizes, None)
            sizes = {name: await sqlite_btree_bytes(conn, name) for name in TABLES}
            pages = int(await conn.scalar(text("PRAGMA page_count")) or 0)
            free = int(await conn.scalar(text("PRAGMA freelist_count")) or 0)
            return Sample(hours, rows, sizes, pages - free)
    finally:
        await engine.dispose()


async def sqlite_btree_bytes(conn: AsyncConnection, name: str) -> int:
    stmt = text(
        "SELECT coalesce(sum(pgsize), 0) FROM dbstat "
        "WHERE name IN (SELECT name FROM sqlite_schema WHERE tbl_name = :t)"
    )
    return int(await conn.scalar(stmt, {"t": name}) or 0)


async def check_pages(runtime: Runtime, api: httpx.AsyncClient, tenant: Tenant) -> None:
    """The account's events read page by page are the stored ones, in order (positions past a purge)."""
    async with runtime.db.transaction(writes=False) as session:
        stored = (
            await session.execute(
                select(LockboxEvent.id)
                .where(LockboxEvent.account_id == tenant.account_id)
                .order_by(LockboxEvent.created_at, LockboxEvent.id)
            )
        ).scalars()
        expected = [str(row) for row in stored]
    listed: list[str] = []
    for page in itertools.count():
        params = {"limit": "100", "page_number": str(page)}
        response = await api.get("/lockbox_events", params=params, headers=tenant.headers)
        response.raise_for_status()
        listed += [row["id"] for row in response.json()]
        if len(response.json()) < 100:
            break
    if listed != expected:
        raise SystemExit(
            f"GET /lockbox_events pages differ from the stored events ({len(listed)} vs {len(expected)})"
        )


def print_report(
    backend: str, args: argparse.Namespace, samples: list[Sample], purge_seconds: list[float]
) -> None:
    steady = args.period_days * 24
    print(
        f"\n{backend}: {args.events_per_hour} lockbox events (and as many audit entries) an hour from "
        f"{args.accounts} accounts for {args.days} simulated days; both periods {args.period_days} days; "
        f"purge after every hour"
        + (
            ""
            if backend == "sqlite"
            else ", without VACUUM"
            if args.no_vacuum
            else ", then VACUUM (stands in for autovacuum)"
        )
    )
    rows = [
        [
            str(s.hours // 24),
            str(s.hours % 24),
            f"{s.rows['lockbox_events']:,}",
            f"{s.rows['audit_entries']:,}",
            kib(s.sizes["lockbox_events"]),
            kib(s.sizes["audit_entries"]),
        ]
        + ([f"{s.file_pages:,}"] if s.file_pages is not None else [])
        for s in samples
    ]
    print(table(HEADERS + (["file pages in use"] if backend == "sqlite" else []), rows))
    settled = [s for s in samples if s.hours >= steady + 24]
    for name in TABLES if settled else ():
        low, high = min(s.sizes[name] for s in settled), max(s.sizes[name] for s in settled)
        print(f"{name}: from day {args.period_days + 1} on, {kib(low)} to {kib(high)} (÷ {high / low:.2f})")
    median = sorted(purge_seconds)[len(purge_seconds) // 2]
    longest = max(purge_seconds)
    print(f"purge runs: {len(purge_seconds)}, median {median * 1000:.0f} ms, longest {longest * 1000:.0f} ms")


def kib(size: int) -> str:
    return f"{size / 1024:,.0f} KiB"


if __name__ == "__main__":
    main()
