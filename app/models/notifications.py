"""E-mail notifications: the outbox written in the step's transaction, and per-user delivery choices."""
from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class OutboxMessage(Base):
    """One notification event; its audience is a group (optionally heads only) or one user, expanded to
    e-mail addresses when the background worker sends it."""
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "state", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # new_task | assigned | at_risk | overdue | escalated
    dedup_key: Mapped[Optional[str]] = mapped_column(String(200), unique=True)
    instance_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("process_instances.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[Optional[str]] = mapped_column(String(36))
    title: Mapped[str] = mapped_column(String(300))
    business_key: Mapped[Optional[str]] = mapped_column(String(120))
    due_at: Mapped[Optional[datetime]]
    group_code: Mapped[Optional[str]] = mapped_column(String(64))
    heads_only: Mapped[bool] = mapped_column(default=False)
    username: Mapped[Optional[str]] = mapped_column(String(80))
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(default=0)
    recipients: Mapped[list] = mapped_column(default=list)
    last_error: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(index=True)
    sent_at: Mapped[Optional[datetime]]


class NotificationSetting(Base):
    """A user's choice: one e-mail per event (default) or one daily digest."""
    __tablename__ = "notification_settings"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    daily_digest: Mapped[bool] = mapped_column(default=False)
    last_digest_at: Mapped[Optional[datetime]]
