"""Handing tasks to people: a head reassigns, a holder delegates, and an out-of-office substitute
receives whatever would come to an absent person. Every hand-over is in the audit trail."""
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ... import clock
from ...db import Database
from ...i18n import _
from ...models import HumanTask, OPEN_STATES, Substitution, User
from ...workcalendar import CHINA_OFFSET
from ..audit import audit
from ..notifications import notifications
from ..organisation import org
from ..errors import Conflict, Forbidden, ServiceError
from .tasks import claim, get_task, may_work, segregation_excludes

MAX_CHAIN = 5  # substitutes of substitutes are followed this far


def today() -> date:
    """The calendar day in China (stored times are UTC)."""
    return (clock.now() + CHINA_OFFSET).date()


def active_substitution(session: Session, username: str, day: date | None = None) -> Substitution | None:
    day = day or today()
    return session.scalar(select(Substitution).where(
        Substitution.username == username, Substitution.cancelled_at.is_(None),
        Substitution.starts_on <= day, Substitution.ends_on >= day).order_by(Substitution.id.desc()).limit(1))


def resolve_assignee(session: Session, username: str) -> tuple[str, list[str]]:
    """Who actually receives work meant for username today, and the absent people passed over."""
    absent: list[str] = []
    current = username
    while len(absent) < MAX_CHAIN:
        entry = active_substitution(session, current)
        if entry is None or entry.substitute in absent or entry.substitute == username:
            break
        absent.append(current)
        current = entry.substitute
    return current, absent


def upcoming(session: Session, username: str) -> list[Substitution]:
    return list(session.scalars(select(Substitution).where(
        Substitution.username == username, Substitution.cancelled_at.is_(None),
        Substitution.ends_on >= today()).order_by(Substitution.starts_on)))


def set_out_of_office(db: Database, user: User, substitute: str, starts_on: date, ends_on: date) -> int:
    """Record an absence; replaces the user's other current or future absences."""
    if ends_on < starts_on:
        raise ServiceError(_("The last day is before the first day."), field="ends_on")
    if ends_on < today():
        raise ServiceError(_("The period is already over."), field="ends_on")
    if substitute == user.username:
        raise ServiceError(_("Choose someone else as your substitute."), field="substitute")
    with db.session() as session:
        org.get_user(session, substitute)
        now = clock.now()
        for entry in upcoming(session, user.username):
            entry.cancelled_at = now
        entry = Substitution(username=user.username, substitute=substitute, starts_on=starts_on,
                             ends_on=ends_on, created_at=now)
        session.add(entry)
        session.flush()
        audit.record(session, "out_of_office", actor=user.username,
                     data={"substitute": substitute, "from": starts_on.isoformat(), "to": ends_on.isoformat()})
        entry_id = entry.id
    apply_due(db)
    return entry_id


def cancel_out_of_office(db: Database, user: User) -> None:
    with db.session() as session:
        entries = upcoming(session, user.username)
        for entry in entries:
            entry.cancelled_at = clock.now()
        if entries:
            audit.record(session, "out_of_office_cancelled", actor=user.username)


def _hand(session: Session, task: HumanTask, to: str | None, event: str, actor: str, data: dict) -> None:
    """Move one open task to `to` (None = back to the queue), refusing if it changed meanwhile."""
    result = session.execute(update(HumanTask).where(
        HumanTask.id == task.id, HumanTask.state == task.state,
        HumanTask.claimed_by.is_(None) if task.claimed_by is None else HumanTask.claimed_by == task.claimed_by)
        .values(state="claimed" if to else "ready", claimed_by=to))
    if result.rowcount != 1:
        raise Conflict(_("The task changed in the meantime; please reload."))
    if to:
        notifications.task_assigned(session, task, to)
    audit.record(session, event, instance_id=task.instance_id, actor=actor, task_id=task.id,
                 element_id=task.task_name, data=data)


