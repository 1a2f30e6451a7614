"""Human tasks: who may see, claim and complete them; the inbox queries (task table only)."""
from datetime import datetime

from sqlalchemy import and_, false, or_, select, tuple_, update
from sqlalchemy.orm import Session, defer, object_session

from ... import clock
from ...db import Database
from ...engine import runner
from ...i18n import _, current_locale
from ...models import HumanTask, OPEN_STATES, ProcessInstance, ProcessVersion, User
from ...settings import number
from ..audit import audit
from ..labels import Labels
from . import limits, refusals, store
from ..modelling import group_fields
from ..errors import Conflict, Forbidden, NotFound, ServiceError
from ..modelling.forms import validate_data
from ..paging import counts, decode_cursor, encode_cursor, merged_rows
from .attachments import check_files
from .cases import OPEN_TASK_ROWS
from .instances import check_not_held, run_step


def may_work(user: User, task: HumanTask) -> bool:
    if task.group_code is None:
        return False
    if task.head_only:
        return task.group_code in user.head_of
    return task.group_code in user.group_codes


def _excluded_by_segregation(session: Session, user: User, task: HumanTask, props: dict,
                             instance: ProcessInstance) -> bool:
    """Segregation of duties: `excludeActorsFrom` names case-data fields holding usernames that may
    not complete this task; `notStarter` = true excludes whoever started the case."""
    data = instance.case_data or {}
    fields = [f.strip() for f in (props.get("excludeActorsFrom") or "").split(",") if f.strip()]
    if any(data.get(f) == user.username for f in fields):
        return True
    return str(props.get("notStarter", "")).lower() == "true" and instance.started_by == user.username


def _check_segregation(session: Session, user: User, task: HumanTask, props: dict,
                       instance: ProcessInstance) -> None:
    if _excluded_by_segregation(session, user, task, props, instance):
        raise Forbidden(_("Segregation of duties: you may not do this task on a case you drafted, "
                          "registered or started."), code="segregation_of_duties")


def get_task(session: Session, task_id: str) -> HumanTask:
    task = session.get(HumanTask, task_id)
    if task is None:
        raise _no_such_task(task_id)
    return task


def _no_such_task(task_id: str) -> NotFound:
    return NotFound(_("No such task: %(id)s", id=task_id))


def _check_may_work(user: User, task: HumanTask):
    if user.has_role("auditor"):
        raise Forbidden(_("Auditors have read-only access: they cannot claim or complete tasks."), code="read_only")
    if not may_work(user, task):
        if task.head_only:
            raise Forbidden(_("Only heads of %(group)s may do this task.", group=_group_name(task)),
                            code="head_only")
        raise Forbidden(_("This task belongs to %(group)s; you are not a member.", group=_group_name(task)),
                        code="not_member")


def _group_name(task: HumanTask) -> str:
    """The task's department by its name in the page language (a refusal never shows a code)."""
    session = object_session(task)
    return Labels(session, current_locale()).group(task.group_code) if session is not None else task.group_code


check_may_work = _check_may_work  # for the other services: raises Forbidden with the reason


def segregation_excludes(session: Session, user: User, task: HumanTask) -> bool:
    """Segregation of duties keeps user from this task (hand-overs and queues ask before offering it)."""
    instance = session.get(ProcessInstance, task.instance_id)
    version = session.get(ProcessVersion, instance.version_id)
    props = version.task_catalog.get(task.task_name, {}).get("properties", {})
    return _excluded_by_segregation(session, user, task, props, instance)


def claim(db: Database, user: User, task_id: str) -> None:
    with db.session() as session:
        task = get_task(session, task_id)
        _check_may_work(user, task)
        instance = session.get(ProcessInstance, task.instance_id)  # no claiming what one may not complete
        check_not_held(instance)
        version = session.get(ProcessVersion, instance.version_id)
        _check_segregation(session, user, task,
                           version.task_catalog.get(task.task_name, {}).get("properties", {}), instance)
        if task.state == "claimed" and task.claimed_by == user.username:
            return
        result = session.execute(update(HumanTask).where(HumanTask.id == task_id, HumanTask.state == "ready")
                                 .values(state="claimed", claimed_by=user.username))
        if result.rowcount != 1:
            session.refresh(task)
            raise Conflict(_("The task was already taken by %(who)s.", who=task.claimed_by or "?"),
                           state=task.state, code="already_claimed")
        audit.record(session, "claimed", instance_id=task.instance_id, actor=user.username, task_id=task_id,
                     element_id=task.task_name)


