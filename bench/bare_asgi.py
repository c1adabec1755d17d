"""A bare ASGI app answering every request with the body of `GET /units?limit=100`, and nothing else.

It reads the page the way the server reads it (the account's stored unit forms, `units.wire_json`,
`id` ascending, 100 from offset 0) with the raw driver (`sqlite3` on SQLite, `asyncpg` on
PostgreSQL), joins them like `units.service.list_units_json` and sends them with status 200. No
framework, no SQLAlchemy, no authentication: what one ASGI server process and the driver cost for
the same bytes. The database URL and account come from BENCH_BARE_DATABASE_URL and
BENCH_BARE_ACCOUNT, so any ASGI server can load `bench.bare_asgi:app`.

    python -m bench.bare_asgi --port P    # on uvicorn, with the flags `rentengine serve` gives it
"""

import argparse
import os
import sqlite3
import uuid
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import uvicorn

HEADERS = [(b"content-type", b"application/json")]
state: dict[str, Any] = {}


async def _open() -> None:
    url, account = os.environ["BENCH_BARE_DATABASE_URL"], uuid.UUID(os.environ["BENCH_BARE_ACCOUNT"])
    if url.startswith("sqlite:///"):
        # SQLAlchemy's Uuid type stores 32 hex digits on SQLite; one read takes well under a millisecond,
        # so it runs on the event loop.
        db = sqlite3.connect(url.removeprefix("sqlite:///"), check_same_thread=False)
        sql = "SELECT wire_json FROM units WHERE account_id = ? ORDER BY id LIMIT ? OFFSET ?"

        async def page() -> list[Any]:
            return db.execute(sql, (account.hex, 100, 0)).fetchall()

    else:
        pool = state["pool"] = await asyncpg.create_pool(url.replace("+asyncpg", ""), min_size=1, max_size=5)
        sql = "SELECT wire_json FROM units WHERE account_id = $1 ORDER BY id LIMIT $2 OFFSET $3"

        async def page() -> list[Any]:
            return list(await pool.fetch(sql, account, 100, 0))

    state["page"] = page


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":  # startup
            await _open()
            await send({"type": "lifespan.startup.complete"})
        if "pool" in state:
            await state["pool"].close()
        await send({"type": "lifespan.shutdown.complete"})
        return
    body = b"[" + b",".join(row[0] for row in await state["page"]()) + b"]"
    headers = [*HEADERS, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    # The same uvicorn settings as `rentengine serve --workers 1 --no-access-log` (rentengine.cli).
    uvicorn.run(
        "bench.bare_asgi:app",
        host=args.host,
        port=args.port,
        workers=1,
        log_level="info",
        access_log=False,
        proxy_headers=True,
    )


if __name__ == "__main__":
    main()
