"""reporting

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 04:00:00.000000

The reports' access paths (API.md §15): each prospect's pipeline steps as bits
(`prospects.milestones`, see `rentengine.prospects.milestones`), filled from the stored leasing
events, with an index that covers the marketing-sources report; showings by planned time and by
status; calls by creation time; a unit's application groups by submission time.

A column with a default and new indexes only (expand): a node of the previous release keeps
working on this schema, but the events it writes during a rolling upgrade set no bits: those steps
go uncounted by the marketing-sources report (never an error).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The same bits as `rentengine.prospects.milestones`, written out: a migration keeps the rule it
# was written with. The distinct bits are powers of two, so their sum is their bitwise or. Not
# LIKE for the prefix: it ignores case on SQLite only.
_FILL_MILESTONES = """
UPDATE prospects SET milestones = (
    SELECT COALESCE(SUM(DISTINCT CASE
        WHEN event_type = 'Showing Scheduled' THEN 1
        WHEN event_type = 'Showing Complete' THEN 2
        WHEN event_type = 'Application Sent to Prospect' THEN 4
        WHEN event_type = 'Application Received' THEN 8
        WHEN event_type = 'Application Approved' THEN 16
        WHEN substr(event_type, 1, 18) = 'Prescreen Rejected' THEN 32
        ELSE 0 END), 0)
    FROM leasing_events WHERE leasing_events.prospect_id = prospects.id
)
WHERE EXISTS (SELECT 1 FROM leasing_events WHERE leasing_events.prospect_id = prospects.id)
"""
_INDEXES = (
    (
        "prospects",
        "ix_prospects_account_id_created_at_source_milestones",
        ["account_id", "created_at", "source", "milestones"],
    ),
    ("showings", "ix_showings_account_id_planned_date_time_id", ["account_id", "planned_date_time", "id"]),
    (
        "showings",
        "ix_showings_account_id_status_planned_date_time",
        ["account_id", "status", "planned_date_time"],
    ),
    ("calls", "ix_calls_account_id_created_at_id", ["account_id", "created_at", "id"]),
    (
        "rental_application_groups",
        "ix_rental_application_groups_unit_id_submitted_at",
        ["unit_id", "submitted_at"],
    ),
)


def upgrade() -> None:
    op.add_column("prospects", sa.Column("milestones", sa.Integer(), server_default="0", nullable=False))
    op.execute(_FILL_MILESTONES)
    for table, name, columns in _INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for table, name, _ in reversed(_INDEXES):
        op.drop_index(name, table_name=table)
    # Not batch mode: SQLite drops the column in place (3.35+); rebuilding the table would be
    # refused by the rows that reference a prospect.
    op.execute("ALTER TABLE prospects DROP COLUMN milestones")
