"""Parsing of the filter forms shared by the audit and deliveries pages."""

import re
from datetime import UTC, datetime

# Page numbers in portal URLs count from 1; the API's page_number (from 0) allows up to 100,000.
LAST_PAGE = 100_001
# What an <input type="datetime-local"> submits: no time zone; seconds only with a `step`.
_LOCAL_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$")


class FilterError(Exception):
    """A filter value the page cannot use; shown above the form with a 400."""


def local_utc(raw: str, label: str) -> datetime | None:
    """A datetime-local value, read as UTC (the pages show every time in UTC)."""
    if not raw:
        return None
    try:
        if not _LOCAL_DATETIME.match(raw):
            raise ValueError(raw)
        return datetime.fromisoformat(raw).replace(tzinfo=UTC)
    except ValueError:
        raise FilterError(f"{label} must be a date and time such as 2026-01-31T09:30.") from None


def page_number(raw: str) -> int:
    if not raw:
        return 1
    if not raw.isdigit() or not 1 <= int(raw) <= LAST_PAGE:
        raise FilterError(f"Page must be a whole number from 1 to {LAST_PAGE}.")
    return int(raw)
