"""The inbox lists as pages (server-side pagination, sortable columns, filters from the URL): my tasks,
my departments' queue, a head's open department tasks, the cases a user started."""
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import HumanTask, OPEN_STATES, ProcessInstance, ProcessVersion, User
from ..paging import COUNT_CAP, Page, PageRequest, count, paginate
from . import inbox, tasks

# URL sort key -> column
TASK_SORTS = {"due": (HumanTask.due_at, HumanTask.created_at), "key": HumanTask.business_key, "process": HumanTask.process_id,
              "task": HumanTask.title, "customer": HumanTask.customer, "waiting": HumanTask.created_at,
              "holder": HumanTask.claimed_by}
CASE_SORTS = {"started": ProcessInstance.started_at, "key": ProcessInstance.business_key,
              "process": ProcessInstance.process_id, "status": ProcessInstance.status}


def task_page(session: Session, user: User, scope: str, request: PageRequest, locale: str = "zh",
              **filters) -> Page:
    """One page of my tasks (scope "mine") or my departments' queue ("queue"), labelled."""
    page = _task_list_page(session, inbox.filtered_query(user, scope, **filters), request,
                           () if scope == "queue" else OPEN_STATES)

    def rows(found):
        decorated = inbox.decorate(session, found, locale)
        ruled = _segregated(session, found)
        for task, row in zip(found, decorated):  # in the queue, not offered to whom segregation excludes
            row["claim_refused"] = task.state == "ready" and task.id in ruled \
                and tasks.segregation_excludes(session, user, task)
        return decorated
    return page.map(rows)


def _task_list_page(session: Session, query, request: PageRequest, states: tuple[str, ...] = ()) -> Page:
    """A page of a task list. In the default order (due, ascending) the first page and every page reached by
    "next" are read after request.cursor (keyset); the next link carries the cursor of the page's last row
    (page.extra["next_cursor"]), so page 100 costs what page 1 costs; the total is counted up to COUNT_CAP
    (beyond it: "10,000+"). Numbered pages and other sorts are read by offset and counted exactly."""
    if request.sort != "due" or request.direction != "asc" or not (request.cursor or request.page == 1):
        return paginate(session, query, request, TASK_SORTS, tiebreak=HumanTask.id)
    after = tasks.read_inbox_cursor(request.cursor) if request.cursor else None
    found = tasks.rows_after(session, query.order_by(None), request.size + 1, after, states)
    extra = {"next_cursor": tasks.inbox_cursor(found[request.size - 1])} if len(found) > request.size else {}
    total = count(session, query, cap=COUNT_CAP)
    if total > COUNT_CAP:
        total, extra["more"] = COUNT_CAP, True
    return Page(found[:request.size], total, request.page, request.size, request.sort, request.direction, extra)


def department_page(session: Session, head: User, request: PageRequest, locale: str = "zh",
                    group: str = "", holder: str = "") -> Page:
    """Open tasks of the departments the head leads (filter by department and holder; "-" = the queue)."""
    page = _task_list_page(session, department_query(head, group, holder), request, OPEN_STATES)
    return page.map(lambda found: inbox.decorate(session, found, locale))


def department_query(head: User, group: str = "", holder: str = ""):
    groups = sorted(head.head_of & {group}) if group else sorted(head.head_of)
    query = select(HumanTask).where(HumanTask.group_code.in_(groups), HumanTask.state.in_(OPEN_STATES))
    if holder == "-":
        query = query.where(HumanTask.claimed_by.is_(None))
    elif holder:
        query = query.where(HumanTask.claimed_by == holder)
    return query.order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at, HumanTask.id)


def started_page(session: Session, user: User, request: PageRequest, status: str = "") -> Page:
    """The cases the user started, newest first by default."""
    query = select(ProcessInstance).where(ProcessInstance.started_by == user.username)
    if status:
        query = query.where(ProcessInstance.status == status)
    query = query.order_by(ProcessInstance.id.desc())
    return paginate(session, query, request, CASE_SORTS, tiebreak=ProcessInstance.id.desc())


def _segregated(session: Session, found: list[HumanTask]) -> set[str]:
    """Ids of the tasks whose step carries a segregation rule (excludeActorsFrom, notStarter): only those
    need their case read (one query for the page's versions instead of a case load per row)."""
    waiting = [t for t in found if t.state == "ready"]
    if not waiting:
        return set()
    version_of = dict(session.execute(select(ProcessInstance.id, ProcessInstance.version_id).where(
        ProcessInstance.id.in_({t.instance_id for t in waiting}))).all())
    catalogs = dict(session.execute(select(ProcessVersion.id, ProcessVersion.task_catalog).where(
        ProcessVersion.id.in_(set(version_of.values())))).all())
    ruled = set()
    for task in waiting:
        props = ((catalogs.get(version_of.get(task.instance_id)) or {}).get(task.task_name) or {}).get("properties") or {}
        if props.get("excludeActorsFrom") or str(props.get("notStarter", "")).lower() == "true":
            ruled.add(task.id)
    return ruled
