"""Auditor case search: filters over every case (running, completed, errored - closed cases stay
searchable, nothing is deleted), SLA met/breached, commitment kept/breached, and saved searches shared with a group.

A case breached its SLA when one of its tasks finished (or is still open) after its due date, a deadline
timer attached to one of its tasks fired, it was escalated, or it missed its own commitment deadline (the time is
kept on the case: ProcessInstance.deadline_breached_at)."""
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import Session

from ... import clock
from ...i18n import _
from ...models import AuditEvent, Group, HumanTask, OPEN_STATES, ProcessInstance, ProcessVersion, SavedSearch, User
from ..errors import Forbidden, NotFound, ValidationFailed
from ..paging import Page, PageRequest, paginate
from ..cases.inbox import _like

FILTERS = ("process", "version", "status", "business_key", "customer", "started_from", "started_to",
           "ended_from", "ended_to", "department", "actor", "sla", "commitment")
STATUSES = ("running", "completed", "error")
DATE_FILTERS = ("started_from", "started_to", "ended_from", "ended_to")


def parse_filters(raw) -> dict:
    """Clean filters from a form or query string (a mapping of strings); unknown keys are ignored.
    Raises ValidationFailed naming each bad field."""
    found, errors = {}, {}
    for key in FILTERS:
        value = str(raw.get(key) or "").strip()
        if not value:
            continue
        if key == "version":
            if not value.isdigit():
                errors[key] = _("The version is a whole number.")
                continue
            found[key] = int(value)
        elif key in DATE_FILTERS:
            try:
                found[key] = date.fromisoformat(value).isoformat()
            except ValueError:
                errors[key] = _("Enter a date as YYYY-MM-DD.")
        elif key == "status" and value not in STATUSES:
            errors[key] = _("Unknown status: %(value)s", value=value)
        elif key == "sla" and value not in ("met", "breached"):
            errors[key] = _("Choose met or breached.")
        elif key == "commitment" and value not in ("kept", "breached"):
            errors[key] = _("Choose kept or breached.")
        else:
            found[key] = value[:200]
    if errors:
        raise ValidationFailed(_("Some filters are not valid."), errors)
    return found


def breach_clause(now: datetime):
    """True for a case that missed a deadline (see the module docstring)."""
    late_task = exists().where(HumanTask.instance_id == ProcessInstance.id, HumanTask.due_at.is_not(None),
                               func.coalesce(HumanTask.completed_at, now) > HumanTask.due_at)
    deadline_event = exists().where(
        AuditEvent.instance_id == ProcessInstance.id,
        or_(AuditEvent.event_type == "escalated",
            and_(AuditEvent.event_type == "timer_fired", AuditEvent.data["attached_to"].as_string().is_not(None))))
    return or_(ProcessInstance.deadline_breached_at.is_not(None), late_task, deadline_event)


def _day(value: str, end: bool = False) -> datetime:
    start = datetime.combine(date.fromisoformat(value), datetime.min.time())
    return start + timedelta(days=1) if end else start


def query(filters: dict, now: datetime | None = None):
    now = now or clock.now()
    breached = breach_clause(now)
    q = (select(ProcessInstance, ProcessVersion.version, ProcessVersion.name,
                case((breached, 1), else_=0).label("breached"))
         .join(ProcessVersion, ProcessVersion.id == ProcessInstance.version_id))
    f = filters
    if "process" in f:
        q = q.where(ProcessInstance.process_id == f["process"])
    if "version" in f:
        q = q.where(ProcessVersion.version == f["version"])
    if "status" in f:
        q = q.where(ProcessInstance.status == f["status"])
    if "business_key" in f:
        q = q.where(ProcessInstance.business_key.ilike(_like(f["business_key"]), escape="\\"))
    if "customer" in f:
        q = q.where(ProcessInstance.summary["customer"].as_string().ilike(_like(f["customer"]), escape="\\"))
    for key, column, end in (("started_from", ProcessInstance.started_at, False),
                             ("started_to", ProcessInstance.started_at, True),
                             ("ended_from", ProcessInstance.ended_at, False),
                             ("ended_to", ProcessInstance.ended_at, True)):
        if key in f:
            q = q.where(column < _day(f[key], True)) if end else q.where(column >= _day(f[key]))
    if "department" in f:
        q = q.where(exists().where(HumanTask.instance_id == ProcessInstance.id,
                                   HumanTask.group_code == f["department"]))
    if "actor" in f:
        q = q.where(or_(ProcessInstance.started_by == f["actor"],
                        exists().where(AuditEvent.instance_id == ProcessInstance.id,
                                       AuditEvent.actor == f["actor"])))
    if "sla" in f:
        q = q.where(breached if f["sla"] == "breached" else ~breached)
    if "commitment" in f:  # the case's own commitment deadline (e.g. a complaint's 10/15 days), kept on the case
        missed = ProcessInstance.deadline_breached_at.is_not(None)
        q = q.where(missed if f["commitment"] == "breached" else ~missed)
    return q.order_by(ProcessInstance.started_at.desc(), ProcessInstance.id.desc())


