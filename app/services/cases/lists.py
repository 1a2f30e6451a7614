"""The inbox lists as pages (server-side pagination, sortable columns, filters from the URL): my tasks,
my departments' queue, a head's open department tasks, the cases a user started."""
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import HumanTask, OPEN_STATES, ProcessInstance, User
from ..paging import Page, PageRequest, paginate
from . import inbox, tasks

# URL sort key -> column
TASK_SORTS = {"due": HumanTask.due_at, "key": HumanTask.business_key, "process": HumanTask.process_id,
              "task": HumanTask.title, "customer": HumanTask.customer, "waiting": HumanTask.created_at,
              "holder": HumanTask.claimed_by}
CASE_SORTS = {"started": ProcessInstance.started_at, "key": ProcessInstance.business_key,
              "process": ProcessInstance.process_id, "status": ProcessInstance.status}


def task_page(session: Session, user: User, scope: str, request: PageRequest, locale: str = "zh",
              **filters) -> Page:
    """One page of my tasks (scope "mine") or my departments' queue ("queue"), labelled."""
    query = inbox.filtered_query(user, scope, **filters)
    page = paginate(session, query, request, TASK_SORTS, tiebreak=HumanTask.id)

    def rows(found):
        decorated = inbox.decorate(session, found, locale)
        for task, row in zip(found, decorated):  # in the queue, not offered to whom segregation excludes
            row["claim_refused"] = task.state == "ready" and tasks.segregation_excludes(session, user, task)
        return decorated
    return page.map(rows)


def department_page(session: Session, head: User, request: PageRequest, locale: str = "zh",
                    group: str = "", holder: str = "") -> Page:
    """Open tasks of the departments the head leads (filter by department and holder; "-" = the queue)."""
    groups = sorted(head.head_of & {group}) if group else sorted(head.head_of)
    query = select(HumanTask).where(HumanTask.group_code.in_(groups), HumanTask.state.in_(OPEN_STATES))
    if holder == "-":
        query = query.where(HumanTask.claimed_by.is_(None))
    elif holder:
        query = query.where(HumanTask.claimed_by == holder)
    query = query.order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.id)
    page = paginate(session, query, request, TASK_SORTS, tiebreak=HumanTask.id)
    return page.map(lambda found: inbox.decorate(session, found, locale))


def started_page(session: Session, user: User, request: PageRequest, status: str = "") -> Page:
    """The cases the user started, newest first by default."""
    query = select(ProcessInstance).where(ProcessInstance.started_by == user.username)
    if status:
        query = query.where(ProcessInstance.status == status)
    query = query.order_by(ProcessInstance.id.desc())
    return paginate(session, query, request, CASE_SORTS, tiebreak=ProcessInstance.id.desc())
