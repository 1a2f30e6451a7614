"""The company calendar: official schedules per year, company days, working hours, and the working-time
deadlines cases were given (so a calendar change can recompute them)."""
from datetime import date, datetime
from typing import Optional

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base

DAY_KINDS = ("holiday", "workday", "shutdown", "company_holiday", "company_workday")
WORKING_KINDS = ("workday", "company_workday")
OFFICIAL_KINDS = ("holiday", "workday")


class CalendarYear(Base):
    """A year whose official schedule (public holidays and make-up working days) is in the database."""
    __tablename__ = "calendar_years"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(20))  # package | entered | imported
    updated_at: Mapped[datetime]
    updated_by: Mapped[Optional[str]] = mapped_column(String(80))


class CalendarDay(Base):
    """A day that differs from the weekday rule: official (holiday, workday) or company (shutdown,
    company_holiday, company_workday). A company day overrides the official entry of the same date."""
    __tablename__ = "calendar_days"
    __table_args__ = (UniqueConstraint("day", "official", name="uq_calendar_days_day_official"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    official: Mapped[bool]
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(120), default="")


class CalendarSettings(Base):
    """Working hours (China time) and a revision counter that invalidates cached calendars; one row."""
    __tablename__ = "calendar_settings"
    id: Mapped[int] = mapped_column(primary_key=True)
    workday_start: Mapped[Optional[str]] = mapped_column(String(5))
    workday_end: Mapped[Optional[str]] = mapped_column(String(5))
    revision: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[Optional[datetime]]
    updated_by: Mapped[Optional[str]] = mapped_column(String(80))


class CalendarDeadline(Base):
    """A working-time deadline a diagram computed (deadline("2WD", ...)): recomputed when the calendar changes."""
    __tablename__ = "calendar_deadlines"
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"), index=True)
    expression: Mapped[str] = mapped_column(String(40))
    start_at: Mapped[datetime]
    due_at: Mapped[datetime]
    provisional: Mapped[bool] = mapped_column(default=False)
