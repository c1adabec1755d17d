"""An account's showing settings: the time zone and the daily hours in which showings are offered.

Availability (API.md §12.1) offers 30-minute slots between the start and the end, local time in the
account's zone, every day. The portal and the CLI change them here; each change is recorded in the
audit log as an UPDATE of the `accounts` table, which no webhook subscription can list.
"""

import re
import uuid
import zoneinfo
from dataclasses import dataclass
from functools import cache

from sqlalchemy.ext.asyncio import AsyncSession

from rentengine.auth.access import Caller
from rentengine.auth.models import Account
from rentengine.changes.seam import record_change
from rentengine.changes.types import Actor, Change, Record
from rentengine.errors import NotFound

TABLE = "accounts"
_HOUR_MINUTE = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


@dataclass(frozen=True)
class ShowingSettings:
    timezone: str
    # "HH:MM", local time in `timezone`; the start comes before the end.
    start: str
    end: str

    @property
    def hours(self) -> str:
        return f"{self.start}-{self.end}"


class SettingsRefused(ValueError):
    """Settings the rules refuse: one message per field (`timezone`, `start`, `end`)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


@cache
def time_zones() -> frozenset[str]:
    """The IANA zone names this system knows (the tz database, as zoneinfo reads it)."""
    return frozenset(zoneinfo.available_timezones())


def _local_time(value: str) -> str | None:
    """ "HH:MM" from "H:MM" or "HH:MM", or None when it is not a time of day."""
    matched = _HOUR_MINUTE.fullmatch(value.strip())
    return f"{int(matched[1]):02d}:{matched[2]}" if matched else None


def checked(timezone: str, start: str, end: str) -> ShowingSettings:
    """The settings in their stored form; SettingsRefused names every field that is wrong."""
    errors: dict[str, str] = {}
    zone = timezone.strip()
    if not zone:
        errors["timezone"] = "Choose a time zone, such as America/Chicago."
    elif zone not in time_zones():
        errors["timezone"] = f"Unknown time zone “{zone}”: use a name such as America/Chicago."
    start_at, end_at = _local_time(start), _local_time(end)
    if start_at is None:
        errors["start"] = "The start of the showing hours must be a time such as 09:00."
    if end_at is None:
        errors["end"] = "The end of the showing hours must be a time such as 18:00."
    if start_at is not None and end_at is not None and start_at >= end_at:
        errors["end"] = "The showing hours must end after they start."
    if errors or start_at is None or end_at is None:
        raise SettingsRefused(errors)
    return ShowingSettings(zone, start_at, end_at)


def settings_of(account: Account) -> ShowingSettings:
    return ShowingSettings(account.timezone, account.showing_hours_start, account.showing_hours_end)


def account_record(account: Account) -> Record:
    """The account as the audit log records it."""
    return {
        "id": str(account.id),
        "name": account.name,
        "timezone": account.timezone,
        "showing_hours_start": account.showing_hours_start,
        "showing_hours_end": account.showing_hours_end,
    }


async def visible_account(session: AsyncSession, caller: Caller, account_id: uuid.UUID) -> Account:
    """The account, or 404 when it does not exist or the caller cannot access it."""
    account = await session.get(Account, account_id)
    if account is None or not caller.can_access(account.id):
        raise NotFound()
    return account


async def change_settings(
    session: AsyncSession, caller: Caller, actor: Actor, account_id: uuid.UUID, wanted: ShowingSettings
) -> ShowingSettings:
    """Stores checked settings on an account the caller can access (404 otherwise) and records the
    change; settings equal to the stored ones write nothing."""
    account = await visible_account(session, caller, account_id)
    old = account_record(account)
    account.timezone, account.showing_hours_start, account.showing_hours_end = (
        wanted.timezone,
        wanted.start,
        wanted.end,
    )
    await session.flush()
    new = account_record(account)
    if new != old:
        await record_change(session, actor, Change.update(TABLE, account.id, new, old))
    return settings_of(account)
