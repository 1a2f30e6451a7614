"""The human-task table the inbox and reports read without rebuilding any workflow."""
from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base

OPEN_STATES = ("ready", "claimed")


class HumanTask(Base):
    __tablename__ = "human_tasks"
    __table_args__ = (
        Index("ix_human_tasks_queue", "group_code", "state", "due_at"),
        # a department's queue in the inbox's order (migration 0006_inbox_indexes)
        Index("ix_human_tasks_queue_order", "group_code", "state", text("(due_at IS NULL)"), "due_at",
              "created_at"),
        # keyset paging of the queue: (due, created, id) after a cursor (migration perf_0003_inbox_keyset)
        Index("ix_human_tasks_keyset", "group_code", "state", "due_at", "created_at", "id", "head_only"),
        Index("ix_human_tasks_held", "claimed_by", "state", "due_at", "created_at", "id"),
        # a department's held tasks by holder: the workload's counts per member (migration perf_0005_workload_index)
        Index("ix_human_tasks_workload", "group_code", "state", "claimed_by", "due_at"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the engine's task id
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("process_instances.id", ondelete="CASCADE"), index=True)
    process_id: Mapped[str] = mapped_column(String(120), index=True)
    business_key: Mapped[Optional[str]] = mapped_column(String(120), index=True)
    task_name: Mapped[str] = mapped_column(String(200))  # BPMN element id
    title: Mapped[str] = mapped_column(String(300))
    lane: Mapped[Optional[str]] = mapped_column(String(200))
    group_code: Mapped[Optional[str]] = mapped_column(String(64))
    head_only: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(16))  # ready | claimed | completed | cancelled
    due_at: Mapped[Optional[datetime]]
    due_provisional: Mapped[bool] = mapped_column(default=False)  # beyond the calendar's last scheduled year
    case_due_at: Mapped[Optional[datetime]]  # the case's commitment deadline (start property caseDeadlineField)
    claimed_by: Mapped[Optional[str]] = mapped_column(String(80))
    form_ref: Mapped[Optional[str]] = mapped_column(String(200))
    created_at: Mapped[datetime]
    completed_at: Mapped[Optional[datetime]]
    completed_by: Mapped[Optional[str]] = mapped_column(String(80))
    customer: Mapped[Optional[str]] = mapped_column(String(300))
