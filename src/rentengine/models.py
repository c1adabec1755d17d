"""Every table, re-exported for Alembic and tests."""

from rentengine.audit.models import AuditEntry
from rentengine.auth.models import Account, ApiKey, Membership, RateLimitCounter, User
from rentengine.db.base import Base
from rentengine.lockboxes.models import Lockbox, LockboxEvent
from rentengine.portal.models import PortalSession
from rentengine.properties.models import MultifamilyProperty
from rentengine.units.models import Address, Unit
from rentengine.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription

__all__ = [
    "Account",
    "Address",
    "ApiKey",
    "AuditEntry",
    "Base",
    "Lockbox",
    "LockboxEvent",
    "Membership",
    "MultifamilyProperty",
    "PortalSession",
    "RateLimitCounter",
    "Unit",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookSubscription",
]
