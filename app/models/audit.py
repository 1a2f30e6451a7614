"""Append-only audit trail, written in the same transaction as the change it records."""
from datetime import datetime
from typing import Optional

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base

EVENT_TYPES = (
    "instance_started", "instance_completed", "task_ready", "claimed", "unclaimed", "completed",
    "task_cancelled", "timer_fired", "escalated", "error", "version_published",
)


class AuditEvent(Base):
    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    instance_id: Mapped[Optional[int]] = mapped_column(ForeignKey("process_instances.id"), index=True)
    event_type: Mapped[str] = mapped_column(String(40), index=True)
    actor: Mapped[Optional[str]] = mapped_column(String(80), index=True)
    at: Mapped[datetime] = mapped_column(index=True)
    task_id: Mapped[Optional[str]] = mapped_column(String(36))
    element_id: Mapped[Optional[str]] = mapped_column(String(200))
    data: Mapped[dict] = mapped_column(default=dict)
