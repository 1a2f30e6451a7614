"""Escalations: an overdue task or a fired SLA timer reported to its escalation target (group or user)."""
from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class Escalation(Base):
    __tablename__ = "escalations"
    __table_args__ = (
        Index("ix_escalations_group", "target_group", "created_at"),
        Index("ix_escalations_user", "target_user", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    # one escalation per task and reason: "overdue:<task id>", "timer:<timer task id>:<due time>"
    key: Mapped[str] = mapped_column(String(200), unique=True)
    reason: Mapped[str] = mapped_column(String(16))  # overdue | timer
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[Optional[str]] = mapped_column(String(36), index=True)  # the human task concerned
    element_id: Mapped[str] = mapped_column(String(200))  # the late task or the timer event
    title: Mapped[str] = mapped_column(String(300))
    business_key: Mapped[Optional[str]] = mapped_column(String(120))
    target_group: Mapped[Optional[str]] = mapped_column(String(64))
    heads_only: Mapped[bool] = mapped_column(default=False)
    target_user: Mapped[Optional[str]] = mapped_column(String(80))
    due_at: Mapped[Optional[datetime]]
    created_at: Mapped[datetime]
