"""Firing due timers: each due timer is a step on its instance, saved like any other step."""
import logging

from sqlalchemy import select

from .. import clock
from ..db import Database
from ..engine import runner
from ..models import Timer
from . import audit
from .errors import Conflict, ServiceError
from .instances import run_step

log = logging.getLogger(__name__)


def due_instances(db: Database, limit: int = 100) -> list[int]:
    with db.session() as session:
        query = (select(Timer.instance_id).where(Timer.state == "waiting", Timer.due_at <= clock.now())
                 .order_by(Timer.due_at).limit(limit))
        return list(dict.fromkeys(session.scalars(query)))


def fire_instance(db: Database, instance_id: int) -> list[str]:
    """Run the engine on an instance so its due timers fire; returns the element ids that fired."""
    fired: list[str] = []

    def step(session, instance, version, live):
        fired.clear()
        now = clock.now()
        due = list(session.scalars(select(Timer).where(Timer.instance_id == instance_id,
                                                       Timer.state == "waiting", Timer.due_at <= now)))
        if not due:
            return None
        runner.advance(live)
        for row in due:
            row.state, row.fired_at = "fired", now
            fired.append(row.element_id)
            audit.record(session, "timer_fired", instance_id=instance_id, task_id=row.task_id,
                         element_id=row.element_id,
                         data={"due_at": row.due_at.isoformat() if row.due_at else None,
                               "attached_to": row.attached_to})
        return None

    run_step(db, instance_id, step, actor=None)
    return fired


def fire_due(db: Database, limit: int = 100) -> int:
    """Fire every timer that is due now. Safe to run from several processes at once."""
    count = 0
    for instance_id in due_instances(db, limit):
        try:
            count += len(fire_instance(db, instance_id))
        except Conflict:
            log.info("instance %s busy; its timers fire on the next pass", instance_id)
        except ServiceError as exc:
            log.warning("timers of instance %s could not fire: %s", instance_id, exc.message)
    return count
