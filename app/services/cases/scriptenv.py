"""Functions diagram scripts may call that need the database, bound for the duration of one step.

- ``next_number(kind, period=None)``: the next business number of that kind, e.g. "2026-03-0007"
  (see services.numbering); reserved in the step's transaction, so a refused step gives it back.
"""
from contextlib import contextmanager

from sqlalchemy.orm import Session

from ...engine import runner
from . import calendar_deadlines, numbering


@contextmanager
def bound(session: Session):
    def next_number(kind: str, period: str | None = None) -> str:
        return numbering.next_number(session, str(kind), None if period is None else str(period))

    with runner.step_functions(next_number=next_number), \
            calendar_deadlines.bound(session):  # deadline(...) and dueIn count on the company calendar
        yield
