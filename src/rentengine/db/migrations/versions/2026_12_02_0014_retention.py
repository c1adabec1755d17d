"""retention

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 08:00:00.000000

What the retention purge (`rentengine.retention`) needs of lockbox events: an index on
`(created_at, id)`, which its oldest-first walk over every account reads in batches, and, per
account, the position up to which events were purged (`lockbox_event_counters.purged_through_seq`,
0: none), which keeps GET /lockbox_events pages right once the oldest positions are gone.

Expand only: a new index and a new column with a default, which a node of the previous release
neither reads nor has to write. On PostgreSQL the column's constant default is a catalog change (no
table rewrite); the index is built with the table locked against writes, so on a large table build
it beforehand, without that lock, under the same name:
`CREATE INDEX CONCURRENTLY ix_lockbox_events_created_at_id ON lockbox_events (created_at, id)`;
this migration then keeps it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_lockbox_events_created_at_id", "lockbox_events", ["created_at", "id"], if_not_exists=True
    )
    with op.batch_alter_table("lockbox_event_counters", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("purged_through_seq", sa.BigInteger(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("lockbox_event_counters", schema=None) as batch_op:
        batch_op.drop_column("purged_through_seq")
    op.drop_index("ix_lockbox_events_created_at_id", table_name="lockbox_events")
