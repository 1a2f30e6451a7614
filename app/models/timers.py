"""Durable timers: every waiting timer event of every instance, with its due time."""
from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class Timer(Base):
    __tablename__ = "timers"
    __table_args__ = (Index("ix_timers_due", "state", "due_at"),)
    task_id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the waiting engine task
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"), index=True)
    element_id: Mapped[str] = mapped_column(String(200))
    attached_to: Mapped[Optional[str]] = mapped_column(String(200))  # boundary timers: the task they watch
    kind: Mapped[str] = mapped_column(String(60))
    due_at: Mapped[Optional[datetime]]
    state: Mapped[str] = mapped_column(String(16))  # waiting | fired | cancelled
    fired_at: Mapped[Optional[datetime]]
