"""Finding cases: the case list of the JSON API and the search box in the page header.

Filters: process, status, business key, customer, who started it, started/ended between, parent case, free
text (`q`: case number, business key, customer, and every field a process declares searchable), and any
field a process declares searchable by name (`data[contract_no]=…`).

A process declares its searchable fields with the start-event property ``searchFields`` (comma list of
case-data field names, e.g. ``contract_no, order_no, licence_no``): the reference numbers people quote on the
phone. A new complaint is found by its customer or its order number before Quality gives it a number.

Only cases the caller may see are listed (the rule of the case page, cases.may_view): product readers see
every case; others the cases they started and those their departments or they themselves work on. A
service account sees the processes its read scope names."""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import exists, false, func, or_, select, true
from sqlalchemy.orm import Session

from ... import clock
from ...i18n import _
from ...models import HumanTask, OPEN_STATES, ProcessInstance, ProcessVersion, Timer, User
from ...workcalendar import CHINA_OFFSET
from ..errors import ServiceError
from ..labels import Labels, status_labels
from ..paging import Page, PageRequest, paginate
from .cases import READ_ALL_ROLES
from .inbox import _like
from .tasks import inbox_query

STATUSES = ("running", "completed", "error", "suspended", "cancelled")
SEARCH_PROPERTY = "searchFields"
MAX_LIMIT = 200


class BadParameter(ServiceError):
    """A query parameter the listing does not know, or a value it cannot use (400, naming the parameter)."""

    def __init__(self, name: str, message: str, code: str = "invalid_parameter"):
        super().__init__(message, code=code, parameter=name)


@dataclass
class CaseFilters:
    process: str | None = None
    status: str | None = None
    business_key: str | None = None
    customer: str | None = None
    started_by: str | None = None
    started_from: datetime | None = None
    started_to: datetime | None = None
    ended_from: datetime | None = None
    ended_to: datetime | None = None
    parent: int | None = None
    q: str | None = None
    data: dict[str, str] = field(default_factory=dict)


SIMPLE = ("process", "business_key", "customer", "started_by", "q")
TIMES = ("started_from", "started_to", "ended_from", "ended_to")


def parse_time(name: str, raw: str, end: bool) -> datetime:
    """A China date (YYYY-MM-DD: the whole day, in China time) or an ISO 8601 time with offset, as naive UTC."""
    raw = raw.strip()
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            start = datetime.combine(day, datetime.min.time()) - CHINA_OFFSET
            return start + timedelta(days=1) if end else start
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise BadParameter(name, _("%(name)s must be a date (YYYY-MM-DD) or a time with its offset "
                                   "(2026-11-28T09:00:00+08:00).", name=name))
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def whole_number(name: str, raw: str, minimum: int = 0, maximum: int | None = None) -> int:
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum or (maximum is not None and value > maximum):
        if maximum is None:
            raise BadParameter(name, _("%(name)s must be a whole number of at least %(min)s.", name=name,
                                       min=minimum))
        raise BadParameter(name, _("%(name)s must be a whole number from %(min)s to %(max)s.", name=name,
                                   min=minimum, max=maximum))
    return value


def searchable_fields(session: Session) -> dict[str, list[str]]:
    """process id -> the case-data fields its published versions declare searchable (start property)."""
    out: dict[str, list[str]] = {}
    for process_id, meta in session.execute(select(ProcessVersion.process_id, ProcessVersion.meta)):
        props = ((meta or {}).get("start") or {}).get("properties") or {}
        for name in str(props.get(SEARCH_PROPERTY) or "").split(","):
            name = name.strip()
            if name and name not in out.setdefault(process_id, []):
                out[process_id].append(name)
    return out


def parse_filters(session: Session, args, extra: tuple[str, ...] = ()) -> CaseFilters:
    """CaseFilters from a query string (a MultiDict). Unknown parameters and bad values are a 400 naming
    the parameter; `extra` names parameters the caller reads itself (limit, offset)."""
    filters = CaseFilters()
    searchable = None
    for name in args:
        values = args.getlist(name)
        if len(values) > 1:
            raise BadParameter(name, _("%(name)s is given more than once.", name=name))
        raw = values[0].strip()
        if name in extra:
            continue
        if name.startswith("data[") and name.endswith("]"):
            key = name[5:-1]
            if searchable is None:
                searchable = {f for fields in searchable_fields(session).values() for f in fields}
            if key not in searchable:
                raise BadParameter(name, _("%(name)s: no process declares %(field)s searchable.", name=name, field=key),
                                   code="unknown_parameter")
            if raw:
                filters.data[key] = raw[:200]
        elif name in SIMPLE:
            setattr(filters, name, raw[:200] or None)
        elif name == "status":
            if raw and raw not in STATUSES:
                raise BadParameter(name, _("%(name)s: unknown value %(value)s (one of %(choices)s)", name=name,
                                           value=raw, choices=", ".join(STATUSES)))
            filters.status = raw or None
        elif name in TIMES:
            setattr(filters, name, parse_time(name, raw, name.endswith("_to")) if raw else None)
        elif name == "parent":
            filters.parent = whole_number(name, raw, 1, 2**31 - 1) if raw else None
        else:
            raise BadParameter(name, _("Unknown query parameter: %(name)s", name=name), code="unknown_parameter")
    return filters


