"""Business sequences: the last serial handed out per kind of number and period (e.g. complaints of 2026-03)."""
from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class BusinessSequence(Base):
    __tablename__ = "business_sequences"
    name: Mapped[str] = mapped_column(String(60), primary_key=True)  # kind of number: complaint, contract, ...
    period: Mapped[str] = mapped_column(String(20), primary_key=True)  # "2026-03"; "" for a never-reset serial
    last_value: Mapped[int] = mapped_column(Integer, default=0)
