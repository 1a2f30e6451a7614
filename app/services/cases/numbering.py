"""Business numbers: serials per kind and period (complaint 2026-03-0001, contracts, repair cases).

The increment is a single row-locking UPDATE inside the caller's transaction: concurrent callers queue on
the row (PostgreSQL) or the database write lock (SQLite) and each gets its own serial. A transaction that
rolls back gives its serial back, so numbers have no gaps from failed steps.
"""
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ... import clock
from ...i18n import _
from ...models import BusinessSequence
from ..errors import ServiceError

CHINA_OFFSET = timedelta(hours=8)


def current_month() -> str:
    """The month on the company's (China) calendar: "YYYY-MM"."""
    return (clock.now() + CHINA_OFFSET).strftime("%Y-%m")


def next_value(session: Session, kind: str, period: str = "") -> int:
    """The next serial of kind within period (1, 2, ...), reserved in the caller's transaction."""
    if not kind or len(kind) > 60 or len(period) > 20:
        raise ServiceError(_("Invalid number sequence: %(kind)s", kind=kind))
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(BusinessSequence).values(name=kind, period=period, last_value=0)
                    .on_conflict_do_nothing(index_elements=["name", "period"]))
    return session.execute(
        update(BusinessSequence)
        .where(BusinessSequence.name == kind, BusinessSequence.period == period)
        .values(last_value=BusinessSequence.last_value + 1)
        .returning(BusinessSequence.last_value)).scalar_one()


def next_number(session: Session, kind: str, period: str | None = None, width: int = 4) -> str:
    """A formatted number "<period>-<serial>", e.g. next_number(s, "complaint") -> "2026-03-0007".
    period defaults to the current month; "" gives a serial that never resets ("0007")."""
    period = current_month() if period is None else period
    serial = f"{next_value(session, kind, period):0{width}d}"
    return f"{period}-{serial}" if period else serial
