"""Business calendar: due dates in calendar time or in working time of the company's calendar.

Due expressions used in diagrams (property ``dueIn`` on a user task, ``deadline(...)`` in timer expressions):
- ISO 8601 durations, calendar time: ``P10D``, ``PT24H``, ``P1DT12H``. Whole days (``P10D``) end at the end
  of the last day, China time (23:59:59); durations with hours or minutes are exact;
- working days: ``1WD``, ``2WD`` — counted on the company calendar (public holidays off, make-up working
  days on, company days as entered); the deadline is the end of the working day (``WORKDAY_END``);
- working hours: ``4WH`` — hours inside the company's working hours (``WORKDAY_START``–``WORKDAY_END``) on
  working days.

The calendar (a ``WorkCalendar``) comes from the database (services.organisation.calendar): the service layer
binds it with ``using(...)`` for a step; unbound, the official schedule of the ``chinese_calendar`` package is
used. A working-time deadline that reaches a year without an official schedule is computed on weekdays and
reported as provisional (``due(...).provisional``).
"""
import re
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Mapping, NamedTuple

from .settings import setting

CHINA_OFFSET = timedelta(hours=8)  # all stored times are UTC; the calendar is China's

_ISO = re.compile(r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?)?$")
_WD = re.compile(r"^(?P<n>\d+)\s*WD$", re.IGNORECASE)
_WH = re.compile(r"^(?P<n>\d+(?:\.\d+)?)\s*WH$", re.IGNORECASE)
END_OF_DAY = time(23, 59, 59)


class BadDueExpression(ValueError):
    pass


def _hours_setting() -> tuple[time, time]:
    start = time.fromisoformat(str(setting("WORKDAY_START", "08:30")))
    end = time.fromisoformat(str(setting("WORKDAY_END", "18:00")))
    return start, end


@dataclass(frozen=True)
class WorkCalendar:
    """Working days and hours. ``days`` overrides the weekday rule (True = working, False = off);
    ``years`` are the years with an official schedule; ``start``/``end`` are working hours (None = setting)."""
    days: Mapping[date, bool] = field(default_factory=dict)
    years: frozenset = frozenset()
    start: time | None = None
    end: time | None = None

    def is_working_day(self, day: date) -> bool:
        value = self.days.get(day)
        return day.weekday() < 5 if value is None else value

    def covers(self, day: date) -> bool:
        return day.year in self.years

    def working_hours(self) -> tuple[time, time]:
        start, end = _hours_setting()
        start, end = self.start or start, self.end or end
        if end <= start:
            raise BadDueExpression(f"working hours {start}-{end}: the end must come after the start")
        return start, end

    def horizon(self) -> date | None:
        """The last day of the unbroken run of scheduled years from the first one: beyond it, working-time
        deadlines are provisional."""
        if not self.years:
            return None
        year = min(self.years)
        while year + 1 in self.years:
            year += 1
        return date(year, 12, 31)


@lru_cache(maxsize=1)
def builtin() -> WorkCalendar:
    """The official schedule as the chinese_calendar package knows it (seed of the database calendar)."""
    days, years = builtin_days()
    return WorkCalendar(days=days, years=frozenset(years))


def builtin_days() -> tuple[dict[date, bool], set[int]]:
    from chinese_calendar import constants
    days = {day: False for day in constants.holidays}
    days.update({day: True for day in constants.workdays if day.weekday() >= 5})
    return days, {day.year for day in constants.holidays}


def builtin_names() -> dict[date, str]:
    from chinese_calendar import constants
    names = {day: str(getattr(name, "value", name)) for day, name in constants.holidays.items()}
    names.update({day: str(getattr(name, "value", name)) for day, name in constants.workdays.items()
                  if day.weekday() >= 5})
    return names


_ACTIVE: ContextVar[WorkCalendar | None] = ContextVar("work_calendar", default=None)
_LEDGER: ContextVar[list | None] = ContextVar("deadline_ledger", default=None)


def active() -> WorkCalendar:
    return _ACTIVE.get() or builtin()


@contextmanager
def using(calendar: WorkCalendar):
    """Compute due dates inside the with-block on this calendar."""
    token = _ACTIVE.set(calendar)
    try:
        yield calendar
    finally:
        _ACTIVE.reset(token)


@contextmanager
def recording():
    """Collect the working-time deadlines computed inside the with-block: (expression, start, due, provisional)."""
    ledger: list = []
    token = _LEDGER.set(ledger)
    try:
        yield ledger
    finally:
        _LEDGER.reset(token)


