"""Every table, re-exported for Alembic and tests."""

from rentengine.agents.models import AgentToken
from rentengine.applications.models import RentalApplicationGroup
from rentengine.audit.models import AuditEntry
from rentengine.auth.models import Account, ApiKey, Membership, RateLimitCounter, User
from rentengine.communications.models import Call, Message
from rentengine.comps.models import CompsCall
from rentengine.db.base import Base
from rentengine.leasing.models import LeasingEvent, LeasingEventCounter
from rentengine.lockboxes.models import Lockbox, LockboxEvent
from rentengine.portal.models import PortalSession
from rentengine.properties.models import MultifamilyProperty
from rentengine.prospects.models import Prospect, ProspectCounter, ProspectSourceDay
from rentengine.showings.models import Showing
from rentengine.units.models import Address, Unit
from rentengine.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription

__all__ = [
    "Account",
    "Address",
    "AgentToken",
    "ApiKey",
    "AuditEntry",
    "Base",
    "Call",
    "CompsCall",
    "LeasingEvent",
    "LeasingEventCounter",
    "Lockbox",
    "LockboxEvent",
    "Membership",
    "Message",
    "MultifamilyProperty",
    "PortalSession",
    "Prospect",
    "ProspectCounter",
    "ProspectSourceDay",
    "RateLimitCounter",
    "RentalApplicationGroup",
    "Showing",
    "Unit",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookSubscription",
]
