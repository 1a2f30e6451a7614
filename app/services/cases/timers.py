"""Firing due timers: each due timer is a step on its instance, saved like any other step.

Exactly once: the due timer rows of an instance are claimed with SELECT … FOR UPDATE SKIP LOCKED in the
transaction that runs the engine and saves the instance, and marked fired there. A second worker skips rows
another one holds; a crash before the commit releases the claim and leaves the timers waiting, so they fire
on a later pass. (SQLite has no row locks: there, one in-process firer plus the instance's optimistic lock.)
"""
import logging

from sqlalchemy import select

from ... import clock
from ...db import Database
from ...engine import runner, timers as engine_timers
from ...models import ProcessInstance, Timer
from ..audit import audit
from . import escalations
from ..errors import Conflict, ServiceError
from .instances import NOTHING_TO_SAVE, run_step

log = logging.getLogger(__name__)


def due_instances(db: Database, limit: int = 100) -> list[int]:
    with db.session() as session:
        # an instance in error waits for its fix (a successful step) instead of failing on every pass
        query = (select(Timer.instance_id).join(ProcessInstance, ProcessInstance.id == Timer.instance_id)
                 .where(Timer.state == "waiting", Timer.due_at <= clock.now(), ProcessInstance.status == "running")
                 .order_by(Timer.due_at).limit(limit))
        return list(dict.fromkeys(session.scalars(query)))


def _claim_due(session, instance_id: int, now) -> list[Timer] | None:
    """The instance's due timers, locked for this transaction; None when another worker holds any of them."""
    due = (select(Timer).where(Timer.instance_id == instance_id, Timer.state == "waiting", Timer.due_at <= now)
           .order_by(Timer.due_at))
    expected = set(session.scalars(due.with_only_columns(Timer.task_id)))
    claimed = list(session.scalars(due.with_for_update(skip_locked=True)))
    if not claimed or {t.task_id for t in claimed} != expected:
        return None
    return claimed


def fire_in_step(session, instance, live, run=runner.advance, claimed_only: bool = True) -> list[str] | None:
    """Inside a step: claim the instance's due timers, run(live) so they fire, mark them fired. Returns the
    element ids that fired, or None when another worker holds them (with claimed_only, also when none is
    due; otherwise the engine runs anyway, as an operator's retry does)."""
    now = clock.now()
    claimed = _claim_due(session, instance.id, now)
    if claimed is None and claimed_only:
        return None
    claimed = claimed or []
    before = {t["task_id"]: t for t in engine_timers.waiting_timers(live)}
    with engine_timers.hold(False):  # the one step in which timers fire (elsewhere they are held)
        run(live)
    after = {t["task_id"]: t for t in engine_timers.waiting_timers(live)}
    fired = []
    for row in claimed:
        again = after.get(row.task_id)
        if again is not None and again["due_at"] == row.due_at:
            continue  # the engine does not consider it due (yet): it stays waiting
        row.state, row.fired_at = "fired", now
        fired.append(row.element_id)
        audit.record(session, "timer_fired", instance_id=instance.id, task_id=row.task_id,
                     element_id=row.element_id,
                     data={"due_at": row.due_at.isoformat() if row.due_at else None,
                           "attached_to": row.attached_to})
        timer = before.get(row.task_id) or {"task_id": row.task_id, "element_id": row.element_id}
        escalations.timer_fired(session, instance, {**timer, "due_at": row.due_at}, now)
    session.flush()
    return fired


def fire_instance(db: Database, instance_id: int) -> list[str]:
    """Run the engine on an instance so its due timers fire; returns the element ids that fired."""
    fired: list[str] = []

    def step(session, instance, version, live):
        fired.clear()
        result = fire_in_step(session, instance, live)
        if result is None:
            return NOTHING_TO_SAVE
        fired.extend(result)
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
