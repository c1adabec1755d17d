"""prospect source days

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 04:40:00.000000

The lead-source funnel by day (`rentengine.prospects.funnel`): per account, UTC day and source, the
prospects created and how many reached each step, filled from the stored prospects. The
marketing-sources report reads these rows for the whole days of its period. A new table only
(expand): a node of the previous release does not keep it, so during a rolling upgrade the report
can miss that node's writes; `rentengine.prospects.funnel.rebuild_days` recounts such days.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The steps' bits as `rentengine.prospects.milestones` had them when this was written.
_STEPS = (
    ("showings_scheduled", 1),
    ("showings_completed", 2),
    ("applications_requested", 4),
    ("applications_submitted", 8),
    ("apps_approved", 16),
    ("rejected_prescreens", 32),
)
_DAY = {"sqlite": "date(created_at)", "postgresql": "(created_at AT TIME ZONE 'UTC')::date"}


def _fill(dialect: str) -> str:
    day = _DAY[dialect]
    steps = ", ".join(f"SUM(CASE WHEN (milestones & {bit}) != 0 THEN 1 ELSE 0 END)" for _, bit in _STEPS)
    return f"""
INSERT INTO prospect_source_days (account_id, day, source, leads, {", ".join(name for name, _ in _STEPS)})
SELECT account_id, {day}, COALESCE(source, ''), COUNT(*), {steps}
FROM prospects GROUP BY account_id, {day}, COALESCE(source, '')
"""


def upgrade() -> None:
    op.create_table(
        "prospect_source_days",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("leads", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name, _ in _STEPS),
        sa.PrimaryKeyConstraint("account_id", "day", "source", name=op.f("pk_prospect_source_days")),
    )
    op.execute(_fill(op.get_bind().dialect.name))


def downgrade() -> None:
    op.drop_table("prospect_source_days")
