"""Business calendar: due dates in calendar time or in working days of the official Chinese calendar.

Due expressions used in diagrams (property ``dueIn`` on a user task):
- ISO 8601 durations, calendar time: ``P10D``, ``PT24H``, ``P1DT12H``;
- working days: ``1WD``, ``2WD`` — counted on the official calendar (public holidays off,
  make-up working days on); the deadline is the end of the working day (``WORKDAY_END``, 18:00 China time).
"""
import os
import re
from datetime import date, datetime, time, timedelta

import chinese_calendar

CHINA_OFFSET = timedelta(hours=8)  # all stored times are UTC; the calendar is China's
WORKDAY_END = time.fromisoformat(os.environ.get("WORKDAY_END", "18:00"))

_ISO = re.compile(r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?)?$")
_WD = re.compile(r"^(?P<n>\d+)\s*WD$", re.IGNORECASE)


class BadDueExpression(ValueError):
    pass


def is_working_day(day: date) -> bool:
    return chinese_calendar.is_workday(day)


def add_working_days(day: date, count: int) -> date:
    """The count-th working day after day (day itself not counted)."""
    current = day
    remaining = count
    while remaining > 0:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def due_at(expression: str | None, start: datetime) -> datetime | None:
    """Deadline for a due expression counted from start (naive UTC). None when there is no expression."""
    if not expression:
        return None
    expression = expression.strip()
    if m := _WD.match(expression):
        local = start + CHINA_OFFSET
        day = add_working_days(local.date(), int(m["n"]))
        return datetime.combine(day, WORKDAY_END) - CHINA_OFFSET
    if (m := _ISO.match(expression)) and expression not in ("P", "PT"):
        return start + timedelta(days=int(m["d"] or 0), hours=int(m["h"] or 0), minutes=int(m["m"] or 0))
    raise BadDueExpression(f"cannot read due expression {expression!r} (use e.g. P10D, PT24H or 2WD)")


def check_due_expression(expression: str | None) -> str | None:
    try:
        due_at(expression, datetime(2026, 1, 5))
        return None
    except BadDueExpression as exc:
        return str(exc)