def visible_clause(user: User, read_processes: set[str] | None = None):
    """The cases the user may see (as cases.may_view, as one SQL condition). read_processes: a service
    account's read scope."""
    if read_processes is not None:
        return or_(ProcessInstance.process_id.in_(sorted(read_processes)),
                   ProcessInstance.started_by == user.username)
    if any(user.has_role(r) for r in READ_ALL_ROLES):
        return true()
    works_on = exists().where(HumanTask.instance_id == ProcessInstance.id,
                              or_(HumanTask.group_code.in_(sorted(user.group_codes)) if user.group_codes
                                  else false(),
                                  HumanTask.claimed_by == user.username, HumanTask.completed_by == user.username))
    return or_(ProcessInstance.started_by == user.username, works_on)


def _data_field(name: str):
    return ProcessInstance.case_data[name].as_string()


def _text_clause(session: Session, text: str):
    """Free text: the case number, or part of the business key, the customer or a searchable field."""
    like = _like(text)
    parts = [ProcessInstance.business_key.ilike(like, escape="\\"),
             ProcessInstance.summary["customer"].as_string().ilike(like, escape="\\")]
    stripped = text.lstrip("#")
    if stripped.isdigit() and int(stripped) < 2**31:
        parts.append(ProcessInstance.id == int(stripped))
    for process_id, fields in searchable_fields(session).items():
        parts += [(ProcessInstance.process_id == process_id) & _data_field(f).ilike(like, escape="\\")
                  for f in fields]
    return or_(*parts)


def query(session: Session, user: User, filters: CaseFilters, read_processes: set[str] | None = None):
    q = select(ProcessInstance).where(visible_clause(user, read_processes))
    f = filters
    if f.process:
        q = q.where(ProcessInstance.process_id == f.process)
    if f.status:
        q = q.where(ProcessInstance.status == f.status)
    if f.business_key:
        q = q.where(ProcessInstance.business_key == f.business_key)
    if f.customer:
        q = q.where(ProcessInstance.summary["customer"].as_string().ilike(_like(f.customer), escape="\\"))
    if f.started_by:
        q = q.where(ProcessInstance.started_by == f.started_by)
    if f.started_from:
        q = q.where(ProcessInstance.started_at >= f.started_from)
    if f.started_to:
        q = q.where(ProcessInstance.started_at < f.started_to)
    if f.ended_from:
        q = q.where(ProcessInstance.ended_at >= f.ended_from)
    if f.ended_to:
        q = q.where(ProcessInstance.ended_at < f.ended_to)
    if f.parent:
        q = q.where(ProcessInstance.parent_instance_id == f.parent)
    for name, value in f.data.items():
        q = q.where(_data_field(name) == value)
    if f.q:
        q = q.where(_text_clause(session, f.q))
    return q


def find(session: Session, user: User, filters: CaseFilters, *, limit: int = 50, offset: int = 0,
         read_processes: set[str] | None = None) -> tuple[list[ProcessInstance], int]:
    """One page of matching cases, newest first, and how many match in all."""
    q = query(session, user, filters, read_processes)
    total = session.scalar(select(func.count()).select_from(q.order_by(None).subquery()))
    rows = list(session.scalars(q.order_by(ProcessInstance.id.desc()).limit(limit).offset(offset)))
    return rows, total


def case_items(session: Session, instances: list[ProcessInstance], locale: str) -> list[dict]:
    """The list form of cases: process name, status with its label, business key, customer, current tasks
    with their departments and due times, and the case's own deadlines (its waiting timers)."""
    names = Labels(session, locale)
    ids = [i.id for i in instances]
    tasks: dict[int, list] = {}
    deadlines: dict[int, list] = {}
    children: dict[int, int] = {}
    if ids:
        for t in session.scalars(select(HumanTask).where(HumanTask.instance_id.in_(ids),
                                                         HumanTask.state.in_(OPEN_STATES))
                                 .order_by(HumanTask.created_at, HumanTask.id)):
            tasks.setdefault(t.instance_id, []).append(t)
        for timer in session.scalars(select(Timer).where(Timer.instance_id.in_(ids), Timer.state == "waiting",
                                                         Timer.due_at.is_not(None))
                                     .order_by(Timer.due_at)):
            deadlines.setdefault(timer.instance_id, []).append(timer)
        for parent, count in session.execute(select(ProcessInstance.parent_instance_id, func.count())
                                             .where(ProcessInstance.parent_instance_id.in_(ids))
                                             .group_by(ProcessInstance.parent_instance_id)):
            children[parent] = count
    statuses = status_labels()
    numbers = dict(session.execute(select(ProcessVersion.id, ProcessVersion.version)
                                   .where(ProcessVersion.id.in_({i.version_id for i in instances}))).all()) \
        if ids else {}
    out = []
    for inst in instances:
        vid = inst.version_id
        out.append({
            "id": inst.id, "process_id": inst.process_id, "process_name": names.process(inst.process_id, vid),
            "version": numbers.get(vid),
            "status": inst.status, "status_label": statuses.get(inst.status, inst.status),
            "business_key": inst.business_key, "customer": (inst.summary or {}).get("customer"),
            "started_by": inst.started_by, "started_at": clock.iso(inst.started_at),
            "ended_at": clock.iso(inst.ended_at), "parent_instance_id": inst.parent_instance_id,
            "child_count": children.get(inst.id, 0),
            "current_tasks": [task_summary(names, vid, t) for t in tasks.get(inst.id, [])],
            "deadlines": [deadline_item(names, vid, t) for t in deadlines.get(inst.id, [])],
        })
    return out