def working_hours() -> tuple[time, time]:
    """The company's working hours (China time): the calendar's, else settings WORKDAY_START/WORKDAY_END."""
    return active().working_hours()


def is_working_day(day: date) -> bool:
    return active().is_working_day(day)


class Due(NamedTuple):
    at: datetime | None
    provisional: bool  # a day it counted lies in a year without an official schedule


def _add_working_days(cal: WorkCalendar, day: date, count: int) -> tuple[date, bool]:
    current, remaining, provisional = day, count, False
    while remaining > 0:
        current += timedelta(days=1)
        provisional = provisional or not cal.covers(current)
        if cal.is_working_day(current):
            remaining -= 1
    return current, provisional


def add_working_days(day: date, count: int) -> date:
    """The count-th working day after day (day itself not counted)."""
    return _add_working_days(active(), day, count)[0]


def _add_working_hours(cal: WorkCalendar, local: datetime, hours: float) -> tuple[datetime, bool]:
    start, end = cal.working_hours()
    remaining = timedelta(hours=hours)
    current, provisional = local, False
    while True:
        day = current.date()
        provisional = provisional or not cal.covers(day)
        if cal.is_working_day(day):
            current = max(current, datetime.combine(day, start))
            available = datetime.combine(day, end) - current
            if remaining <= available:
                return current + remaining, provisional
            if available > timedelta(0):
                remaining -= available
        current = datetime.combine(day + timedelta(days=1), start)


def add_working_hours(local: datetime, hours: float) -> datetime:
    """local (China time) plus hours counted only inside working hours on working days."""
    return _add_working_hours(active(), local, hours)[0]


def is_working_time(expression: str | None) -> bool:
    """True for due expressions counted on the calendar (working days or hours)."""
    text = (expression or "").strip()
    return bool(_WD.match(text) or _WH.match(text))


def due(expression: str | None, start: datetime, calendar: WorkCalendar | None = None) -> Due:
    """Deadline (naive UTC) of a due expression counted from start (naive UTC), and whether it is provisional."""
    if not expression:
        return Due(None, False)
    cal = calendar or active()
    expression = expression.strip()
    if m := _WD.match(expression):
        day, provisional = _add_working_days(cal, (start + CHINA_OFFSET).date(), int(m["n"]))
        result = Due(datetime.combine(day, cal.working_hours()[1]) - CHINA_OFFSET, provisional)
    elif m := _WH.match(expression):
        local, provisional = _add_working_hours(cal, start + CHINA_OFFSET, float(m["n"]))
        result = Due(local - CHINA_OFFSET, provisional)
    elif (m := _ISO.match(expression)) and expression not in ("P", "PT"):
        if m["h"] is None and m["m"] is None:  # whole calendar days: to the end of the last day, China time
            day = (start + CHINA_OFFSET).date() + timedelta(days=int(m["d"] or 0))
            return Due(datetime.combine(day, END_OF_DAY) - CHINA_OFFSET, False)
        return Due(start + timedelta(days=int(m["d"] or 0), hours=int(m["h"] or 0), minutes=int(m["m"] or 0)),
                   False)
    else:
        raise BadDueExpression(f"cannot read due expression {expression!r} (use e.g. P10D, PT24H, 2WD or 4WH)")
    ledger = _LEDGER.get()
    if ledger is not None:
        ledger.append((expression, start, result.at, result.provisional))
    return result


def due_at(expression: str | None, start: datetime) -> datetime | None:
    """Deadline for a due expression counted from start (naive UTC). None when there is no expression."""
    return due(expression, start).at


def china_today(now: datetime) -> date:
    """The China date of a naive UTC time."""
    return (now + CHINA_OFFSET).date()


def china_midnight(day: date) -> datetime:
    """00:00 China time of a date, as naive UTC."""
    return datetime.combine(day, time()) - CHINA_OFFSET


def month_start(start: datetime, months: int = 1) -> datetime:
    """Midnight (China time) on the first day of the month `months` after start's month, as naive UTC."""
    local = start + CHINA_OFFSET
    index = local.year * 12 + (local.month - 1) + months
    return datetime(index // 12, index % 12 + 1, 1) - CHINA_OFFSET


def check_due_expression(expression: str | None) -> str | None:
    try:
        due(expression, datetime(2026, 1, 5), builtin())
        return None
    except BadDueExpression as exc:
        return str(exc)