def _check_may_release(user: User, task: HumanTask) -> None:
    """Someone who is neither the holder, nor a head, nor may work the task is refused before anything
    is said about the task's state."""
    if task.claimed_by != user.username and task.group_code not in user.head_of and not may_work(user, task):
        raise Forbidden(_("Only the holder or a head of the department may release this task."), code="not_holder")


def unclaim(db: Database, user: User, task_id: str) -> None:
    with db.session() as session:
        task = get_task(session, task_id)
        _check_may_release(user, task)
        if task.state != "claimed":
            raise Conflict(_("The task is not claimed."), code="not_claimed")
        if task.claimed_by != user.username and task.group_code not in user.head_of:
            raise Forbidden(_("Only the holder or a head of the department may release this task."),
                            code="not_holder")
        result = session.execute(update(HumanTask).where(HumanTask.id == task_id, HumanTask.state == "claimed",
                                                         HumanTask.claimed_by == task.claimed_by)
                                 .values(state="ready", claimed_by=None))
        if result.rowcount != 1:
            raise Conflict(_("The task changed in the meantime; please reload."))
        audit.record(session, "unclaimed", instance_id=task.instance_id, actor=user.username, task_id=task_id,
                     element_id=task.task_name)


def next_for(user: User, open_tasks: list[HumanTask]) -> list[HumanTask]:
    """Of a case's open tasks, those the user may do next: held by the user, or waiting in a queue of theirs."""
    return [t for t in open_tasks
            if t.claimed_by == user.username or (t.state == "ready" and may_work(user, t))]


def _check_open(task: HumanTask) -> None:
    if task.state not in OPEN_STATES:
        raise Conflict(_("The task was already completed by %(who)s.", who=task.completed_by or "?"),
                       state=task.state, code="already_completed")


class Completion(list):
    """The case's open tasks after a completion (rows with HumanTask's attributes), and `task`: the task
    that was completed, as it was written."""
    task: HumanTask


def complete(db: Database, user: User, task_id: str, data: dict, retries: int = 5) -> Completion:
    """Complete the task; returns the case's open tasks after the step (next_for picks the user's) and the
    completed task, so a caller answers "done, and what now" without reading again."""
    limits.check_case_data(data)
    held = {}

    def locate(session):
        """The task's row locked (SELECT … FOR UPDATE: a concurrent claim or hand-over waits, then sees the
        outcome) and its case read with one statement, in the step's transaction."""
        found = session.execute(select(HumanTask, ProcessInstance)
                                .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
                                .where(HumanTask.id == task_id).with_for_update(of=HumanTask)
                                .options(defer(ProcessInstance.state))).first()  # read only to reload the case
        if found is None:
            raise _no_such_task(task_id)
        held["task"], held["case"] = found  # held: the session's identity map keeps objects weakly
        return found[0].instance_id

    def step(session, instance, version, live):
        task = held["task"]
        _check_open(task)
        _check_may_work(user, task)
        if task.state == "claimed" and task.claimed_by != user.username:
            raise Conflict(_("The task is held by %(who)s.", who=task.claimed_by), code="already_claimed")
        props = version.task_catalog.get(task.task_name, {}).get("properties", {})
        _check_segregation(session, user, task, props, instance)
        if task.form_ref:
            validate_data(version.schema(task.form_ref), data)
            check_files(session, version.schema(task.form_ref), data, instance_id=instance.id,
                        parent_id=instance.parent_instance_id)
        group_fields.check_submitted(store.cached_group_index(session), version.task_catalog, data)
        refusals.check(live, task_id, props, data)
        submitted = dict(data)
        if props.get("recordActorAs"):  # the case remembers who did this step (for excludeActorsFrom)
            submitted[props["recordActorAs"]] = user.username
        try:
            runner.complete(live, task_id, submitted)
        except runner.EngineError as exc:  # kept with the incident, so that an operator can re-run it
            exc.replay = {"task_id": task_id, "actor": user.username, "submitted": data, "data": submitted}
            raise
        except runner.TaskNotReady:  # SQLite (no row lock): someone completed it since it was read
            session.refresh(task)
            _check_open(task)
            raise Conflict(_("The task is no longer waiting to be done."), code="task_not_waiting")
        task.state = "completed"
        task.claimed_by = task.claimed_by or user.username
        task.completed_by = user.username
        task.completed_at = clock.now()
        return {"id": task_id, "element_id": task.task_name, "data": data}

    # the case's open tasks as the step left them, read with its writes
    answer = Completion(run_step(db, None, step, actor=user.username, retries=retries, locate=locate,
                                 read=OPEN_TASK_ROWS))
    answer.task = held["task"]
    return answer


