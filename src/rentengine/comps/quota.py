"""The comps quota: successful calls per user in a rolling 24 hours, exact across processes.

The calls live in the database (`comps_calls`): a call is counted and recorded under the user's lock,
in one short transaction of its own, before the comps are computed; a call that then fails is taken
back. So concurrent calls from any number of processes never pass the quota together, and a request
refused with a 4xx (checked before this) never uses it.
"""

import math
import uuid
from datetime import datetime, timedelta

from rentengine.comps import repository
from rentengine.db.session import Database
from rentengine.errors import TooManyRequests
from rentengine.kit.clock import utc_now

WINDOW = timedelta(hours=24)


def seconds_until_free(counted: list[datetime], quota: int, now: datetime) -> int:
    """Seconds until one more call fits: until the call that must leave the window has left it.

    With `n >= quota` counted calls (oldest first), `n - quota + 1` must leave; the last of those to
    leave is the one at index `n - quota`.
    """
    leaves_at = counted[len(counted) - quota] + WINDOW
    return max(1, math.ceil((leaves_at - now).total_seconds()))


async def reserve_call(db: Database, user_id: uuid.UUID, quota: int) -> int:
    """Counts one call of the user; returns its row id, or raises 429 when the quota is used up."""
    async with db.transaction() as session:
        await repository.lock_user_quota(session, user_id)
        # The clock is read under the lock: one user's calls are recorded in the order they pass it,
        # so none counted here is later than this call's `now` (a clock read before waiting could
        # see a call recorded after it, and a Retry-After past the whole window).
        now = utc_now()
        start = now - WINDOW
        await repository.prune_calls(session, user_id, start)
        counted = list(await repository.calls_since(session, user_id, start))
        if len(counted) >= quota:
            raise TooManyRequests(retry_after=seconds_until_free(counted, quota, now))
        return await repository.add_call(session, user_id, now)


async def give_back(db: Database, call_id: int) -> None:
    """Takes back a reserved call whose answer turned out not to be a success."""
    async with db.transaction() as session:
        await repository.remove_call(session, call_id)
