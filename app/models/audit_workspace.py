"""Auditor workspace tables: the heads of the audit hash chains and saved case searches."""
from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class AuditChainHead(Base):
    """One row per chain without a case ("system", "admin"; a case's head is on its process_instances row):
    its length and the hash of its last event. Writers lock the row (SELECT ... FOR UPDATE) so two
    transactions never extend the same chain from the same point."""
    __tablename__ = "audit_chain_heads"
    stream: Mapped[str] = mapped_column(String(40), primary_key=True)
    length: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[Optional[datetime]]


class SavedSearch(Base):
    """A named case search of an auditor, optionally shared with everyone in one group."""
    __tablename__ = "saved_searches"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    owner: Mapped[str] = mapped_column(String(80), index=True)
    shared_group: Mapped[Optional[str]] = mapped_column(ForeignKey("groups.code"), index=True)
    params: Mapped[dict] = mapped_column(default=dict)
    created_at: Mapped[datetime]
