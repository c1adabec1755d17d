"""unlogged rate-limit counters

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 08:00:00.000000

On PostgreSQL the counters of the database rate-limit store (`serve --workers N` without Redis)
skip the write-ahead log: a hit then does not wait for a WAL flush, and the counters, short-lived
by nature, are simply empty after a crash. SQLite has no such table kind; nothing changes there.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE rate_limit_counters SET UNLOGGED")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE rate_limit_counters SET LOGGED")
