"""Integration with other systems: service accounts, webhook subscriptions and their deliveries, and
messages received from outside (idempotency and held messages)."""
from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class ServiceAccount(Base):
    """A system (not a person) with its own token and only the scopes it needs. Backed by a user row
    (auth_source "service", no password, no groups) so that its actions are audited under its name."""
    __tablename__ = "service_accounts"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str] = mapped_column(String(300), default="")
    # {"start": [process ids], "read": [process ids], "messages": [message names]}
    scopes: Mapped[dict] = mapped_column(default=dict)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_hint: Mapped[str] = mapped_column(String(16))  # the token's last characters, to recognise it
    created_by: Mapped[Optional[str]] = mapped_column(String(80))
    created_at: Mapped[datetime]
    revoked_at: Mapped[Optional[datetime]]
    revoked_by: Mapped[Optional[str]] = mapped_column(String(80))
    last_used_at: Mapped[Optional[datetime]]


class WebhookSubscription(Base):
    __tablename__ = "webhook_subscriptions"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    url: Mapped[str] = mapped_column(String(1000))
    event_types: Mapped[list] = mapped_column(default=list)
    secret: Mapped[str] = mapped_column(String(100))  # whsec_<base64>, Standard Webhooks signing secret
    language: Mapped[str] = mapped_column(String(8), default="zh")  # labels in the payload
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[Optional[str]] = mapped_column(String(80))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class WebhookDelivery(Base):
    """One event for one subscription, written in the transaction of the event; sent by the worker."""
    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "state", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[str] = mapped_column(String(64), unique=True)  # webhook-id header
    event_type: Mapped[str] = mapped_column(String(40))
    instance_id: Mapped[Optional[int]] = mapped_column(index=True)
    payload: Mapped[dict]
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[Optional[datetime]]
    last_attempt_at: Mapped[Optional[datetime]]
    last_status: Mapped[Optional[int]]
    last_error: Mapped[Optional[str]] = mapped_column(Text)
    delivered_at: Mapped[Optional[datetime]]
    created_at: Mapped[datetime]


class WebhookAttempt(Base):
    """Every try of a delivery: when, the receiver's HTTP status or the network error, how long it took."""
    __tablename__ = "webhook_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    status: Mapped[Optional[int]]
    error: Mapped[Optional[str]] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(default=0)
    requested_by: Mapped[Optional[str]] = mapped_column(String(80))  # "send again" by an administrator


class InboundMessage(Base):
    """A message another system posted: kept for idempotency (same key, same answer) and, when no case
    waits for it yet, held until a case does or it expires."""
    __tablename__ = "inbound_messages"
    __table_args__ = (UniqueConstraint("sender", "idempotency_key", name="uq_inbound_messages_key"),
                      Index("ix_inbound_messages_held", "state", "name"))
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    sender: Mapped[str] = mapped_column(String(80))
    idempotency_key: Mapped[Optional[str]] = mapped_column(String(200))
    correlation: Mapped[dict] = mapped_column(default=dict)
    data: Mapped[dict] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(16))  # delivered | started | held | expired
    instance_id: Mapped[Optional[int]]
    received_at: Mapped[datetime]
    delivered_at: Mapped[Optional[datetime]]
    expires_at: Mapped[Optional[datetime]]
    answer: Mapped[dict] = mapped_column(default=dict)
    request_hash: Mapped[str] = mapped_column(String(64), default="")
