"""lockbox event positions

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 22:50:00.000000

Numbers every account's existing lockbox events 1, 2, 3, … in (created_at, id) order, the order
the API lists them in, and starts each account's counter after its latest event.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import rentengine.db.base

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# UPDATE … FROM and window functions: PostgreSQL, and SQLite since 3.33.
_NUMBER_EVENTS = """
UPDATE lockbox_events SET account_seq = numbered.position
FROM (
    SELECT id, ROW_NUMBER() OVER (PARTITION BY account_id ORDER BY created_at, id) AS position
    FROM lockbox_events
) AS numbered
WHERE lockbox_events.id = numbered.id
"""
_FILL_COUNTERS = """
INSERT INTO lockbox_event_counters (account_id, last_seq, last_created_at)
SELECT account_id, MAX(account_seq), MAX(created_at) FROM lockbox_events GROUP BY account_id
"""


def upgrade() -> None:
    op.create_table(
        "lockbox_event_counters",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_created_at", rentengine.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_lockbox_event_counters")),
    )
    with op.batch_alter_table("lockbox_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("account_seq", sa.BigInteger(), nullable=True))
    op.execute(_NUMBER_EVENTS)
    op.execute(_FILL_COUNTERS)
    # SQLite cannot add NOT NULL to a column in place; batch mode rebuilds the table.
    with op.batch_alter_table("lockbox_events", schema=None) as batch_op:
        batch_op.alter_column("account_seq", existing_type=sa.BigInteger(), nullable=False)
        batch_op.create_index(
            "ix_lockbox_events_account_id_account_seq", ["account_id", "account_seq"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("lockbox_events", schema=None) as batch_op:
        batch_op.drop_index("ix_lockbox_events_account_id_account_seq")
        batch_op.drop_column("account_seq")
    op.drop_table("lockbox_event_counters")
