"""What the inbox pages list: a user's tasks and department queue with filters, queue counts, at-risk
flags (tasks.deadline_status), English labels, and a department's workload. Reads the task table only."""
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ... import clock
from ...models import Group, HumanTask, Membership, OPEN_STATES, ProcessInstance, ProcessVersion, User
from ...models.task_search import contains, like_pattern as _like  # noqa: F401 (_like: the case searches)
from ..customers import links as customer_links
from .. import paging
from ..paging import COUNT_CAP
from . import tasks


def filtered_query(user: User, scope: str, *, process: str | None = None, overdue: bool = False,
                   business_key: str | None = None, customer: str | None = None, search: str | None = None):
    query = tasks.inbox_query(user, process=process or None, overdue=overdue or None,
                              business_key=business_key or None, scope=scope)
    if customer:
        query = query.where(contains(HumanTask.customer, customer))
    if search:  # part of a case number: the trigram index (task_search), never a scan of the queue
        query = query.where(contains(HumanTask.business_key, search))
    return query


def labels_for(session: Session, instance_ids: set[int]) -> dict[int, dict]:
    """instance id -> {"name": process name, "en": {element id: English label}} of its version."""
    if not instance_ids:
        return {}
    rows = session.execute(select(ProcessInstance.id, ProcessVersion.name, ProcessVersion.meta)
                           .join(ProcessVersion, ProcessVersion.id == ProcessInstance.version_id)
                           .where(ProcessInstance.id.in_(instance_ids))).all()
    return {r.id: {"name": r.name, "en": ((r.meta or {}).get("labels") or {}).get("en") or {}} for r in rows}


def label(labels: dict, element_id: str, default: str, locale: str) -> str:
    """The English label of an element when the page is in English, else the diagram's own name."""
    if locale == "en":
        return labels.get("en", {}).get(element_id) or default
    return default


def rows(session: Session, user: User, scope: str, locale: str = "zh", limit: int = 500, **filters) -> list[dict]:
    return decorate(session, list(session.scalars(filtered_query(user, scope, **filters).limit(limit))), locale)


def decorate(session: Session, found: list[HumanTask], locale: str) -> list[dict]:
    now = clock.now()
    labels = labels_for(session, {t.instance_id for t in found})
    key_cases = customer_links.key_instance_ids(session, {t.instance_id for t in found})
    out = []
    for task in found:
        info = labels.get(task.instance_id, {})
        row = tasks.task_dict(task, now)
        row.update(
            due=task.due_at, created=task.created_at, waiting=now - task.created_at,
            at_risk=tasks.deadline_status(task, now) == "at_risk", key_customer=task.instance_id in key_cases,
            title=label(info, task.task_name, task.title, locale),
            process_name=label(info, task.process_id, info.get("name") or task.process_id, locale))
        out.append(row)
    return out


def counts(session: Session, user: User) -> dict[str, int | str]:
    """The navigation's counts of my tasks and my departments' queue (every page shows them): counted up
    to COUNT_CAP, past it "10000+", both in one statement."""
    found = paging.counts(session, [tasks.inbox_query(user, scope=scope) for scope in ("mine", "queue")], COUNT_CAP)
    return {scope: f"{COUNT_CAP}+" if n > COUNT_CAP else n for scope, n in zip(("mine", "queue"), found)}


def process_choices(session: Session, user: User) -> list[str]:
    """Process ids that appear in the user's lists (for the filter)."""
    query = tasks.inbox_query(user).order_by(None).with_only_columns(HumanTask.process_id).distinct()
    return sorted(session.scalars(query))


def _active_members(group_code: str, *columns):
    """SELECT of a department's active members by username: the given columns, or the users."""
    return (select(*(columns or (User,))).join(Membership, Membership.user_id == User.id)
            .where(Membership.group_code == group_code, User.is_active.is_(True)).order_by(User.username))


def members(session: Session, group_code: str) -> list[User]:
    return list(session.scalars(_active_members(group_code)))


def workload(session: Session, head: User) -> list[dict]:
    """Per department the head leads: open tasks held by each member (overdue among them) and the
    unclaimed queue (counted up to COUNT_CAP: queue_more / queue_overdue_more say there are more).
    Held tasks are counted per holder in one grouped read of ix_human_tasks_workload (department, state,
    holder, due) alone; the queue and its overdue part in one statement."""
    now = clock.now()
    codes = sorted(head.head_of)
    groups = {g.code: g for g in session.scalars(select(Group).where(Group.code.in_(codes)))} if codes else {}
    out = []
    for code in codes:
        group = groups.get(code)
        staff = session.execute(_active_members(code, User.username, User.display_name)).all()
        held = {holder: (n, late) for holder, n, late in session.execute(
            select(HumanTask.claimed_by, func.count(), func.count(case((HumanTask.due_at < now, 1))))
            .where(HumanTask.group_code == code, HumanTask.state == "claimed")
            .group_by(HumanTask.claimed_by))} if staff else {}
        waiting = select(HumanTask.id).where(HumanTask.group_code == code, HumanTask.state == "ready")
        queued, queue_late = paging.counts(session, [waiting, waiting.where(HumanTask.due_at < now)], COUNT_CAP)
        people = [{"username": m.username, "display_name": m.display_name, "held": n, "overdue": late}
                  for m in staff for n, late in [held.get(m.username, (0, 0))]]
        out.append({"code": code, "name_zh": group.name_zh if group else code,
                    "name_en": group.name_en if group else code, "members": people,
                    "queue": min(queued, COUNT_CAP), "queue_more": queued > COUNT_CAP,
                    "queue_overdue": min(queue_late, COUNT_CAP), "queue_overdue_more": queue_late > COUNT_CAP})
    return out


def department_rows(session: Session, head: User, locale: str = "zh", limit: int = 500) -> list[dict]:
    """Every open task of the departments the head leads (for reassigning)."""
    found = session.scalars(select(HumanTask).where(
        HumanTask.group_code.in_(sorted(head.head_of)), HumanTask.state.in_(OPEN_STATES))
        .order_by(HumanTask.due_at.is_(None), HumanTask.due_at).limit(limit))
    return decorate(session, list(found), locale)
