"""prospect and leasing event positions

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 01:26:23.533427

Numbers every account's existing prospects and leasing events 1, 2, 3, … in `id` order, the order
the API lists them in, and starts each account's counters after its latest row.

A date range of one account's list is read as a range of positions, which needs creation times that
never go down along the positions. New rows get such times from their counter; a stored row created
earlier than a row of its account with a lower id (an insert given an earlier `created_at`) takes
that row's time instead, the same rule new rows follow.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import rentengine.db.base

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# UPDATE … FROM and window functions: PostgreSQL, and SQLite since 3.33. `floor` is the latest
# creation time among the account's rows up to this one, in id order.
_NUMBERED = """
    SELECT id,
           ROW_NUMBER() OVER (PARTITION BY account_id ORDER BY id) AS position,
           MAX(created_at) OVER (
               PARTITION BY account_id ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
           ) AS floor
    FROM {table}
"""
_NUMBER_PROSPECTS = f"""
UPDATE prospects SET
    account_seq = numbered.position,
    created_at = numbered.floor,
    updated_at = CASE WHEN prospects.updated_at < numbered.floor THEN numbered.floor
                      ELSE prospects.updated_at END
FROM ({_NUMBERED.format(table="prospects")}) AS numbered
WHERE prospects.id = numbered.id
"""
_NUMBER_EVENTS = f"""
UPDATE leasing_events SET account_seq = numbered.position, created_at = numbered.floor
FROM ({_NUMBERED.format(table="leasing_events")}) AS numbered
WHERE leasing_events.id = numbered.id
"""
_FILL_COUNTERS = """
INSERT INTO {counters} (account_id, last_seq, last_created_at)
SELECT account_id, MAX(account_seq), MAX(created_at) FROM {table} GROUP BY account_id
"""
_LISTS = (
    ("prospects", "prospect_counters", _NUMBER_PROSPECTS),
    ("leasing_events", "leasing_event_counters", _NUMBER_EVENTS),
)


def _create_counters(name: str) -> None:
    op.create_table(
        name,
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_created_at", rentengine.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_id", name=op.f(f"pk_{name}")),
    )


def _add_positions(table: str) -> None:
    """Adds `account_seq`, NOT NULL once the back-fill has run.

    SQLite can make a column NOT NULL only by rebuilding its table, which drops the table first:
    with foreign keys on, the rows referencing a prospect refuse that, even deferred. There the
    column is added NOT NULL at once, with a default of 0 that every row is numbered over before
    the transaction commits; every insert claims its position, so the default is never used.
    """
    if op.get_bind().dialect.name == "sqlite":
        op.add_column(table, sa.Column("account_seq", sa.BigInteger(), nullable=False, server_default="0"))
    else:
        op.add_column(table, sa.Column("account_seq", sa.BigInteger(), nullable=True))


def upgrade() -> None:
    for table, counters, number in _LISTS:
        _create_counters(counters)
        _add_positions(table)
        op.execute(number)
        op.execute(_FILL_COUNTERS.format(counters=counters, table=table))
        if op.get_bind().dialect.name != "sqlite":
            op.alter_column(table, "account_seq", existing_type=sa.BigInteger(), nullable=False)
        op.create_index(
            f"ix_{table}_account_id_account_seq", table, ["account_id", "account_seq"], unique=True
        )


def downgrade() -> None:
    for table, counters, _number in reversed(_LISTS):
        op.drop_index(f"ix_{table}_account_id_account_seq", table_name=table)
        # Not batch mode: SQLite drops the column in place (3.35+), without rebuilding the table.
        op.execute(f"ALTER TABLE {table} DROP COLUMN account_seq")
        op.drop_table(counters)
