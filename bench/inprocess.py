"""The in-process limit of `GET /units?limit=100`: the same SQL and the same JSON, no HTTP.

Each process runs, in a tight loop, what the endpoint runs after authentication: one read
transaction with `list_units_json` (the page of stored wire forms, joined into the body). The
suite starts one process per core at once and adds their rates; the API's requests/s divided by
that sum says how much of the machine the HTTP server, routing, validation and authentication cost.

    python -m bench.inprocess --database-url URL --account UUID [--seconds 5]
"""

import argparse
import asyncio
import json
import time
import uuid

from rentengine.db.session import Database
from rentengine.settings import Settings
from rentengine.units.schemas import UnitQuery
from rentengine.units.service import list_units_json

WARMUP_SECONDS = 1.0


async def _loop(database_url: str, account_id: uuid.UUID, seconds: float) -> dict[str, float]:
    db = Database(database_url, pool_size=1)
    query = UnitQuery(limit=100)
    base_url = Settings.model_fields["public_base_url"].default
    body_bytes = 0

    async def one() -> None:
        nonlocal body_bytes
        async with db.transaction(writes=False) as session:
            body_bytes = len(await list_units_json(session, [account_id], query, base_url))

    try:
        warm_until = time.perf_counter() + WARMUP_SECONDS
        while time.perf_counter() < warm_until:
            await one()
        count, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            await one()
            count += 1
        elapsed = time.perf_counter() - started
    finally:
        await db.dispose()
    return {"requests": count, "seconds": elapsed, "body_bytes": body_bytes}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--account", required=True, type=uuid.UUID)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(_loop(args.database_url, args.account, args.seconds))))


if __name__ == "__main__":
    main()
