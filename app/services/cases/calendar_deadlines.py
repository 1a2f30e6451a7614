"""Due dates of cases on the company calendar.

A step runs with the database calendar bound (``bound``), so ``deadline("2WD")`` in a diagram and a task's
``dueIn`` count the company's working days. The working-time deadlines a diagram computes are kept
(table calendar_deadlines) so that a calendar change can recompute the timers waiting on them
(services.cases.deadline_recompute).
"""
from contextlib import contextmanager
from datetime import datetime, timezone

from sqlalchemy import insert
from sqlalchemy.orm import Session

from ... import workcalendar
from ...models import CalendarDeadline, ProcessInstance
from ..organisation import calendar

_LEDGER = "calendar_ledger"


@contextmanager
def bound(session: Session):
    """Compute due dates inside the block on the company calendar; remember working-time deadlines."""
    with workcalendar.using(calendar.load(session)), workcalendar.recording() as ledger:
        yield
    if ledger:
        session.info.setdefault(_LEDGER, []).extend(ledger)


def task_due(session: Session, expression: str | None, start: datetime) -> workcalendar.Due:
    """A task's due time from its dueIn expression, on the company calendar."""
    return workcalendar.due(expression, start, calendar.load(session))


_INSERT = insert(CalendarDeadline.__table__)


def record(session: Session, instance: ProcessInstance, add) -> None:
    """Keep the working-time deadlines the instance's last step computed: add(statement, row) queues each
    row with the step's other writes."""
    ledger = session.info.pop(_LEDGER, None)
    if not ledger:
        return
    seen = set()
    for expression, start, due, provisional in ledger:
        if (expression, start) in seen or due is None:
            continue
        seen.add((expression, start))
        add(_INSERT, {"instance_id": instance.id, "expression": expression[:40], "start_at": start, "due_at": due,
                      "provisional": provisional})


def drop_pending(session: Session) -> None:
    session.info.pop(_LEDGER, None)


def case_deadline(case_data: dict, start_props: dict) -> str | None:
    """The case's commitment deadline (ISO) from the case-data field the start event's property
    caseDeadlineField names (e.g. commitment_due_at of a complaint); None without one."""
    field = start_props.get("caseDeadlineField")
    value = case_data.get(field) if field else None
    return value if isinstance(value, str) and as_utc(value) is not None else None


def as_utc(value: str | None) -> datetime | None:
    """An ISO time (with or without offset; without one it is UTC) as naive UTC; None when it is none."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed
