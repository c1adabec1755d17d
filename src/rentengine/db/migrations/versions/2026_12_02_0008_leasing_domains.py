"""leasing domains

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 00:08:19.195349

The leasing half of the API: prospects, leasing events, showings, agent tokens, rental application
groups, calls and messages; and each account's daily showing hours. Only new tables and columns
with defaults: nodes running the previous release keep working on this schema.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import rentengine.db.base

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agent_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("code_digest", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", rentengine.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", rentengine.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_agent_tokens_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_tokens")),
    )
    with op.batch_alter_table("agent_tokens", schema=None) as batch_op:
        batch_op.create_index(
            "ix_agent_tokens_account_id_code_digest", ["account_id", "code_digest"], unique=True
        )
        batch_op.create_index(
            "ix_agent_tokens_account_id_created_at", ["account_id", "created_at"], unique=False
        )

    op.create_table(
        "prospects",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("first_name", sa.String(length=200), nullable=True),
        sa.Column("last_name", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=10), nullable=True),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=True),
        sa.Column("prospect_type", sa.String(length=8), nullable=True),
        sa.Column("credit_score", sa.String(length=20), nullable=True),
        sa.Column("income", sa.String(length=40), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", rentengine.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", rentengine.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_prospects_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prospects")),
    )
    with op.batch_alter_table("prospects", schema=None) as batch_op:
        batch_op.create_index(
            "ix_prospects_account_id_created_at_id", ["account_id", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_prospects_account_id_email_id", ["account_id", "email", "id"], unique=False)
        batch_op.create_index("ix_prospects_account_id_id", ["account_id", "id"], unique=False)
        batch_op.create_index("ix_prospects_account_id_phone_id", ["account_id", "phone", "id"], unique=False)
        batch_op.create_index("ix_prospects_unit_id_id", ["unit_id", "id"], unique=False)

    op.create_table(
        "calls",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("prospect_id", sa.Integer(), nullable=True),
        sa.Column("direction", sa.String(length=8), nullable=True),
        sa.Column("contact_number", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("call_duration", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", rentengine.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["prospect_id"], ["prospects.id"], name=op.f("fk_calls_prospect_id_prospects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calls")),
    )
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.create_index(
            "ix_calls_account_id_contact_number_id", ["account_id", "contact_number", "id"], unique=False
        )
        batch_op.create_index(
            "ix_calls_account_id_prospect_id_id", ["account_id", "prospect_id", "id"], unique=False
        )

    op.create_table(
        "leasing_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("prospect_id", sa.Integer(), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column(
            "context",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("planned_date_time", rentengine.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("next_follow_up", rentengine.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", rentengine.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["prospect_id"], ["prospects.id"], name=op.f("fk_leasing_events_prospect_id_prospects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leasing_events")),
    )
    with op.batch_alter_table("leasing_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_leasing_events_account_id_created_at_id", ["account_id", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_leasing_events_account_id_id", ["account_id", "id"], unique=False)
        batch_op.create_index("ix_leasing_events_prospect_id_id", ["prospect_id", "id"], unique=False)

    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("prospect_id", sa.Integer(), nullable=True),
        sa.Column("direction", sa.String(length=8), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("contact", sa.String(length=320), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", rentengine.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["prospect_id"], ["prospects.id"], name=op.f("fk_messages_prospect_id_prospects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_messages_account_id_contact_id", ["account_id", "contact", "id"], unique=False
        )
        batch_op.create_index(
            "ix_messages_account_id_prospect_id_id", ["account_id", "prospect_id", "id"], unique=False
        )

    op.create_table(
        "rental_application_groups",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("lead_prospect_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("submitted_at", rentengine.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", rentengine.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", rentengine.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_prospect_id"],
            ["prospects.id"],
            name=op.f("fk_rental_application_groups_lead_prospect_id_prospects"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_rental_application_groups_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rental_application_groups")),
    )
    with op.batch_alter_table("rental_application_groups", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rental_application_groups_account_id_created_at_id",
            ["account_id", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_rental_application_groups_account_id_id", ["account_id", "id"], unique=False
        )

    op.create_table(
        "showings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("prospect_id", sa.Integer(), nullable=False),
        sa.Column("planned_date_time", rentengine.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("showing_method", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("feedback", sa.Text(), nullable=True),
        sa.Column("cancellation_reason", sa.Text(), nullable=True),
        sa.Column("created_at", rentengine.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", rentengine.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["prospect_id"], ["prospects.id"], name=op.f("fk_showings_prospect_id_prospects")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_showings_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_showings")),
    )
    with op.batch_alter_table("showings", schema=None) as batch_op:
        batch_op.create_index("ix_showings_account_id_id", ["account_id", "id"], unique=False)
        batch_op.create_index("ix_showings_prospect_id_id", ["prospect_id", "id"], unique=False)
        batch_op.create_index(
            "ix_showings_unit_id_status_planned_date_time",
            ["unit_id", "status", "planned_date_time"],
            unique=False,
        )

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("showing_hours_start", sa.String(length=5), server_default="09:00", nullable=False)
        )
        batch_op.add_column(
            sa.Column("showing_hours_end", sa.String(length=5), server_default="18:00", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("showing_hours_end")
        batch_op.drop_column("showing_hours_start")

    with op.batch_alter_table("showings", schema=None) as batch_op:
        batch_op.drop_index("ix_showings_unit_id_status_planned_date_time")
        batch_op.drop_index("ix_showings_prospect_id_id")
        batch_op.drop_index("ix_showings_account_id_id")

    op.drop_table("showings")
    with op.batch_alter_table("rental_application_groups", schema=None) as batch_op:
        batch_op.drop_index("ix_rental_application_groups_account_id_id")
        batch_op.drop_index("ix_rental_application_groups_account_id_created_at_id")

    op.drop_table("rental_application_groups")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_account_id_prospect_id_id")
        batch_op.drop_index("ix_messages_account_id_contact_id")

    op.drop_table("messages")
    with op.batch_alter_table("leasing_events", schema=None) as batch_op:
        batch_op.drop_index("ix_leasing_events_prospect_id_id")
        batch_op.drop_index("ix_leasing_events_account_id_id")
        batch_op.drop_index("ix_leasing_events_account_id_created_at_id")

    op.drop_table("leasing_events")
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index("ix_calls_account_id_prospect_id_id")
        batch_op.drop_index("ix_calls_account_id_contact_number_id")

    op.drop_table("calls")
    with op.batch_alter_table("prospects", schema=None) as batch_op:
        batch_op.drop_index("ix_prospects_unit_id_id")
        batch_op.drop_index("ix_prospects_account_id_phone_id")
        batch_op.drop_index("ix_prospects_account_id_id")
        batch_op.drop_index("ix_prospects_account_id_email_id")
        batch_op.drop_index("ix_prospects_account_id_created_at_id")

    op.drop_table("prospects")
    with op.batch_alter_table("agent_tokens", schema=None) as batch_op:
        batch_op.drop_index("ix_agent_tokens_account_id_created_at")
        batch_op.drop_index("ix_agent_tokens_account_id_code_digest")

    op.drop_table("agent_tokens")
