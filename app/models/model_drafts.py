"""Unpublished edits of a process's files, saved from the process owner console."""
from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class ModelDraft(Base):
    """One file (diagram, decision table or form) of a process as last saved by a process owner."""
    __tablename__ = "model_drafts"
    __table_args__ = (UniqueConstraint("process_id", "file_name", name="uq_model_drafts_process_file"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(120), index=True)
    file_name: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[datetime]
