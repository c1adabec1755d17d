"""`GET /units` in its common shape, served without the framework's routing and dependency layers.

Most calls of the API's hottest operation are a page of one or all of the caller's accounts:
`?limit=N&page_number=P[&accountId=A]`. This middleware answers exactly those, with the same
authentication, rate limit, tenancy rule and body as the route (tests compare the two byte for
byte), and hands every other request to the app: any other parameter, a repeated one, a value not
in its plain form, a missing token. Errors of the request itself are therefore always the route's.

The page is read with the database driver directly: on SQLite a per-process read-only connection
used on the event loop's thread (a 100-row index range costs less than handing it to a thread),
on PostgreSQL the pool's asyncpg connection. A page holding a stored form this server would not
serve (built by another version) goes through the route's service, which rebuilds it.
"""

import re
import sqlite3
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import unquote_to_bytes

from sqlalchemy import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Receive, Scope, Send

from rentengine.auth.dependencies import admit, read_live_key
from rentengine.auth.repository import LiveKey
from rentengine.errors import ApiError, Forbidden, render
from rentengine.http import JSONBytes
from rentengine.runtime import Runtime
from rentengine.units import service
from rentengine.units.repository import WireRow
from rentengine.units.schemas import UnitQuery
from rentengine.units.wire import is_current

PATH = "/api/public/v1/units"
DEFAULT_LIMIT = 50
# The plain spellings the route would read as the same values; anything else goes to the route.
_LIMIT = re.compile(rb"[1-9][0-9]?|100")
_PAGE = re.compile(rb"0|[1-9][0-9]{0,4}|100000")
_UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# How long a SQLite read may wait for a lock before the page goes the route's way instead.
SQLITE_BUSY_MS = 50


@dataclass(frozen=True)
class SimplePage:
    limit: int = DEFAULT_LIMIT
    page_number: int = 0
    account_id: uuid.UUID | None = None


def simple_page(query_string: bytes) -> SimplePage | None:
    """The page a query string asks for, when it is one this lane serves; else None."""
    values: dict[bytes, bytes] = {}
    for pair in query_string.split(b"&") if query_string else ():
        name, sep, value = pair.partition(b"=")
        if not sep or name in values or b"%" in name or b"+" in value:
            return None
        values[name] = unquote_to_bytes(value)
    limit, page, account = (
        values.pop(b"limit", None),
        values.pop(b"page_number", None),
        values.pop(b"accountId", None),
    )
    if values:
        return None
    if (
        (limit is not None and not _LIMIT.fullmatch(limit))
        or (page is not None and not _PAGE.fullmatch(page))
        or (account is not None and not _UUID.fullmatch(account))
    ):
        return None
    return SimplePage(
        limit=int(limit) if limit is not None else DEFAULT_LIMIT,
        page_number=int(page) if page is not None else 0,
        account_id=uuid.UUID(account.decode()) if account is not None else None,
    )


def bearer_token(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    found = [value for name, value in headers if name == b"authorization"]
    if len(found) != 1:
        return None
    scheme, _, token = found[0].partition(b" ")
    if scheme.lower() != b"bearer" or not token or b" " in token:
        return None
    try:
        return token.decode("ascii")
    except UnicodeDecodeError:
        return None


class WireReader(Protocol):
    async def page(self, account_ids: Sequence[uuid.UUID], limit: int, offset: int) -> list[WireRow]: ...


class SqliteWireReader:
    """A read-only connection of this process, used on the event loop's thread."""

    _SQL = "SELECT id, wire_json, wire_key FROM units WHERE account_id IN ({}) ORDER BY id LIMIT ? OFFSET ?"

    def __init__(self, path: str) -> None:
        self.path = path
        self._connection: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA query_only = ON")
            connection.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_MS}")
            self._connection = connection
        return self._connection

    async def page(self, account_ids: Sequence[uuid.UUID], limit: int, offset: int) -> list[WireRow]:
        sql = self._SQL.format(",".join("?" * len(account_ids)))
        params: list[Any] = [account.hex for account in account_ids] + [limit, offset]
        return [(row[0], row[1], row[2]) for row in self._connect().execute(sql, params)]


class PostgresWireReader:
    """The pool's asyncpg connection, one statement, no transaction of its own."""

    _SQL = (
        "SELECT id, wire_json, wire_key FROM units WHERE account_id = ANY($1::uuid[])"
        " ORDER BY id LIMIT $2 OFFSET $3"
    )

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def page(self, account_ids: Sequence[uuid.UUID], limit: int, offset: int) -> list[WireRow]:
        async with self.engine.connect() as connection:
            raw = await connection.get_raw_connection()
            try:
                rows = await raw.driver_connection.fetch(self._SQL, list(account_ids), limit, offset)  # type: ignore[union-attr]
            except Exception as exc:
                if not raw.driver_connection.is_closed():  # type: ignore[union-attr]
                    raise
                # Lost (PgBouncer or PostgreSQL restarting), as SQLAlchemy's asyncpg dialect decides it:
                # the driver closed the connection, whatever its error says. Outside SQLAlchemy's
                # handling, the pool must be told, or it hands the dead connection out again; a
                # ConnectionError is answered 503 (a read: nothing written).
                await connection.invalidate(exc)
                raise ConnectionError("the database connection was lost") from exc
        return [(row[0], row[1], row[2]) for row in rows]


def wire_reader(runtime: Runtime) -> WireReader:
    if runtime.db.is_sqlite:
        path = make_url(runtime.settings.database_url).database
        assert path is not None  # settings refuse an in-memory database
        return SqliteWireReader(path)
    return PostgresWireReader(runtime.db.engine)


class UnitPages:
    """Pure ASGI: answers the simple `GET /units` pages, passes everything else on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._reader: WireReader | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        page = token = None
        if scope["type"] == "http" and scope["path"] == PATH and scope["method"] == "GET":
            page, token = simple_page(scope["query_string"]), bearer_token(scope["headers"])
        if page is None or token is None:
            await self.app(scope, receive, send)
            return
        runtime: Runtime = scope["app"].state.runtime
        try:
            key = await admit(runtime, scope, token, lambda digest: read_live_key(runtime, digest))
            body = await self._body(runtime, key, page)
        except ApiError as exc:
            await render(exc)(scope, receive, send)
            return
        await JSONBytes(body)(scope, receive, send)

    async def _body(self, runtime: Runtime, key: LiveKey, page: SimplePage) -> bytes:
        if page.account_id is not None and page.account_id not in key.account_ids:
            raise Forbidden()
        accounts = [page.account_id] if page.account_id is not None else sorted(key.account_ids)
        if not accounts:
            return b"[]"
        base_url = runtime.settings.public_base_url
        try:
            rows = await self._reader_of(runtime).page(accounts, page.limit, page.limit * page.page_number)
        except sqlite3.OperationalError:
            rows = None  # busy: the route's way below
        if rows is not None and all(is_current(wire_key, base_url) for _, _, wire_key in rows):
            return b"[" + b",".join(json for _, json, _ in rows if json is not None) + b"]"
        query = UnitQuery(limit=page.limit, page_number=page.page_number)
        async with runtime.db.transaction(writes=False) as session:
            return await service.list_units_json(session, accounts, query, base_url)

    def _reader_of(self, runtime: Runtime) -> WireReader:
        # Made on first use: `serve --workers N` builds the app in each process, after the fork.
        if self._reader is None:
            self._reader = wire_reader(runtime)
        return self._reader
