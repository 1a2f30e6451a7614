"""Out-of-office substitutes, saved form drafts and uploaded attachments of the task pages."""
from datetime import date, datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class Substitution(Base):
    """While `username` is away (starts_on..ends_on, both inclusive), work meant for them goes to
    `substitute`."""
    __tablename__ = "substitutions"
    __table_args__ = (Index("ix_substitutions_user_period", "username", "starts_on", "ends_on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80))
    substitute: Mapped[str] = mapped_column(String(80), index=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    created_at: Mapped[datetime]
    cancelled_at: Mapped[Optional[datetime]]


class TaskDraft(Base):
    """What a user typed into a task's form and saved without completing (raw form values)."""
    __tablename__ = "task_drafts"
    task_id: Mapped[str] = mapped_column(ForeignKey("human_tasks.id", ondelete="CASCADE"), primary_key=True)
    username: Mapped[str] = mapped_column(String(80), primary_key=True)
    form_values: Mapped[dict]
    saved_at: Mapped[datetime]


class Attachment(Base):
    """A file uploaded through a form field; the case data holds its id."""
    __tablename__ = "attachments"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("process_instances.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[Optional[str]] = mapped_column(String(36))
    field: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(80))
    uploaded_at: Mapped[datetime]
