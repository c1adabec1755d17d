"""unit wire forms

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 23:10:00.000000

Adds each unit's stored GET representation (see `units/wire.py`). Existing units start without
one and are listed from their columns until their next write.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("units") as batch:
        batch.add_column(sa.Column("wire_json", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("wire_key", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("units") as batch:
        batch.drop_column("wire_key")
        batch.drop_column("wire_json")
