"""Every tenant table can be distributed by `account_id`, or says why not yet.

Citus (PostgreSQL sharded by a column) asks of a distributed table that its primary key and every
unique constraint include the distribution column, and that a foreign key between two distributed
tables join on it (so the rows it links sit in the same shard); a foreign key to a reference table
(copied to every node) is free. This test reads the models' metadata, lists what breaks those rules
if each table with an `account_id` were distributed by it, and compares that with `EXCEPTIONS`:
each with its reason, and what it takes to lift it (docs/scaling.md, "Sharding by account"). A new
table or key that breaks a rule without a reason fails here; so does an exception no longer needed.
"""

from collections.abc import Iterator

from sqlalchemy import Table, UniqueConstraint

import rentengine.models  # noqa: F401  (every table on the metadata)
from rentengine.db.base import Base

ACCOUNT = "account_id"

# Global tables: read before any account is known (authentication) or not about one account.
# Distributed by account they could not be found; they become reference tables, copied to every node.
REFERENCE_TABLES = {
    "accounts": "the tenants themselves; every shard's rows refer to them",
    "users": "a user may act for several accounts and is found by email or key before any account",
    "memberships": "which accounts a user may act for: read by user, to learn the accounts",
    "api_keys": "found by the token's hash on every request, before the account is known",
    "portal_sessions": "found by the session cookie, before the account is known",
    "rate_limit_counters": "keyed by caller and window, not account; or kept in Redis instead",
    "comps_calls": "a user's comps quota across all of their accounts (keyed by user)",
}
# Tenant rows without an `account_id` of their own: distributed, they need one (copied from their
# parent on insert) before anything else.
WITHOUT_ACCOUNT_ID = {
    "addresses": "a unit's address, linked by units.address_id: needs account_id, (account_id, id) keys",
    "webhook_attempts": "a delivery's attempts: need account_id copied from webhook_deliveries",
}

GLOBAL_ID = "id is unique across accounts on its own (a UUID or a sequence); the key becomes (account_id, id)"
SAME_ACCOUNT = (
    "a link within one account: the key becomes (account_id, {}) once every write keeps both rows in one"
)
# (table, what, columns) -> why it does not include account_id yet, and what lifts it.
EXCEPTIONS: dict[tuple[str, str, tuple[str, ...]], str] = {
    **{
        (table, "primary key", ("id",)): GLOBAL_ID
        for table in (
            "agent_tokens",
            "audit_entries",
            "calls",
            "leasing_events",
            "lockbox_events",
            "lockboxes",
            "messages",
            "multifamily_properties",
            "prospects",
            "rental_application_groups",
            "showings",
            "units",
            "webhook_deliveries",
            "webhook_subscriptions",
        )
    },
    ("calls", "foreign key", ("prospect_id",)): SAME_ACCOUNT.format("prospect_id"),
    ("messages", "foreign key", ("prospect_id",)): SAME_ACCOUNT.format("prospect_id"),
    ("leasing_events", "foreign key", ("prospect_id",)): SAME_ACCOUNT.format("prospect_id"),
    ("prospects", "foreign key", ("unit_id",)): SAME_ACCOUNT.format("unit_id"),
    ("showings", "foreign key", ("unit_id",)): SAME_ACCOUNT.format("unit_id"),
    ("showings", "foreign key", ("prospect_id",)): SAME_ACCOUNT.format("prospect_id"),
    ("rental_application_groups", "foreign key", ("unit_id",)): SAME_ACCOUNT.format("unit_id"),
    ("rental_application_groups", "foreign key", ("lead_prospect_id",)): SAME_ACCOUNT.format(
        "lead_prospect_id"
    ),
    ("webhook_deliveries", "foreign key", ("webhook_id",)): SAME_ACCOUNT.format("webhook_id"),
    ("addresses", "primary key", ("id",)): "no account_id yet (see WITHOUT_ACCOUNT_ID); then as GLOBAL_ID",
    (
        "webhook_attempts",
        "primary key",
        ("id",),
    ): "no account_id yet (see WITHOUT_ACCOUNT_ID); then as GLOBAL_ID",
    ("webhook_attempts", "foreign key", ("delivery_id",)): "no account_id yet; then "
    + SAME_ACCOUNT.format("delivery_id"),
    ("units", "foreign key", ("address_id",)): "addresses has no account_id yet (see WITHOUT_ACCOUNT_ID)",
    ("lockbox_events", "foreign key", ("lockbox_id",)): (
        "a transfer (POST /lockboxes/transfer) moves a lockbox to another account while its events stay "
        "in the one they happened in: the two can be in different shards, so this key cannot include "
        "account_id; distributed, it is dropped and the lockbox checked on insert instead"
    ),
}


