"""Recomputing deadlines after a change of the company calendar.

Open human tasks whose ``dueIn`` counts working time, and waiting timers whose due time a diagram computed
with ``deadline(...)`` in working time, are computed again from their original start on the new calendar.
Every moved deadline has a ``deadline_recomputed`` event in its case's audit trail; provisional deadlines
(beyond the last scheduled year) become final once that year's schedule is entered.
"""
from datetime import timezone

from sqlalchemy import func, select

from ... import workcalendar
from ...db import Database
from ...engine import operations, timers as engine_timers
from ...models import CalendarDeadline, HumanTask, OPEN_STATES, ProcessInstance, Timer
from ..audit import admin_audit, audit
from ..organisation import calendar
from . import store
from .instances import NOTHING_TO_SAVE, run_step


def _iso(value):
    return value.replace(tzinfo=timezone.utc).isoformat() if value else None


def recompute(db: Database, actor: str | None, reason: str) -> dict:
    """Recompute every open deadline the calendar decides; returns how many tasks and timers moved."""
    moved_tasks = _recompute_tasks(db, actor, reason)
    moved_timers = 0
    for instance_id, timer_task_id in _timer_candidates(db):
        if _recompute_timer(db, instance_id, timer_task_id, actor, reason):
            moved_timers += 1
    return {"tasks": moved_tasks, "timers": moved_timers}


def save_year(db: Database, year: int, payload: dict, actor: str | None, source: str = "entered") -> dict:
    """Enter or replace a year of the calendar, then recompute the deadlines the change affects."""
    with db.session() as session:
        view = calendar.put_year(session, year, payload, actor, source)
    return {**view, "recomputed": _after_change(db, actor, f"calendar {year}")}


def save_working_hours(db: Database, start: str, end: str, actor: str | None) -> dict:
    with db.session() as session:
        hours = calendar.set_working_hours(session, start, end, actor)
    return {"working_hours": hours, "recomputed": _after_change(db, actor, "working hours")}


def _after_change(db: Database, actor, reason: str) -> dict:
    counts = recompute(db, actor, reason)
    with db.session() as session:
        admin_audit.record(session, actor=actor, action="deadlines_recomputed", object_type="calendar",
                           object_id=reason, after=counts)
    return counts


def _recompute_tasks(db: Database, actor, reason) -> int:
    moved = 0
    with db.session() as session:
        cal = calendar.load(session)
        rows = session.scalars(select(HumanTask).join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
                               .where(HumanTask.state.in_(OPEN_STATES), HumanTask.due_at.is_not(None)))
        versions = {}
        for task in rows:
            if task.instance_id not in versions:
                instance = session.get(ProcessInstance, task.instance_id)
                versions[task.instance_id] = store.version_info(session, instance.version_id)
            expression = versions[task.instance_id].task_catalog.get(task.task_name, {}).get("due")
            if not workcalendar.is_working_time(expression):
                continue
            due = workcalendar.due(expression, task.created_at, cal)
            if due.at == task.due_at and due.provisional == task.due_provisional:
                continue
            audit.record(session, "deadline_recomputed", instance_id=task.instance_id, actor=actor,
                         task_id=task.id, element_id=task.task_name,
                         data={"before": _iso(task.due_at), "after": _iso(due.at), "expression": expression,
                               "provisional": due.provisional, "reason": reason})
            if due.at != task.due_at:
                moved += 1
            task.due_at, task.due_provisional = due.at, due.provisional
    return moved


def _timer_candidates(db: Database) -> list[tuple[int, str]]:
    with db.session() as session:
        rows = session.execute(
            select(Timer.instance_id, Timer.task_id).join(
                CalendarDeadline, (CalendarDeadline.instance_id == Timer.instance_id)
                & (CalendarDeadline.due_at == Timer.due_at))
            .join(ProcessInstance, ProcessInstance.id == Timer.instance_id)
            .where(Timer.state == "waiting", ProcessInstance.status == "running")).all()
    return list(dict.fromkeys((r.instance_id, r.task_id) for r in rows))


def _recompute_timer(db: Database, instance_id: int, timer_task_id: str, actor, reason) -> bool:
    moved = []

    def step(session, instance, version, live):
        moved.clear()
        timer = session.get(Timer, timer_task_id)
        if timer is None or timer.state != "waiting":
            return NOTHING_TO_SAVE
        ledger = list(session.scalars(select(CalendarDeadline).where(CalendarDeadline.instance_id == instance_id,
                                                                     CalendarDeadline.due_at == timer.due_at)))
        if not ledger:
            return NOTHING_TO_SAVE
        cal = calendar.load(session)
        entry = ledger[-1]
        due = workcalendar.due(entry.expression, entry.start_at, cal)
        if due.at == timer.due_at and due.provisional == entry.provisional:
            return NOTHING_TO_SAVE
        old_iso, new_iso = _iso(timer.due_at), _iso(due.at)
        if due.at != timer.due_at:
            if not engine_timers.reschedule(live, timer_task_id, due.at):
                return NOTHING_TO_SAVE
            # the case data fields that hold the deadline (e.g. arrival_due_at) show the new one
            fields = {k: new_iso for k, v in (instance.case_data or {}).items() if v == old_iso}
            if fields:
                operations.set_data(live, fields)
            moved.append(timer.element_id)
        for row in ledger:
            row.due_at, row.provisional = due.at, due.provisional
        audit.record(session, "deadline_recomputed", instance_id=instance_id, actor=actor, task_id=timer_task_id,
                     element_id=timer.element_id,
                     data={"before": old_iso, "after": new_iso, "expression": entry.expression,
                           "provisional": due.provisional, "reason": reason})
        return None

    run_step(db, instance_id, step, actor=actor)
    return bool(moved)


def provisional_count(session) -> int:
    """Open tasks whose due time is provisional (beyond the last scheduled year)."""
    return session.scalar(select(func.count()).select_from(HumanTask).where(
        HumanTask.state.in_(OPEN_STATES), HumanTask.due_provisional.is_(True))) or 0
