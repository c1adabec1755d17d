"""comps

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 00:28:07.181643

Market comps: the table of each user's successful calls in the quota window, and the indexes of the
comps search across every account (the address coordinates' bounding box, from an address to its
unit, and units by zip code). Only a new table and indexes: nodes running the previous release keep
working on this schema.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import rentengine.db.base

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "comps_calls",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("called_at", rentengine.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_comps_calls_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comps_calls")),
    )
    with op.batch_alter_table("comps_calls", schema=None) as batch_op:
        batch_op.create_index("ix_comps_calls_user_id_called_at", ["user_id", "called_at"], unique=False)

    with op.batch_alter_table("addresses", schema=None) as batch_op:
        batch_op.create_index("ix_addresses_latitude_longitude", ["latitude", "longitude"], unique=False)

    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.create_index("ix_units_address_id", ["address_id"], unique=False)
        batch_op.create_index("ix_units_zip_code_status", ["zip_code", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_index("ix_units_zip_code_status")
        batch_op.drop_index("ix_units_address_id")

    with op.batch_alter_table("addresses", schema=None) as batch_op:
        batch_op.drop_index("ix_addresses_latitude_longitude")

    with op.batch_alter_table("comps_calls", schema=None) as batch_op:
        batch_op.drop_index("ix_comps_calls_user_id_called_at")

    op.drop_table("comps_calls")