def deadline_status(task: HumanTask, now=None, share: float | None = None) -> str:
    """"overdue" past the due time, "at_risk" once the share AT_RISK_SHARE (default 0.75) of the time between
    the task's creation and its due time is used, else "ok" (also for tasks without due time or closed)."""
    if task.due_at is None or task.state not in OPEN_STATES:
        return "ok"
    now = now or clock.now()
    if task.due_at < now:
        return "overdue"
    share = number("AT_RISK_SHARE") if share is None else share
    allowed = (task.due_at - task.created_at).total_seconds()
    return "at_risk" if (now - task.created_at).total_seconds() >= share * allowed else "ok"


def task_dict(task: HumanTask, now=None) -> dict:
    now = now or clock.now()
    return {
        "id": task.id, "instance_id": task.instance_id, "process_id": task.process_id,
        "business_key": task.business_key, "task_name": task.task_name, "title": task.title,
        "lane": task.lane, "group": task.group_code, "head_only": task.head_only, "state": task.state,
        "due_at": clock.iso(task.due_at), "due_provisional": bool(task.due_provisional),
        "case_due_at": clock.iso(task.case_due_at),
        "overdue": bool(task.due_at and task.due_at < now and task.state in OPEN_STATES),
        "claimed_by": task.claimed_by, "form": task.form_ref, "customer": task.customer,
        "created_at": clock.iso(task.created_at),
        "completed_at": clock.iso(task.completed_at),
        "completed_by": task.completed_by,
    }


def inbox_query(user: User, *, process: str | None = None, state: str | None = None,
                overdue: bool | None = None, business_key: str | None = None, scope: str = "all"):
    """Open tasks the user holds and unclaimed tasks of the user's groups, earliest due first."""
    mine = HumanTask.claimed_by == user.username
    heads = sorted(user.head_of)
    members = sorted(set(user.group_codes) - set(heads))  # a head sees every task of the group anyway
    # only the parts that can match, so a one-group queue reads ix_human_tasks_queue_order in due order
    parts = ([and_(HumanTask.group_code.in_(members), HumanTask.head_only.is_(False))] if members else []) \
        + ([HumanTask.group_code.in_(heads)] if heads else [])
    queue = and_(HumanTask.state == "ready", or_(*parts) if parts else false())
    where = {"mine": mine, "queue": queue}.get(scope, or_(mine, queue))
    query = select(HumanTask).where(HumanTask.state.in_(OPEN_STATES), where)
    if process:
        query = query.where(HumanTask.process_id == process)
    if state:
        if state not in OPEN_STATES:
            raise ServiceError(_("Unknown state filter: %(state)s", state=state))
        query = query.where(HumanTask.state == state)
    if business_key:
        query = query.where(HumanTask.business_key == business_key)
    if overdue:  # no task without a due date is left: order as the (group, state, due) index does
        return query.where(HumanTask.due_at < clock.now()).order_by(HumanTask.due_at, HumanTask.created_at,
                                                                     HumanTask.id)
    return query.order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at, HumanTask.id)


def inbox_key(task: HumanTask) -> tuple:
    """The position of a task in the inbox order: due time (none last), creation time, id."""
    return (task.due_at, task.created_at, task.id)


def _inbox_order(task: HumanTask):
    return (task.due_at is None, task.due_at or task.created_at, task.created_at, task.id)


def _inbox_sql_order(task) -> list:
    """The inbox order in SQL (of HumanTask or the columns of a union of its rows): due time (none last), creation
    time, id."""
    return [task.due_at.is_(None), task.due_at, task.created_at, task.id]


INBOX_CURSOR = (datetime, datetime, str)


def inbox_cursor(task: HumanTask) -> str:
    """The opaque cursor of the page that follows this task (GET /api/v1/tasks?cursor=, the pages' next link)."""
    return encode_cursor(inbox_key(task))


