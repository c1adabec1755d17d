"""A leasing history for the reports' benchmark, written straight into the tables with set-based SQL.

`rentengine demo-data` builds each prospect's story in Python, about 400 s per 100,000 prospects:
too slow for a million. Here the database generates the rows itself (PostgreSQL's generate_series,
a recursive CTE on SQLite), from a plan of integers: one row per prospect with its account, position,
creation time (microseconds since 1970), unit, funnel depth and a random number. Every other table
is derived from that plan, so a prospect's events, showing, call and message agree with it.

The units must exist already (`rentengine demo-data --prospects 0`, which also writes the JSON that
GET /units serves), in contiguous id ranges per account, as demo-data creates them. What the
application relies on holds:

- per account, prospects and leasing events are numbered 1, 2, 3, … (`account_seq`) in id order,
  with creation times that never go down along the numbers, and the counter tables hold each
  account's latest position and time (`rentengine.db.positions`);
- a prospect's events are at or after its creation; `prospects.milestones` is the bitwise or of its
  events' steps (`rentengine.prospects.milestones`).
"""

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import literal_column
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from rentengine.db.session import async_url
from rentengine.prospects.funnel import COUNT_COLUMNS, STEP_BITS
from rentengine.prospects.milestones import milestone_expression

HISTORY = timedelta(days=730)
# A prospect's story lasts at most this long, so prospects stop this long before now and every
# event is in the past.
STORY = timedelta(days=14)
STEP_US = 2 * 86_400 * 1_000_000  # about two days between one step of a story and the next
PRIME = 2_147_483_647  # the hash's modulus: 2^31 - 1
SOURCES = (  # (lead source, share in percent)
    ("Zillow", 22),
    ("Apartments.com", 15),
    ("Website Widget", 12),
    ("Phone Call", 9),
    ("Facebook", 8),
    ("Craigslist", 7),
    ("Zumper", 6),
    ("HotPads", 5),
    ("Realtor.com", 5),
    ("Trulia", 4),
    ("Referral", 4),
    ("Yard Sign", 3),
)
# (funnel depth, share in percent): the number of events in a prospect's story; 1.0 on average.
DEPTHS = ((0, 50), (1, 25), (2, 11), (3, 7), (4, 4), (5, 2), (6, 1))
FIRST_NAMES = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Maria",
    "William", "Elizabeth", "Carlos", "Susan", "Daniel", "Jessica", "Ahmed", "Sarah", "Wei", "Karen",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore",
    "Nguyen", "Allen",
)  # fmt: skip
DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "icloud.com", "hotmail.com")
SHOWING_METHODS = ("Self Guided", "Agent Guided", "Remote Guided with Gated Access")
FEEDBACK = (
    "Loved the kitchen, asked about pets.",
    "Thought the rent was a bit high for the area.",
    "Wants a bigger yard.",
    "Liked the neighborhood, will apply.",
)


@dataclass(frozen=True)
class Sizes:
    prospects: int

    @property
    def label(self) -> str:
        return f"{self.prospects:,} prospects"


@dataclass(frozen=True)
class AccountUnits:
    """One account's units: ids `first_id` to `first_id + count - 1`."""

    account_id: uuid.UUID
    first_id: int
    count: int


@dataclass(frozen=True)
class Loaded:
    """What the load wrote, read back, and how long it took."""

    rows: dict[str, int]
    seconds: float


def hashed(expression: str, salt: int) -> str:
    """A pseudo-random integer in [0, 2^31 - 1) from an integer column: multiply, square, multiply,
    modulo a prime (every product stays under 2^63). The square makes hashes of different salts
    independent; without it they would be one sequence shifted."""
    first = f"((CAST({expression} AS BIGINT) * 1103515245 + {salt * 40503}) % {PRIME})"
    return f"(((({first} * {first}) % {PRIME}) * 506952114 + {salt}) % {PRIME})"


def pick(bucket: str, choices: list[tuple[str, int]]) -> str:
    """A CASE giving each SQL value its share (percent) of the buckets 0-99."""
    whens, bound = [], 0
    for value, share in choices[:-1]:
        bound += share
        whens.append(f"WHEN {bucket} < {bound} THEN {value}")
    return f"CASE {' '.join(whens)} ELSE {choices[-1][0]} END"


def quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def lookup(name: str, values: tuple[str, ...]) -> str:
    """A CTE `name(k, value)` numbering `values` from 0, for a join on a hashed index."""
    rows = ", ".join(f"({k}, {quoted(value)})" for k, value in enumerate(values))
    return f"{name}(k, value) AS (VALUES {rows})"


@dataclass(frozen=True)
class Backend:
    """What differs between the two backends' SQL: numbers, times, ids."""

    name: str

    @property
    def postgresql(self) -> bool:
        return self.name == "postgresql"

    def numbers(self, count: int) -> str:
        """A CTE `n(i)` of the integers 1 to `count`, to follow `WITH RECURSIVE`."""
        if self.postgresql:
            # bigint, as SQLite's integers are: the arithmetic on i would overflow int4
            return f"n(i) AS (SELECT generate_series(CAST(1 AS BIGINT), {count}))"
        return f"n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count})"

    def timestamp(self, micros: str) -> str:
        """A stored time from microseconds since 1970, as the application stores it: SQLite keeps
        text that sorts as time only in this exact form."""
        if self.postgresql:
            return f"(TIMESTAMPTZ 'epoch' + ({micros}) * INTERVAL '1 microsecond')"
        seconds = f"strftime('%Y-%m-%d %H:%M:%S', ({micros}) / 1000000, 'unixepoch')"
        return f"({seconds} || printf('.%06d', ({micros}) % 1000000))"

    def account(self, account_id: uuid.UUID) -> str:
        """An account id as a literal: a uuid on PostgreSQL, 32 hex digits on SQLite (as stored)."""
        return f"CAST('{account_id}' AS UUID)" if self.postgresql else f"'{account_id.hex}'"

    @property
    def account_type(self) -> str:
        return "UUID" if self.postgresql else "CHAR(32)"

    def milestone_bits(self, dialect: Dialect) -> str:
        """The application's own event-type-to-bit rule, as SQL on `event_type`."""
        expression = milestone_expression(literal_column("event_type"))
        return str(expression.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def plan_sql(backend: Backend, account: AccountUnits, count: int, first_id: int, now_us: int) -> str:
    """One account's prospects as integers: ids from `first_id + 1`, creation times spread evenly
    (with jitter inside each prospect's own slot, so they only go up) over the history."""
    start_us = now_us - int(HISTORY.total_seconds() * 1e6)
    slot_us = (int((HISTORY - STORY).total_seconds() * 1e6)) // count
    depth = pick(f"{hashed('i', 11)} % 100", [(str(d), share) for d, share in DEPTHS])
    return f"""
        WITH RECURSIVE {backend.numbers(count)}
        INSERT INTO bench_plan (id, account_id, seq, t_us, unit_id, depth, r)
        SELECT {first_id} + i, {backend.account(account.account_id)}, i,
               {start_us} + (i - 1) * {slot_us} + {hashed("i", 3)} % {slot_us},
               {account.first_id} + {hashed("i", 5)} % {account.count},
               {depth}, {hashed(f"{first_id} + i", 7)}
        FROM n
    """


def _event_type(k: str, plan: str) -> str:
    """The type of a story's k-th event: contact, showing, application, decision."""
    return f"""CASE {k}
        WHEN 1 THEN CASE WHEN {plan}.depth = 1 AND {plan}.r % 10 < 4 THEN 'Not Interested'
                         ELSE 'Contacted' END
        WHEN 2 THEN 'Showing Scheduled'
        WHEN 3 THEN 'Showing Complete'
        WHEN 4 THEN 'Application Sent to Prospect'
        WHEN 5 THEN 'Application Received'
        ELSE CASE WHEN {plan}.r % 3 = 0 THEN 'Prescreen Rejected - Credit' ELSE 'Application Approved' END
    END"""


def _status() -> str:
    """The prospect's status: where its story stopped."""
    return f"""CASE p.depth
        WHEN 0 THEN CASE p.r % 3 WHEN 0 THEN 'New' WHEN 1 THEN 'Ghosting' ELSE 'Awaiting Information' END
        WHEN 6 THEN CASE WHEN p.r % 3 = 0 THEN 'Prescreen Rejected' ELSE 'Application Approved' END
        ELSE {_event_type("p.depth", "p")}
    END"""


def prospects_sql(backend: Backend) -> str:
    source = pick(f"{hashed('p.id', 13)} % 100", [(quoted(s), share) for s, share in SOURCES])
    created = backend.timestamp("p.t_us")
    name = "LOWER(f.value) || '.' || LOWER(l.value) || CAST(p.id AS TEXT) || '@' || d.value"
    return f"""
        WITH {lookup("first_names", FIRST_NAMES)}, {lookup("last_names", LAST_NAMES)},
             {lookup("domains", DOMAINS)}
        INSERT INTO prospects (id, account_id, unit_id, first_name, last_name, email, phone, status,
                               source, prospect_type, credit_score, income, notes, created_at,
                               updated_at, account_seq, milestones)
        SELECT p.id, p.account_id, p.unit_id, f.value, l.value, {name},
               CAST(2000000000 + p.r AS TEXT), {_status()}, {source},
               CASE WHEN p.r % 5 = 0 THEN 'Agent' ELSE 'Self' END,
               CASE p.r % 4 WHEN 0 THEN '750+' WHEN 1 THEN '700-749' WHEN 2 THEN '650-699' ELSE NULL END,
               '$' || CAST(3000 + (p.r % 6) * 1000 AS TEXT) || '/month', NULL,
               {created}, {created}, p.seq, 0
        FROM bench_plan p
        JOIN first_names f ON f.k = {hashed("p.id", 17)} % {len(FIRST_NAMES)}
        JOIN last_names l ON l.k = {hashed("p.id", 19)} % {len(LAST_NAMES)}
        JOIN domains d ON d.k = p.r % {len(DOMAINS)}
        ORDER BY p.id
    """


def story_sql(backend: Backend) -> str:
    """Each prospect's events as integers: the k-th about k - 1 steps after its creation, with jitter
    inside the step so that a story's events keep their order."""
    return f"""
        WITH RECURSIVE {backend.numbers(max(depth for depth, _ in DEPTHS))}
        INSERT INTO bench_story (prospect_id, account_id, k, t_us, event_type)
        SELECT p.id, p.account_id, n.i,
               p.t_us + (n.i - 1) * {STEP_US} + {hashed("p.id * 8 + n.i", 23)} % {STEP_US},
               {_event_type("n.i", "p")}
        FROM bench_plan p JOIN n ON n.i <= p.depth
    """


def events_sql(backend: Backend, first_id: int) -> str:
    """The events in time order: ids, and each account's positions, follow creation times."""
    order = "t_us, prospect_id, k"
    return f"""
        INSERT INTO leasing_events (id, account_id, prospect_id, event_type, created_at, account_seq)
        SELECT {first_id} + ROW_NUMBER() OVER (ORDER BY {order}), account_id, prospect_id,
               event_type, created_at,
               ROW_NUMBER() OVER (PARTITION BY account_id ORDER BY {order})
        FROM (SELECT s.*, {backend.timestamp("s.t_us")} AS created_at FROM bench_story s) AS story
        ORDER BY {order}
    """


def milestones_sql(bits: str) -> str:
    """One UPDATE for all prospects: distinct bits are powers of two, so their sum is their or."""
    return f"""
        UPDATE prospects SET milestones = reached.bits
        FROM (SELECT prospect_id, SUM(DISTINCT {bits}) AS bits FROM leasing_events
              GROUP BY prospect_id) AS reached
        WHERE prospects.id = reached.prospect_id AND reached.bits <> 0
    """


def funnel_sql(backend: Backend) -> str:
    """The funnel's day rows (`rentengine.prospects.funnel`) of every account, from its prospects."""
    day = "(created_at AT TIME ZONE 'UTC')::date" if backend.postgresql else "date(created_at)"
    steps = ", ".join(f"SUM(CASE WHEN (milestones & {bit}) != 0 THEN 1 ELSE 0 END)" for bit in STEP_BITS)
    return f"""
        INSERT INTO prospect_source_days (account_id, day, source, {", ".join(COUNT_COLUMNS)})
        SELECT account_id, {day}, COALESCE(source, ''), COUNT(*), {steps}
        FROM prospects GROUP BY account_id, {day}, COALESCE(source, '')
    """


def showings_sql(backend: Backend) -> str:
    """A showing for each scheduled step: planned two days on, on the hour; completed when the story
    reached `Showing Complete`, else still scheduled, canceled or missed."""
    hour_us = 3_600_000_000
    planned = backend.timestamp(f"((s.t_us + {STEP_US}) / {hour_us}) * {hour_us}")
    method = pick("p.r % 100", [(quoted(m), 100 // len(SHOWING_METHODS)) for m in SHOWING_METHODS])
    status = "CASE WHEN p.depth >= 3 THEN 'Completed' " + pick(
        "p.r % 100", [("'Scheduled'", 40), ("'Canceled'", 40), ("'Missed'", 20)]
    ).removeprefix("CASE ")
    feedback = pick(f"p.r % {len(FEEDBACK) * 2}", [(quoted(f), 1) for f in FEEDBACK] + [("NULL", 1)])
    return f"""
        INSERT INTO showings (account_id, unit_id, prospect_id, planned_date_time, showing_method,
                              status, feedback, cancellation_reason, created_at, updated_at)
        SELECT s.account_id, p.unit_id, s.prospect_id, {planned}, {method}, {status},
               CASE WHEN p.depth >= 3 THEN {feedback} ELSE NULL END,
               CASE WHEN p.depth < 3 AND p.r % 100 >= 40 AND p.r % 100 < 80
                    THEN 'Found another place' ELSE NULL END,
               {backend.timestamp("s.t_us")}, {backend.timestamp("s.t_us")}
        FROM bench_story s JOIN bench_plan p ON p.id = s.prospect_id
        WHERE s.k = 2
        ORDER BY s.t_us
    """


def calls_sql(backend: Backend) -> str:
    """A call with 15% of the prospects, within a day of their creation."""
    created = backend.timestamp(f"p.t_us + {hashed('p.id', 29)} % 86400000000")
    return f"""
        INSERT INTO calls (account_id, prospect_id, direction, contact_number, status, call_duration,
                           created_at)
        SELECT p.account_id, p.id, CASE WHEN p.r % 2 = 0 THEN 'inbound' ELSE 'outbound' END,
               CAST(2000000000 + p.r AS TEXT),
               CASE p.r % 4 WHEN 0 THEN 'missed' WHEN 1 THEN 'voicemail' ELSE 'completed' END,
               30 + p.r % 600, {created}
        FROM bench_plan p WHERE {hashed("p.id", 31)} % 100 < 15
        ORDER BY p.t_us
    """


def messages_sql(backend: Backend) -> str:
    """A text message with 20% of the prospects, within a day of their creation."""
    created = backend.timestamp(f"p.t_us + {hashed('p.id', 37)} % 86400000000")
    return f"""
        INSERT INTO messages (account_id, prospect_id, direction, channel, contact, body, created_at)
        SELECT p.account_id, p.id, CASE WHEN p.r % 3 = 0 THEN 'outbound' ELSE 'inbound' END,
               'Text Message', CAST(2000000000 + p.r AS TEXT),
               CASE WHEN p.r % 3 = 0 THEN 'Hi, the home is still available: would you like a tour?'
                    ELSE 'Hi, is this home still available?' END,
               {created}
        FROM bench_plan p WHERE {hashed("p.id", 41)} % 100 < 20
        ORDER BY p.t_us
    """


COUNTERS = """
    INSERT INTO {counters} (account_id, last_seq, last_created_at)
    SELECT account_id, MAX(account_seq), MAX(created_at) FROM {table} GROUP BY account_id
"""


def staging_sql(backend: Backend) -> list[str]:
    account = backend.account_type
    return [
        f"""CREATE TABLE bench_plan (id BIGINT PRIMARY KEY, account_id {account} NOT NULL,
            seq BIGINT NOT NULL, t_us BIGINT NOT NULL, unit_id INTEGER NOT NULL,
            depth INTEGER NOT NULL, r BIGINT NOT NULL)""",
        f"""CREATE TABLE bench_story (prospect_id BIGINT NOT NULL, account_id {account} NOT NULL,
            k INTEGER NOT NULL, t_us BIGINT NOT NULL, event_type VARCHAR(100) NOT NULL)""",
    ]


async def account_units(conn: AsyncConnection) -> list[AccountUnits]:
    """Each account's units, biggest account first; refuses ids that are not one range per account."""
    rows = await conn.exec_driver_sql(
        "SELECT account_id, MIN(id), MAX(id), COUNT(*) FROM units GROUP BY account_id ORDER BY COUNT(*) DESC"
    )
    accounts = []
    for row in rows:
        account_id, first, last, count = tuple(row)
        if last - first + 1 != count:
            raise RuntimeError(f"units of account {account_id} are not one id range")
        accounts.append(AccountUnits(uuid.UUID(str(account_id)), first, count))
    return accounts


def shares(big: int, accounts: int, small_share: float) -> list[int]:
    """The prospects of each account: `big` for the first (the biggest), a share of that for the rest."""
    return [big] + [max(1, int(big * small_share))] * (accounts - 1)


async def _run(conn: AsyncConnection, label: str, statement: str, log: Callable[[str], None]) -> None:
    started = time.monotonic()
    await conn.exec_driver_sql(statement)
    log(f"{label} in {time.monotonic() - started:.1f} s")


async def _count(conn: AsyncConnection, table: str) -> int:
    return int((await conn.exec_driver_sql(f"SELECT COUNT(*) FROM {table}")).scalar_one())


async def _plan(conn: AsyncConnection, backend: Backend, prospects: int, small_share: float) -> None:
    now_us = int(datetime.now(UTC).timestamp() * 1e6)
    accounts = await account_units(conn)
    first_id = 0
    for account, count in zip(accounts, shares(prospects, len(accounts), small_share), strict=True):
        await conn.exec_driver_sql(plan_sql(backend, account, count, first_id, now_us))
        first_id += count


async def _fill(conn: AsyncConnection, backend: Backend, log: Callable[[str], None]) -> None:
    steps = (
        ("prospects", prospects_sql(backend)),
        ("stories", story_sql(backend)),
        ("leasing events", events_sql(backend, 0)),
        ("milestones", milestones_sql(backend.milestone_bits(conn.dialect))),
        ("funnel days", funnel_sql(backend)),
        ("showings", showings_sql(backend)),
        ("calls", calls_sql(backend)),
        ("messages", messages_sql(backend)),
    )
    for label, statement in steps:
        await _run(conn, label, statement, log)
    for table, counters in (("prospects", "prospect_counters"), ("leasing_events", "leasing_event_counters")):
        await conn.exec_driver_sql(COUNTERS.format(counters=counters, table=table))


async def _finish(conn: AsyncConnection, backend: Backend, log: Callable[[str], None]) -> None:
    """Sequences past the explicit ids, staging dropped, planner statistics as autovacuum keeps them."""
    for table in ("bench_plan", "bench_story"):
        await conn.exec_driver_sql(f"DROP TABLE {table}")
    if backend.postgresql:
        for table in ("prospects", "leasing_events"):
            await conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            )
        await _run(conn, "VACUUM ANALYZE", "VACUUM ANALYZE", log)
    else:
        await _run(conn, "ANALYZE", "ANALYZE", log)


TABLES = ("prospects", "leasing_events", "showings", "calls", "messages")


async def load(
    database_url: str, prospects: int, small_share: float = 0.01, log: Callable[[str], None] = print
) -> Loaded:
    """Fills a migrated database whose units are loaded and which has no prospects yet."""
    backend = Backend("postgresql" if database_url.startswith("postgresql") else "sqlite")
    engine = create_async_engine(async_url(database_url), isolation_level="AUTOCOMMIT")
    started = time.monotonic()
    try:
        async with engine.connect() as conn:
            if not backend.postgresql:  # a bulk load that a crash may lose: no fsync, big cache
                await conn.exec_driver_sql("PRAGMA synchronous = OFF")
                await conn.exec_driver_sql("PRAGMA cache_size = -1000000")
            if await _count(conn, "prospects"):
                raise RuntimeError("the database has prospects already")
            for statement in staging_sql(backend):
                await conn.exec_driver_sql(statement)
            started_plan = time.monotonic()
            await _plan(conn, backend, prospects, small_share)
            log(f"plan in {time.monotonic() - started_plan:.1f} s")
            await _fill(conn, backend, log)
            await _finish(conn, backend, log)
            rows = {table: await _count(conn, table) for table in TABLES}
    finally:
        await engine.dispose()
    return Loaded(rows, time.monotonic() - started)
