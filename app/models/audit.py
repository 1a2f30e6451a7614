"""Append-only audit trail, written in the same transaction as the change it records."""
from datetime import datetime
from typing import Optional

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base

EVENT_TYPES = (
    "instance_started", "instance_completed", "task_ready", "claimed", "unclaimed", "completed",
    "task_cancelled", "timer_fired", "escalated", "error", "version_published", "migrated",
)


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("uq_audit_events_chain", "instance_id", "chain_seq", unique=True),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    instance_id: Mapped[Optional[int]] = mapped_column(ForeignKey("process_instances.id"), index=True)
    event_type: Mapped[str] = mapped_column(String(40), index=True)
    actor: Mapped[Optional[str]] = mapped_column(String(80), index=True)
    at: Mapped[datetime] = mapped_column(index=True)
    task_id: Mapped[Optional[str]] = mapped_column(String(36))
    element_id: Mapped[Optional[str]] = mapped_column(String(200))
    data: Mapped[dict] = mapped_column(default=dict)
    # hash chain (app/services/audit_chain.py), set once when the event is inserted
    chain_seq: Mapped[Optional[int]] = mapped_column(Integer)
    prev_hash: Mapped[Optional[str]] = mapped_column(String(64))
    event_hash: Mapped[Optional[str]] = mapped_column(String(64))
