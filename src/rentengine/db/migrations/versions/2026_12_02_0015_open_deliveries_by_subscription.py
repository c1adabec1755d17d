"""open deliveries by subscription

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 08:30:00.000000

The open (pending or retrying) deliveries of each subscription in due order: a fair claim reads at
most a few dozen of each subscription's due deliveries along it, so a claim costs the same whatever
another subscription's backlog. Partial, so it holds only the open rows. An index only (expand): a
node of the previous release neither needs nor disturbs it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = sa.text("status IN ('pending', 'retrying')")


def upgrade() -> None:
    op.create_index(
        "ix_webhook_deliveries_open_webhook_id_next_attempt_at",
        "webhook_deliveries",
        ["webhook_id", "next_attempt_at", "created_at"],
        unique=False,
        postgresql_where=_OPEN,
        sqlite_where=_OPEN,
    )


def downgrade() -> None:
    op.drop_index("ix_webhook_deliveries_open_webhook_id_next_attempt_at", table_name="webhook_deliveries")
