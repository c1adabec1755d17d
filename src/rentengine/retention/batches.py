"""What every purge shares: a cursor over `(created_at, id)`, and one batch's outcome."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, true
from sqlalchemy.orm import InstrumentedAttribute

# Rows one batch looks at: its transaction stays short (a few milliseconds to tens), so a writer
# waits at most about that long behind it, on SQLite for the write lock and on PostgreSQL for the
# few counter rows the lockbox purge updates.
BATCH_ROWS = 1000


@dataclass(frozen=True, slots=True)
class Cursor:
    """The last row a batch looked at: the next batch starts after it, so rows a purge spares are
    read once per run, not once per batch."""

    created_at: datetime
    id: Any  # a UUID or an integer primary key


@dataclass(frozen=True, slots=True)
class Batch:
    """One batch: how many rows it deleted, and where the next starts (None: no rows left)."""

    deleted: int
    cursor: Cursor | None


def after(
    cursor: Cursor | None,
    created_at: InstrumentedAttribute[datetime],
    row_id: InstrumentedAttribute[uuid.UUID] | InstrumentedAttribute[int],
) -> ColumnElement[bool]:
    """Rows after `cursor` in `(created_at, id)` order (every row when it is None)."""
    if cursor is None:
        return true()
    return or_(created_at > cursor.created_at, and_(created_at == cursor.created_at, row_id > cursor.id))