SORTS = {"started": ProcessInstance.started_at, "ended": ProcessInstance.ended_at, "key": ProcessInstance.business_key,
         "process": ProcessInstance.process_id, "status": ProcessInstance.status, "id": ProcessInstance.id}


def search(session: Session, filters: dict, limit: int = 500) -> list[dict]:
    return _rows(session, session.execute(query(filters).limit(limit)).all())


def search_page(session: Session, filters: dict, request: PageRequest) -> Page:
    """One page of the matching cases with the total count (sortable by SORTS)."""
    page = paginate(session, query(filters), request, SORTS, tiebreak=ProcessInstance.id.desc(), scalars=False)
    return page.map(lambda rows: _rows(session, rows))


def _rows(session: Session, rows) -> list[dict]:
    ids = [r.ProcessInstance.id for r in rows]
    current: dict[int, list[tuple[str, str]]] = {}  # (element id, title) of each open task
    if ids:
        for task in session.scalars(select(HumanTask).where(HumanTask.instance_id.in_(ids),
                                                            HumanTask.state.in_(OPEN_STATES))
                                    .order_by(HumanTask.created_at)):
            current.setdefault(task.instance_id, []).append((task.task_name, task.title))
    out = []
    for r in rows:
        inst = r.ProcessInstance
        out.append({"id": inst.id, "process_id": inst.process_id, "process_name": r.name, "version": r.version,
                    "status": inst.status, "business_key": inst.business_key,
                    "customer": (inst.summary or {}).get("customer"), "started_by": inst.started_by,
                    "started_at": inst.started_at, "ended_at": inst.ended_at,
                    "version_id": inst.version_id,
                    "current": [title for _name, title in current.get(inst.id, [])],
                    "current_steps": current.get(inst.id, []), "sla_breached": bool(r.breached),
                    "commitment_breached_at": inst.deadline_breached_at})
    return out


def choices(session: Session) -> dict:
    """Values for the filter form's select lists."""
    return {"processes": list(session.scalars(select(ProcessVersion.process_id).distinct()
                                              .order_by(ProcessVersion.process_id))),
            "groups": list(session.scalars(select(Group).order_by(Group.code))), "statuses": STATUSES}


def save_search(session: Session, user: User, name: str, filters: dict, shared_group: str | None) -> SavedSearch:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("Give the search a name."), {"name": _("Give the search a name.")})
    if shared_group and session.get(Group, shared_group) is None:
        raise ValidationFailed(_("Unknown group: %(code)s", code=shared_group),
                               {"shared_group": _("Unknown group: %(code)s", code=shared_group)})
    saved = SavedSearch(name=name[:200], owner=user.username, shared_group=shared_group or None,
                        params=parse_filters(filters), created_at=clock.now())
    session.add(saved)
    session.flush()
    return saved


def saved_searches(session: Session, user: User) -> list[SavedSearch]:
    """The user's own searches and those shared with one of the user's groups."""
    visible = SavedSearch.owner == user.username
    if user.group_codes:
        visible = or_(visible, SavedSearch.shared_group.in_(user.group_codes))
    return list(session.scalars(select(SavedSearch).where(visible).order_by(SavedSearch.name)))


def delete_search(session: Session, user: User, search_id: int) -> None:
    saved = session.get(SavedSearch, search_id)
    if saved is None:
        raise NotFound(_("No such saved search."))
    if saved.owner != user.username:
        raise Forbidden(_("Only the owner may remove a saved search."))
    session.delete(saved)
