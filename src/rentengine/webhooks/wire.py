"""Wire representations of subscriptions and deliveries (API.md §19.2, §19.4)."""

from collections.abc import Sequence

from rentengine.changes.types import Record
from rentengine.kit.clock import isoformat_z
from rentengine.kit.encryption import Keyring
from rentengine.kit.jsonutil import loads
from rentengine.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from rentengine.webhooks.secrets import api_key_of, signing_secret_of

# What the audit log shows of a secret that is set.
MASK = "[redacted]"


def subscription_to_wire(row: WebhookSubscription, keyring: Keyring) -> Record:
    """The API's representation, with both secrets decrypted (SealError when one does not open)."""
    return {
        **_fields(row),
        "api_key": api_key_of(keyring, row),
        "signing_secret": signing_secret_of(keyring, row),
    }


def subscription_audit_record(row: WebhookSubscription) -> Record:
    """The subscription as the audit log keeps it: a secret shows only whether it is set (nothing is
    decrypted)."""
    return {
        **_fields(row),
        "api_key": None if row.api_key_sealed is None else MASK,
        "signing_secret": MASK,
    }


def _fields(row: WebhookSubscription) -> Record:
    return {
        "id": str(row.id),
        "account_id": str(row.account_id),
        "url": row.url,
        "tables": list(row.tables),
        "event_types": list(row.event_types),
        "api_key": None,
        "signing_secret": None,
        "enabled": row.enabled,
        "created_at": isoformat_z(row.created_at),
        "updated_at": isoformat_z(row.updated_at),
    }


def attempt_to_wire(row: WebhookAttempt) -> Record:
    return {
        "attempt_number": row.attempt_number,
        "attempted_at": isoformat_z(row.attempted_at),
        "status_code": row.status_code,
        "duration_ms": row.duration_ms,
        "error": row.error,
        "response": row.response_body,
    }


def delivery_to_wire(row: WebhookDelivery, attempts: Sequence[WebhookAttempt]) -> Record:
    """`attempts` in the order they were made."""
    return {
        "id": str(row.id),
        "webhook_id": str(row.webhook_id),
        "event_id": row.event_id,
        "request_id": row.request_id,
        "table": row.table,
        "type": row.type,
        "status": row.status,
        "payload": loads(row.payload),
        "attempts": [attempt_to_wire(a) for a in attempts],
        "next_attempt_at": isoformat_z(row.next_attempt_at) if row.next_attempt_at else None,
        "created_at": isoformat_z(row.created_at),
    }