def _distributed(table: Table) -> bool:
    if table.name in REFERENCE_TABLES:
        return False
    return ACCOUNT in table.c or table.name in WITHOUT_ACCOUNT_ID


def _unique_keys(table: Table) -> Iterator[tuple[str, tuple[str, ...]]]:
    yield "primary key", tuple(column.name for column in table.primary_key.columns)
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint):
            yield "unique constraint", tuple(column.name for column in constraint.columns)
    for index in table.indexes:
        if index.unique:
            yield "unique index", tuple(column.name for column in index.columns)


def breaches(table: Table) -> Iterator[tuple[str, str, tuple[str, ...]]]:
    """What keeps `table` from being distributed by account_id as it stands."""
    if ACCOUNT in table.c and table.c[ACCOUNT].nullable:
        yield table.name, "nullable distribution column", (ACCOUNT,)
    for what, columns in _unique_keys(table):
        if ACCOUNT not in columns:
            yield table.name, what, columns
    for key in table.foreign_key_constraints:
        local = tuple(column.name for column in key.columns)
        if _distributed(key.referred_table) and ACCOUNT not in local:
            yield table.name, "foreign key", local


def test_every_table_is_distributed_or_a_reference_table() -> None:
    tables = Base.metadata.tables.values()
    unplaced = sorted(
        t.name for t in tables if ACCOUNT not in t.c and t.name not in REFERENCE_TABLES | WITHOUT_ACCOUNT_ID
    )
    assert unplaced == [], (
        "tables with no account_id: add the column, or list them in REFERENCE_TABLES with the reason "
        f"they are global: {unplaced}"
    )
    stale = sorted(name for name in REFERENCE_TABLES | WITHOUT_ACCOUNT_ID if name not in Base.metadata.tables)
    assert stale == [], f"listed tables that no longer exist: {stale}"


def test_keys_without_account_id_are_the_listed_exceptions() -> None:
    found = {
        breach for table in Base.metadata.tables.values() if _distributed(table) for breach in breaches(table)
    }
    unexplained = sorted(found - EXCEPTIONS.keys())
    assert unexplained == [], (
        "keys that would keep these tables from being distributed by account_id; include account_id, "
        f"or add them to EXCEPTIONS with the reason: {unexplained}"
    )
    lifted = sorted(EXCEPTIONS.keys() - found)
    assert lifted == [], f"no longer needed, remove from EXCEPTIONS (and docs/scaling.md): {lifted}"
    assert all(reason.strip() for reason in EXCEPTIONS.values())


def test_a_new_table_without_account_id_in_its_keys_is_caught() -> None:
    """The check itself: a table keyed by id alone, with a key to a distributed table, is reported."""
    from sqlalchemy import Column, ForeignKey, Integer, MetaData, Uuid

    metadata = MetaData()
    Table("units", metadata, Column("id", Integer, primary_key=True), Column(ACCOUNT, Uuid, nullable=False))
    notes = Table(
        "notes",
        metadata,
        Column("id", Integer, primary_key=True),
        Column(ACCOUNT, Uuid, nullable=True),
        Column("unit_id", ForeignKey("units.id")),
    )
    assert sorted(breaches(notes)) == [
        ("notes", "foreign key", ("unit_id",)),
        ("notes", "nullable distribution column", (ACCOUNT,)),
        ("notes", "primary key", ("id",)),
    ]