def assign(db: Database, actor: User, task_id: str, target: str, *, kind: str) -> str:
    """kind 'reassigned': a head of the task's group gives it to a member; kind 'delegated': the holder
    hands it to a colleague. Work for an absent person goes to their substitute. Returns the receiver."""
    with db.session() as session:
        task = get_task(session, task_id)
        if task.state not in OPEN_STATES:
            raise Conflict(_("The task is no longer waiting to be done."), code="task_not_waiting")
        if kind == "reassigned" and task.group_code not in actor.head_of:
            raise Forbidden(_("Only heads of %(group)s may reassign this task.", group=task.group_code),
                            code="head_only")
        if kind == "delegated" and task.claimed_by != actor.username:
            raise Forbidden(_("Only the holder of a task may delegate it."), code="not_holder")
        if not target:
            raise ServiceError(_("Choose the person to give the task to."), field="assignee")
        final, absent = resolve_assignee(session, target)
        receiver = org.get_user(session, final)
        if final == task.claimed_by:  # a reassignment is a deliberate change of holder
            raise ServiceError(_("%(who)s already holds this task.", who=receiver.display_name or final),
                               field="assignee")
        if not receiver.is_active or not may_work(receiver, task):
            if absent:
                raise ServiceError(_("%(who)s is out of office and the substitute %(sub)s may not do this task.",
                                     who=target, sub=final), field="assignee")
            raise ServiceError(_("%(who)s may not do this task.", who=final), field="assignee")
        if segregation_excludes(session, receiver, task):
            raise Forbidden(_("Segregation of duties: %(who)s drafted, registered or started this case and may "
                              "not do this task.", who=receiver.display_name or final),
                            code="segregation_of_duties", field="assignee")
        data = {"from": task.claimed_by, "to": final}
        if absent:
            data |= {"requested": target, "substitute_for": absent[-1], "reason": "out_of_office"}
        _hand(session, task, final, kind, actor.username, data)
        return final


def hand_over_held(session: Session, entry: Substitution) -> int:
    """Give the substitute the open tasks the absent person holds; those the substitute may not do stay
    with the absent person (the out-of-office page says so before saving; nothing falls back to the queue
    unannounced)."""
    final, _absent = resolve_assignee(session, entry.username)
    if final == entry.username:
        return 0
    substitute = org.get_user(session, final)
    held = list(session.scalars(select(HumanTask).where(HumanTask.claimed_by == entry.username,
                                                        HumanTask.state == "claimed")))
    moved = 0
    for task in held:
        if not (substitute.is_active and may_work(substitute, task)):
            continue
        _hand(session, task, final, "reassigned", entry.username,
              {"from": entry.username, "to": final, "substitute_for": entry.username, "reason": "out_of_office"})
        moved += 1
    return moved


def apply_due(db: Database) -> int:
    """Hand over the held tasks of everyone who is out of office today (cheap when nobody is)."""
    day = today()
    with db.session() as session:
        entries = session.scalars(select(Substitution).where(
            Substitution.cancelled_at.is_(None), Substitution.starts_on <= day, Substitution.ends_on >= day,
            select(HumanTask.id).where(HumanTask.claimed_by == Substitution.username,
                                       HumanTask.state == "claimed").exists())).all()
        return sum(hand_over_held(session, entry) for entry in entries)


def bulk(db: Database, actor: User, task_ids: list[str], action: str, target: str | None = None) -> dict:
    """Claim or reassign several tasks; each succeeds or fails on its own. Returns {task_id: error|None}."""
    results: dict[str, str | None] = {}
    for task_id in task_ids:
        try:
            if action == "claim":
                claim(db, actor, task_id)
            elif action == "reassign":
                assign(db, actor, task_id, target or "", kind="reassigned")
            else:
                raise ServiceError(_("Unknown action."))
            results[task_id] = None
        except ServiceError as exc:
            results[task_id] = exc.message
    return results
