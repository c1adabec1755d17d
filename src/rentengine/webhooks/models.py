import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from rentengine.audit.models import BigIntId
from rentengine.db.base import Base, PortableJSON, created_at_column, updated_at_column, uuid_pk


class DeliveryStatus(StrEnum):
    pending = "pending"
    retrying = "retrying"
    succeeded = "succeeded"
    dead_lettered = "dead_lettered"
    cancelled = "cancelled"


# Deliveries the worker still has to send.
OPEN_STATUSES = (DeliveryStatus.pending.value, DeliveryStatus.retrying.value)


class WebhookSubscription(Base):
    __tablename__ = "webhook_subscriptions"

    id: Mapped[uuid.UUID] = uuid_pk()
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid())
    url: Mapped[str] = mapped_column(String(2048))
    tables: Mapped[list[str]] = mapped_column(PortableJSON)
    event_types: Mapped[list[str]] = mapped_column(PortableJSON)
    # The two secrets, encrypted (see `webhooks.secrets`): read them only through it. The API key is
    # sent as `X-API-Key` to the receiver (it is the receiver's secret, not ours), so neither can be
    # a digest.
    api_key_sealed: Mapped[str | None] = mapped_column(Text)
    signing_secret_sealed: Mapped[str] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(default=True)
    # Deleted subscriptions are kept (soft delete) so that their delivery log stays until retention ends.
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    __table_args__ = (
        Index("ix_webhook_subscriptions_account_id_created_at_id", "account_id", "created_at", "id"),
        Index("ix_webhook_subscriptions_account_id_enabled", "account_id", "enabled"),
    )


class WebhookDelivery(Base):
    """One event for one subscription: the outbox row, written in the transaction of the change."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[uuid.UUID] = uuid_pk()
    webhook_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook_subscriptions.id"))
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid())
    # The `webhook-id` header: one per event, shared by every subscription and every retry.
    event_id: Mapped[str] = mapped_column(String(64))
    table: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(8))
    # The exact body bytes (UTF-8 JSON), so every retry signs and sends the same bytes.
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.pending.value)
    attempt_count: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    # A worker's claim: other workers skip the row until the lease expires (a killed worker's claims
    # become due again).
    lease_owner: Mapped[str | None] = mapped_column(String(64), default=None)
    lease_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    # Test sends are attempted once, synchronously, and never retried.
    is_test: Mapped[bool] = mapped_column(default=False)
    # The `X-Request-Id` of the request whose change this is; sent as that header on every attempt.
    request_id: Mapped[str | None] = mapped_column(String(128), default=None)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    __table_args__ = (
        Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_webhook_id_created_at_id", "webhook_id", "created_at", "id"),
        Index("ix_webhook_deliveries_event_id", "event_id"),
        Index("ix_webhook_deliveries_created_at", "created_at"),
        # The open deliveries of each subscription in due order, for fair claims (migration 0015).
        Index(
            "ix_webhook_deliveries_open_webhook_id_next_attempt_at",
            "webhook_id",
            "next_attempt_at",
            "created_at",
            postgresql_where=text("status IN ('pending', 'retrying')"),
            sqlite_where=text("status IN ('pending', 'retrying')"),
        ),
    )


class WebhookAttempt(Base):
    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    delivery_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="CASCADE"))
    attempt_number: Mapped[int]
    attempted_at: Mapped[datetime]
    status_code: Mapped[int | None] = mapped_column(default=None)
    duration_ms: Mapped[int] = mapped_column(default=0)
    # The first bytes of the receiver's answer, for debugging a failing endpoint.
    response_body: Mapped[str | None] = mapped_column(Text, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)

    __table_args__ = (Index("ix_webhook_attempts_delivery_id_id", "delivery_id", "id"),)
