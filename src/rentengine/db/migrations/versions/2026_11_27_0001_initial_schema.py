"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-27 20:05:49.733169
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import rentengine.db.base

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "accounts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("created_at", rentengine.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
    )
    op.create_table(
        "addresses",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("street_number", sa.String(length=32), nullable=False),
        sa.Column("street_name", sa.String(length=200), nullable=False),
        sa.Column("unit", sa.String(length=32), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("zip_code", sa.String(length=16), nullable=False),
        sa.Column("country", sa.String(length=64), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_addresses")),
    )
    op.create_table(
        "audit_entries",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("api_key_id", sa.Uuid(), nullable=True),
        sa.Column("table", sa.String(length=64), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("request_method", sa.String(length=8), nullable=True),
        sa.Column("request_path", sa.String(length=2048), nullable=True),
        sa.Column(
            "changes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("created_at", rentengine.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entries")),
    )
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.create_index("ix_audit_entries_account_id_id", ["account_id", "id"], unique=False)
        batch_op.create_index(
            "ix_audit_entries_account_id_table_record_id", ["account_id", "table", "record_id"], unique=False
        )
        batch_op.create_index("ix_audit_entries_api_key_id", ["api_key_id"], unique=False)
        batch_op.create_index("ix_audit_entries_created_at", ["created_at"], unique=False)

    op.create_table(
        "lockboxes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("lockbox_type", sa.String(length=16), nullable=False),
        sa.Column("serial_number", sa.String(length=64), nullable=False),
        sa.Column("code_secret", sa.LargeBinary(length=32), nullable=False),
        sa.Column("created_at", rentengine.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", rentengine.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lockboxes")),
        sa.UniqueConstraint(
            "account_id", "serial_number", name=op.f("uq_lockboxes_account_id_serial_number")
        ),
    )
    with op.batch_alter_table("lockboxes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_lockboxes_account_id_created_at_id", ["account_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_lockboxes_account_id_lockbox_type_created_at_id",
            ["account_id", "lockbox_type", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index("ix_lockboxes_serial_number", ["serial_number"], unique=False)

    op.create_table(
        "multifamily_properties",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("community_name", sa.String(length=200), nullable=False),
        sa.Column("building_count", sa.Integer(), nullable=False),
        sa.Column("unit_count", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("structure_type", sa.String(length=32), nullable=False),
        sa.Column("year_built", sa.Integer(), nullable=False),
        sa.Column(
            "photos",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "external_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("text_address", sa.Text(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", rentengine.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", rentengine.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_multifamily_properties")),
    )
    with op.batch_alter_table("multifamily_properties", schema=None) as batch_op:
        batch_op.create_index(
            "ix_multifamily_properties_account_id_deleted_created_at_id",
            ["account_id", "deleted", "created_at", "id"],
            unique=False,
        )

    op.create_table(
        "rate_limit_counters",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_limit_counters")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("created_at", rentengine.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", rentengine.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", rentengine.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", rentengine.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_keys_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_keys_token_hash")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index("ix_api_keys_user_id", ["user_id"], unique=False)

    op.create_table(
        "lockbox_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("lockbox_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(length=16), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column(
            "metadata",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("created_at", rentengine.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lockbox_id"], ["lockboxes.id"], name=op.f("fk_lockbox_events_lockbox_id_lockboxes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lockbox_events")),
    )
    with op.batch_alter_table("lockbox_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_lockbox_events_account_id_created_at_id", ["account_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_lockbox_events_account_id_event_type_created_at",
            ["account_id", "event_type", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_lockbox_events_lockbox_id_created_at_id", ["lockbox_id", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_lockbox_events_unit_id_created_at", ["unit_id", "created_at"], unique=False)

    op.create_table(
        "memberships",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", rentengine.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_memberships_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_memberships_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "account_id", name=op.f("pk_memberships")),
    )
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.create_index("ix_memberships_account_id", ["account_id"], unique=False)

    op.create_table(
        "units",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("address_id", sa.Integer(), nullable=False),
        sa.Column("city_key", sa.String(length=100), nullable=False),
        sa.Column("zip_code", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("property_type", sa.String(length=32), nullable=False),
        sa.Column("bedrooms", sa.Float(), nullable=True),
        sa.Column("bathrooms", sa.Float(), nullable=True),
        sa.Column("sqft", sa.Float(), nullable=True),
        sa.Column("num_parking_spots", sa.Integer(), nullable=True),
        sa.Column("target_rental_rate", sa.Float(), nullable=False),
        sa.Column("rate_changed_at", rentengine.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("available_since", rentengine.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("extracted_from", sa.String(length=2048), nullable=True),
        sa.Column("showing_method", sa.String(length=40), nullable=True),
        sa.Column("earliest_move_in_date", sa.Date(), nullable=True),
        sa.Column("earliest_showing_date", sa.Date(), nullable=True),
        sa.Column(
            "attributes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", rentengine.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", rentengine.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["address_id"], ["addresses.id"], name=op.f("fk_units_address_id_addresses")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
    )
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.create_index(
            "ix_units_account_id_city_key_id", ["account_id", "city_key", "id"], unique=False
        )
        batch_op.create_index(
            "ix_units_account_id_extracted_from", ["account_id", "extracted_from"], unique=False
        )
        batch_op.create_index("ix_units_account_id_id", ["account_id", "id"], unique=False)
        batch_op.create_index("ix_units_account_id_status_id", ["account_id", "status", "id"], unique=False)
        batch_op.create_index("ix_units_account_id_updated_at", ["account_id", "updated_at"], unique=False)
        batch_op.create_index(
            "ix_units_account_id_zip_code_id", ["account_id", "zip_code", "id"], unique=False
        )
        batch_op.create_index("ix_units_status_id", ["status", "id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_index("ix_units_status_id")
        batch_op.drop_index("ix_units_account_id_zip_code_id")
        batch_op.drop_index("ix_units_account_id_updated_at")
        batch_op.drop_index("ix_units_account_id_status_id")
        batch_op.drop_index("ix_units_account_id_id")
        batch_op.drop_index("ix_units_account_id_extracted_from")
        batch_op.drop_index("ix_units_account_id_city_key_id")

    op.drop_table("units")
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_index("ix_memberships_account_id")

    op.drop_table("memberships")
    with op.batch_alter_table("lockbox_events", schema=None) as batch_op:
        batch_op.drop_index("ix_lockbox_events_unit_id_created_at")
        batch_op.drop_index("ix_lockbox_events_lockbox_id_created_at_id")
        batch_op.drop_index("ix_lockbox_events_account_id_event_type_created_at")
        batch_op.drop_index("ix_lockbox_events_account_id_created_at_id")

    op.drop_table("lockbox_events")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_api_keys_user_id")

    op.drop_table("api_keys")
    op.drop_table("users")
    op.drop_table("rate_limit_counters")
    with op.batch_alter_table("multifamily_properties", schema=None) as batch_op:
        batch_op.drop_index("ix_multifamily_properties_account_id_deleted_created_at_id")

    op.drop_table("multifamily_properties")
    with op.batch_alter_table("lockboxes", schema=None) as batch_op:
        batch_op.drop_index("ix_lockboxes_serial_number")
        batch_op.drop_index("ix_lockboxes_account_id_lockbox_type_created_at_id")
        batch_op.drop_index("ix_lockboxes_account_id_created_at_id")

    op.drop_table("lockboxes")
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_entries_created_at")
        batch_op.drop_index("ix_audit_entries_api_key_id")
        batch_op.drop_index("ix_audit_entries_account_id_table_record_id")
        batch_op.drop_index("ix_audit_entries_account_id_id")

    op.drop_table("audit_entries")
    op.drop_table("addresses")
    op.drop_table("accounts")
