"""encrypted webhook secrets

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 09:00:00.000000

Webhook signing secrets and receivers' API keys are stored encrypted (`kit/encryption.py`,
`webhooks/secrets.py`): `signing_secret` becomes `signing_secret_sealed` and `api_key` becomes
`api_key_sealed`, both TEXT (a sealed 1,024-character API key is longer than 1,024 characters).

Existing values are encrypted with the keys of the settings in the environment, the ones the server
runs with: RENTENGINE_DATA_ENCRYPTION_KEY, else the key derived from RENTENGINE_SECRET_KEY. The
downgrade decrypts them back, and fails, changing nothing, when one does not decrypt with them.

Columns are added and dropped in place (ALTER TABLE … ADD / DROP COLUMN; SQLite has DROP COLUMN
since 3.35), not by batch mode's copy of the table: webhook_deliveries refers to this table, and
SQLite will not drop a table that rows of another refer to. SQLite cannot add a NOT NULL column
without a default, so the sealed secret is added with the default '' and filled at once; PostgreSQL
then drops the default.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from rentengine.kit.encryption import Keyring
from rentengine.settings import Settings
from rentengine.webhooks.secrets import (
    keyring_of,
    open_api_key,
    open_signing_secret,
    seal_api_key,
    seal_signing_secret,
)

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "webhook_subscriptions"
# The table's columns as this revision sees them (the models describe only the newer ones).
SUBSCRIPTIONS = sa.table(
    TABLE,
    sa.column("id", sa.Uuid()),
    sa.column("api_key", sa.String()),
    sa.column("signing_secret", sa.String()),
    sa.column("api_key_sealed", sa.Text()),
    sa.column("signing_secret_sealed", sa.Text()),
)
S = SUBSCRIPTIONS.c


def _keyring() -> Keyring:
    """The keyring of the environment's settings: read only when there are rows to convert."""
    return keyring_of(Settings())


def _convert(source: tuple[str, str], target: tuple[str, str], sealing: bool) -> None:
    """Writes every row's (api key, signing secret) from the `source` columns into the `target` ones,
    sealed or opened."""
    connection = op.get_bind()
    rows = connection.execute(sa.select(S.id, S[source[0]], S[source[1]])).all()
    if not rows:
        return
    keyring = _keyring()
    values = []
    for webhook_id, api_key, secret in rows:
        if sealing:
            api_key, secret = (
                seal_api_key(keyring, webhook_id, api_key),
                seal_signing_secret(keyring, webhook_id, secret),
            )
        else:
            api_key, secret = (
                open_api_key(keyring, webhook_id, api_key),
                open_signing_secret(keyring, webhook_id, secret),
            )
        values.append({"row_id": webhook_id, "new_api_key": api_key, "new_secret": secret})
    stmt = (
        sa.update(SUBSCRIPTIONS)
        .where(S.id == sa.bindparam("row_id"))
        .values({target[0]: sa.bindparam("new_api_key"), target[1]: sa.bindparam("new_secret")})
    )
    connection.execute(stmt, values)


def _drop_default(column: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(TABLE, column, server_default=None)


def upgrade() -> None:
    op.add_column(TABLE, sa.Column("api_key_sealed", sa.Text(), nullable=True))
    op.add_column(TABLE, sa.Column("signing_secret_sealed", sa.Text(), nullable=False, server_default=""))
    _convert(("api_key", "signing_secret"), ("api_key_sealed", "signing_secret_sealed"), sealing=True)
    _drop_default("signing_secret_sealed")
    op.drop_column(TABLE, "signing_secret")
    op.drop_column(TABLE, "api_key")


def downgrade() -> None:
    op.add_column(TABLE, sa.Column("api_key", sa.String(length=1024), nullable=True))
    op.add_column(
        TABLE, sa.Column("signing_secret", sa.String(length=128), nullable=False, server_default="")
    )
    _convert(("api_key_sealed", "signing_secret_sealed"), ("api_key", "signing_secret"), sealing=False)
    _drop_default("signing_secret")
    op.drop_column(TABLE, "signing_secret_sealed")
    op.drop_column(TABLE, "api_key_sealed")
