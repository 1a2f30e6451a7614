"""Business calendar: due dates in calendar time or in working time of the official Chinese calendar.

Due expressions used in diagrams (property ``dueIn`` on a user task, ``deadline(...)`` in timer expressions):
- ISO 8601 durations, calendar time: ``P10D``, ``PT24H``, ``P1DT12H`` — calendar days stay calendar days;
- working days: ``1WD``, ``2WD`` — counted on the official calendar (public holidays off, make-up working
  days on); the deadline is the end of the working day (setting ``WORKDAY_END``, default 18:00 China time);
- working hours: ``4WH`` — hours inside the company's working hours (``WORKDAY_START``–``WORKDAY_END``) on
  working days.
"""
import re
from datetime import date, datetime, time, timedelta

import chinese_calendar

from .settings import setting

CHINA_OFFSET = timedelta(hours=8)  # all stored times are UTC; the calendar is China's

_ISO = re.compile(r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?)?$")
_WD = re.compile(r"^(?P<n>\d+)\s*WD$", re.IGNORECASE)
_WH = re.compile(r"^(?P<n>\d+(?:\.\d+)?)\s*WH$", re.IGNORECASE)


class BadDueExpression(ValueError):
    pass


def working_hours() -> tuple[time, time]:
    """The company's working hours (China time), settings WORKDAY_START and WORKDAY_END."""
    start = time.fromisoformat(str(setting("WORKDAY_START", "08:30")))
    end = time.fromisoformat(str(setting("WORKDAY_END", "18:00")))
    if end <= start:
        raise BadDueExpression(f"working hours {start}-{end}: the end must come after the start")
    return start, end


def is_working_day(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # beyond the years the official calendar is published for
        return day.weekday() < 5


def add_working_days(day: date, count: int) -> date:
    """The count-th working day after day (day itself not counted)."""
    current = day
    remaining = count
    while remaining > 0:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def add_working_hours(local: datetime, hours: float) -> datetime:
    """local (China time) plus hours counted only inside working hours on working days."""
    start, end = working_hours()
    remaining = timedelta(hours=hours)
    current = local
    while True:
        day = current.date()
        if is_working_day(day):
            current = max(current, datetime.combine(day, start))
            available = datetime.combine(day, end) - current
            if remaining <= available:
                return current + remaining
            if available > timedelta(0):
                remaining -= available
        current = datetime.combine(day + timedelta(days=1), start)


def due_at(expression: str | None, start: datetime) -> datetime | None:
    """Deadline for a due expression counted from start (naive UTC). None when there is no expression."""
    if not expression:
        return None
    expression = expression.strip()
    if m := _WD.match(expression):
        local = start + CHINA_OFFSET
        day = add_working_days(local.date(), int(m["n"]))
        return datetime.combine(day, working_hours()[1]) - CHINA_OFFSET
    if m := _WH.match(expression):
        return add_working_hours(start + CHINA_OFFSET, float(m["n"])) - CHINA_OFFSET
    if (m := _ISO.match(expression)) and expression not in ("P", "PT"):
        return start + timedelta(days=int(m["d"] or 0), hours=int(m["h"] or 0), minutes=int(m["m"] or 0))
    raise BadDueExpression(f"cannot read due expression {expression!r} (use e.g. P10D, PT24H, 2WD or 4WH)")


def month_start(start: datetime, months: int = 1) -> datetime:
    """Midnight (China time) on the first day of the month `months` after start's month, as naive UTC."""
    local = start + CHINA_OFFSET
    index = local.year * 12 + (local.month - 1) + months
    return datetime(index // 12, index % 12 + 1, 1) - CHINA_OFFSET


def check_due_expression(expression: str | None) -> str | None:
    try:
        due_at(expression, datetime(2026, 1, 5))
        return None
    except BadDueExpression as exc:
        return str(exc)
