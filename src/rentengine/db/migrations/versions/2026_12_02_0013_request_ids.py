"""request ids

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 07:30:00.000000

The id of the HTTP request that made a change (`X-Request-Id`, see `rentengine.observability`) is
kept with the change's audit entries (`audit_entries.request_id`) and webhook deliveries
(`webhook_deliveries.request_id`, sent again as `X-Request-Id` on every attempt), so one id leads
from a balancer's log line to the node's log, the audit log and the receiver's log.

Expand only: two nullable columns, added in place (no table copy on SQLite, a catalog change on
PostgreSQL). A node of the previous release neither reads nor writes them, so during a rolling
upgrade its rows have none; rows written before this revision, by the CLI or by the delivery worker
(which acts for no request) have none either.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("audit_entries", "webhook_deliveries")
# The longest id `rentengine.observability.requestid` accepts.
LENGTH = 128


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("request_id", sa.String(length=LENGTH), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        op.drop_column(table, "request_id")