def read_inbox_cursor(text: str, name: str = "cursor") -> tuple:
    """The inbox key a cursor names (a 400 naming the parameter when it is not one)."""
    return decode_cursor(text, INBOX_CURSOR, name, nullable=(0,))


def _keyset_parts(query, after: tuple | None, states: tuple[str, ...] = ()) -> list:
    """The (unordered) inbox query from the key `after` on (None: from the start) as parts each read in index
    order: tasks with a due time by (due, created, id), then those without by (created, id); each part walks
    ix_human_tasks_keyset (group, state, due, created, id) or ix_human_tasks_held (holder, state, due,
    created, id) from the cursor on, whatever the page number (the redundant >= lets every planner start
    the range there). With several states, each state is a part of its own: an index is in order within
    one state only."""
    due, created, task_id = after or (None, None, None)
    parts = []
    for state in states if len(states) > 1 else (None,):
        within = query if state is None else query.where(HumanTask.state == state)
        if after is None or due is not None:
            dated = within.where(HumanTask.due_at.is_not(None))
            if after is not None:
                dated = dated.where(HumanTask.due_at >= due, tuple_(HumanTask.due_at, HumanTask.created_at,
                                                                    HumanTask.id) > tuple_(due, created, task_id))
            parts.append(dated.order_by(HumanTask.due_at, HumanTask.created_at, HumanTask.id))
        undated = within.where(HumanTask.due_at.is_(None))
        if after is not None and due is None:
            undated = undated.where(HumanTask.created_at >= created,
                                    tuple_(HumanTask.created_at, HumanTask.id) > tuple_(created, task_id))
        parts.append(undated.order_by(HumanTask.created_at, HumanTask.id))
    return parts


def rows_after(session: Session, query, limit: int, after: tuple | None,
               states: tuple[str, ...] = ()) -> list[HumanTask]:
    """Up to `limit` rows of the (unordered) inbox query following the key `after` (None: from the start),
    in inbox order: the index-ordered parts (_keyset_parts) read and merged in one statement."""
    return merged_rows(session, _keyset_parts(query, after, states), limit, _inbox_sql_order)


def inbox_page(session: Session, user: User, limit: int = 200, offset: int = 0, after: tuple | None = None,
               **filters) -> list[HumanTask]:
    """One page of the inbox, from an offset, or (keyset paging) after the inbox key `after` of the last
    task of the previous page. The first page and every keyset page are read in index order from their
    start position. Held tasks OR the queue is read as index-ordered parts merged in one statement: one
    OR-ed query would have to sort every matching row, which grows with the department's queue."""
    scope = filters.get("scope", "all")
    scopes = (scope,) if scope in ("mine", "queue") else ("mine", "queue")
    if offset and after is None:
        if len(scopes) == 1:
            return list(session.scalars(inbox_query(user, **filters).limit(limit).offset(offset)))
        wanted = offset + limit
        parts = [session.scalars(inbox_query(user, **{**filters, "scope": s}).limit(wanted)).all() for s in scopes]
        merged = sorted({t.id: t for part in parts for t in part}.values(), key=_inbox_order)
        return merged[offset:offset + limit]
    parts = [part for s in scopes for part in _keyset_parts(
        inbox_query(user, **{**filters, "scope": s}).order_by(None), after,
        () if s == "queue" or filters.get("state") else OPEN_STATES)]
    return merged_rows(session, parts, limit, _inbox_sql_order, distinct=len(scopes) > 1)


def inbox_count(session: Session, user: User, cap: int | None = None, **filters) -> int:
    """How many tasks the inbox matches: held and queued counted apart in one statement (each from its
    index; a waiting task has no holder, so they never overlap); with cap, each part up to cap + 1."""
    scope = filters.get("scope", "all")
    scopes = (scope,) if scope in ("mine", "queue") else ("mine", "queue")
    return sum(counts(session, [inbox_query(user, **{**filters, "scope": s}) for s in scopes], cap))


def list_tasks(session: Session, user: User, limit: int = 200, offset: int = 0, after: tuple | None = None,
               **filters) -> list[dict]:
    now = clock.now()
    return [task_dict(t, now) for t in inbox_page(session, user, limit, offset, after, **filters)]


def may_view(user: User, task: HumanTask) -> bool:
    return may_work(user, task) or task.claimed_by == user.username or task.completed_by == user.username \
        or user.has_role("auditor") or task.group_code in user.head_of