def task_summary(names: Labels, version_id: int, task: HumanTask) -> dict:
    return {"id": task.id, "element_id": task.task_name, "title": names.element(version_id, task.task_name, task.title),
            "group": task.group_code, "group_name": names.group(task.group_code) if task.group_code else None,
            "head_only": task.head_only, "state": task.state, "claimed_by": task.claimed_by,
            "due_at": clock.iso(task.due_at)}


def deadline_item(names: Labels, version_id: int, timer: Timer) -> dict:
    """A case deadline: a timer the case waits for (e.g. the customer commitment of a complaint)."""
    return {"element_id": timer.element_id, "label": names.element(version_id, timer.element_id, timer.element_id),
            "due_at": clock.iso(timer.due_at), "attached_to": timer.attached_to,
            "overdue": bool(timer.due_at and timer.due_at < clock.now())}


def case_deadlines(session: Session, instance_ids: set[int], locale: str) -> dict[int, list[dict]]:
    """instance id -> its deadlines (for task lists, which carry the case's deadlines beside the task's)."""
    if not instance_ids:
        return {}
    names = Labels(session, locale)
    timers = list(session.scalars(select(Timer).where(Timer.instance_id.in_(sorted(instance_ids)),
                                                      Timer.state == "waiting", Timer.due_at.is_not(None))
                                  .order_by(Timer.due_at)))
    version_of = dict(session.execute(select(ProcessInstance.id, ProcessInstance.version_id)
                                      .where(ProcessInstance.id.in_(sorted(instance_ids)))).all())
    out: dict[int, list[dict]] = {i: [] for i in instance_ids}
    for timer in timers:
        out[timer.instance_id].append(deadline_item(names, version_of.get(timer.instance_id), timer))
    return out


def children(session: Session, user: User, instance_id: int, locale: str,
             read_processes: set[str] | None = None) -> list[dict]:
    """The linked child cases of a case that the user may see."""
    rows = list(session.scalars(select(ProcessInstance).where(ProcessInstance.parent_instance_id == instance_id,
                                                              visible_clause(user, read_processes))
                                .order_by(ProcessInstance.id)))
    return case_items(session, rows, locale)


TASK_STATES = ("ready", "claimed", "completed", "cancelled")


def case_tasks(session: Session, instance_id: int, state: str | None, limit: int, offset: int):
    """One page of a case's tasks (open and finished), in the order they arose, and their total."""
    q = select(HumanTask).where(HumanTask.instance_id == instance_id)
    if state:
        q = q.where(HumanTask.state == state)
    total = session.scalar(select(func.count()).select_from(q.subquery()))
    rows = list(session.scalars(q.order_by(HumanTask.created_at, HumanTask.id).limit(limit).offset(offset)))
    return rows, total


def inbox_total(session: Session, user: User, **filters) -> int:
    """How many tasks the inbox query matches (the caller's tasks and the queues of the caller's groups)."""
    q = inbox_query(user, **filters)
    return session.scalar(select(func.count()).select_from(q.order_by(None).subquery()))


SEARCH_SORTS = {"started": ProcessInstance.started_at, "key": ProcessInstance.business_key,
                "process": ProcessInstance.process_id}


def search_page(session: Session, user: User, text: str, req: PageRequest, locale: str) -> tuple[Page, list[dict]]:
    """The header search: one page of the cases matching the text (case number, business key, customer,
    searchable reference numbers) and the open tasks of those cases the user may take or holds."""
    text = (text or "").strip()[:200]
    if not text:
        return Page([], 0, 1, req.size, req.sort, req.direction), []
    q = query(session, user, CaseFilters(q=text)).order_by(ProcessInstance.id.desc())
    page = paginate(session, q, req, SEARCH_SORTS, tiebreak=ProcessInstance.id.desc()).map(
        lambda rows: case_items(session, rows, locale))
    mine = [dict(t, instance_id=item["id"], business_key=item["business_key"], process_name=item["process_name"])
            for item in page.items for t in item["current_tasks"]
            if t["claimed_by"] == user.username or (t["claimed_by"] is None and t["group"] in user.group_codes
                                                    and (not t["head_only"] or t["group"] in user.head_of))]
    return page, mine

