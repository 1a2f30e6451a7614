"""Escalation: an overdue task or a fired SLA timer is reported to its escalation target, shown in the
target's inbox and recorded in the audit trail. Targets come from the diagrams: the property `escalateTo`
on a user task (when it is overdue) or on a timer event (when it fires) names a group (code or name),
`heads:<group>` for its heads only, or `user:<username>`. An overdue task without one goes to the setting
ESCALATE_OVERDUE_TO, else to the heads of the task's own group."""

from sqlalchemy import and_, literal, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ... import clock
from ...db import Database
from ...models import Escalation, HumanTask, OPEN_STATES, OutboxMessage, ProcessInstance, ProcessVersion, User
from ...settings import setting
from ..audit import audit
from ..notifications import notifications
from .tasks import deadline_status
from ..organisation.targets import Target, parse_target


def escalate(session: Session, *, key: str, reason: str, target: Target, instance_id: int, task_id: str | None,
             element_id: str, title: str, business_key: str | None, due_at) -> bool:
    """Record one escalation (at most once per key), its audit event and its e-mail."""
    values = dict(key=key, reason=reason, instance_id=instance_id, task_id=task_id, element_id=element_id,
                  title=(title or element_id)[:300], business_key=business_key, target_group=target.group,
                  heads_only=target.heads_only, target_user=target.user, due_at=due_at, created_at=clock.now())
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    result = session.execute(insert(Escalation).values(**values).on_conflict_do_nothing(
        index_elements=[Escalation.key]))
    if result.rowcount != 1:
        return False
    audit.record(session, "escalated", instance_id=instance_id, task_id=task_id, element_id=element_id,
                 data={"reason": reason, "target_group": target.group, "target_user": target.user,
                       "heads_only": target.heads_only, "due_at": due_at.isoformat() if due_at else None})
    notifications.queue(session, "escalated", instance_id=instance_id, task_id=task_id, title=values["title"],
                        business_key=business_key, due_at=due_at, group_code=target.group,
                        heads_only=target.heads_only, username=target.user, dedup_key=f"escalated:{key}")
    return True


def timer_fired(session: Session, instance: ProcessInstance, timer: dict, fired_at) -> bool:
    """A timer event with escalateTo fired (called inside the firing step's transaction)."""
    target = parse_target(session, (timer.get("properties") or {}).get("escalateTo"))
    if target is None:
        return False
    task = session.get(HumanTask, timer["attached_task_id"]) if timer.get("attached_task_id") else None
    title = " — ".join(t for t in (task.title if task else None, timer.get("name")) if t)
    due = timer.get("due_at")
    return escalate(session, key=f"timer:{timer['task_id']}:{due.isoformat() if due else fired_at.isoformat()}",
                    reason="timer", target=target, instance_id=instance.id, task_id=task.id if task else None,
                    element_id=timer["element_id"], title=title, business_key=instance.business_key,
                    due_at=due)


def _overdue_target(session: Session, task: HumanTask, props: dict) -> Target | None:
    target = parse_target(session, props.get("escalateTo") or setting("ESCALATE_OVERDUE_TO"))
    if target is None and task.group_code:
        target = Target(group=task.group_code, heads_only=True)
    return target


def scan(db: Database, limit: int = 200) -> int:
    """Escalate every overdue open task once, and warn about tasks at risk once. Safe to run repeatedly
    and from several workers (one escalation per task and reason). Returns the number of escalations."""
    now = clock.now()
    count = 0
    with db.session() as session:
        overdue = session.scalars(
            select(HumanTask).outerjoin(Escalation, Escalation.key == literal("overdue:") + HumanTask.id)
            .where(HumanTask.state.in_(OPEN_STATES), HumanTask.due_at < now, Escalation.id.is_(None))
            .order_by(HumanTask.due_at).limit(limit)).all()
        catalogs: dict[int, dict] = {}
        for task in overdue:
            props = _catalog(session, catalogs, task.instance_id).get(task.task_name, {}).get("properties", {})
            target = _overdue_target(session, task, props)
            if target is None:
                continue
            if escalate(session, key=f"overdue:{task.id}", reason="overdue", target=target,
                        instance_id=task.instance_id, task_id=task.id, element_id=task.task_name,
                        title=task.title, business_key=task.business_key, due_at=task.due_at):
                count += 1
                notifications.queue_for_task(session, "overdue", task, dedup_key=f"overdue:{task.id}")
        if notifications.enabled():
            _warn_at_risk(session, now, limit)
    return count


def _warn_at_risk(session: Session, now, limit: int) -> None:
    candidates = session.scalars(
        select(HumanTask).outerjoin(OutboxMessage, OutboxMessage.dedup_key == literal("at_risk:") + HumanTask.id)
        .where(HumanTask.state.in_(OPEN_STATES), HumanTask.due_at >= now, OutboxMessage.id.is_(None))
        .order_by(HumanTask.due_at).limit(limit * 10)).all()
    for task in candidates:
        if deadline_status(task, now) == "at_risk":
            notifications.queue_for_task(session, "at_risk", task, dedup_key=f"at_risk:{task.id}")


def _catalog(session: Session, cache: dict, instance_id: int) -> dict:
    if instance_id not in cache:
        version_id = session.scalar(select(ProcessInstance.version_id).where(ProcessInstance.id == instance_id))
        cache[instance_id] = session.scalar(select(ProcessVersion.task_catalog)
                                            .where(ProcessVersion.id == version_id)) or {}
    return cache[instance_id]


def for_user(session: Session, user: User, open_only: bool = True, limit: int = 200) -> list[dict]:
    """Escalations addressed to the user or to the user's groups (heads-only ones to heads), newest first."""
    addressed = or_(Escalation.target_user == user.username,
                    and_(Escalation.target_group.in_(sorted(user.group_codes)), Escalation.heads_only.is_(False)),
                    Escalation.target_group.in_(sorted(user.head_of)))
    query = (select(Escalation, HumanTask.state).outerjoin(HumanTask, HumanTask.id == Escalation.task_id)
             .where(addressed).order_by(Escalation.created_at.desc(), Escalation.id.desc()).limit(limit))
    if open_only:
        query = query.where(or_(HumanTask.state.in_(OPEN_STATES), Escalation.task_id.is_(None)))
    return [escalation_dict(row, state) for row, state in session.execute(query)]


def escalation_dict(row: Escalation, task_state: str | None = None) -> dict:
    return {"id": row.id, "reason": row.reason, "instance_id": row.instance_id, "task_id": row.task_id,
            "element_id": row.element_id, "title": row.title, "business_key": row.business_key,
            "target_group": row.target_group, "heads_only": row.heads_only, "target_user": row.target_user,
            "due_at": clock.iso(row.due_at), "created_at": clock.iso(row.created_at),
            "task_state": task_state}
