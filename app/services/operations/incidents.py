"""Incidents: every case in error, grouped the way operators triage them (same process version, element and
message), with the process name, element title, how many cases share it and since when."""
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...models import AuditEvent, ProcessInstance, ProcessVersion, User
from ..labels import Labels
from ..paging import Page, PageRequest, from_list
from .control import check_operator

# events after which an earlier failure is behind the case (a step went through)
_SUCCESS = ("instance_started", "completed", "timer_fired", "retried", "skipped", "moved", "migrated")
SORTS = {"count": None, "since": None, "process": None}


def _since(session: Session, instance_ids: list[int]) -> dict[int, object]:
    """Per case: when its current failure began (the first error after its last successful step)."""
    if not instance_ids:
        return {}
    last_ok = (select(AuditEvent.instance_id, func.max(AuditEvent.id).label("ok_id"))
               .where(AuditEvent.instance_id.in_(instance_ids), AuditEvent.event_type.in_(_SUCCESS))
               .group_by(AuditEvent.instance_id).subquery())
    rows = session.execute(
        select(AuditEvent.instance_id, func.min(AuditEvent.at))
        .outerjoin(last_ok, last_ok.c.instance_id == AuditEvent.instance_id)
        .where(AuditEvent.instance_id.in_(instance_ids), AuditEvent.event_type == "error",
               AuditEvent.id > func.coalesce(last_ok.c.ok_id, 0))
        .group_by(AuditEvent.instance_id)).all()
    return dict(rows)


def _rows(session: Session, process_id: str | None):
    query = (select(ProcessInstance.id, ProcessInstance.process_id, ProcessInstance.version_id,
                    ProcessInstance.business_key, ProcessInstance.error_element, ProcessInstance.error_message,
                    ProcessVersion.version)
             .join(ProcessVersion, ProcessVersion.id == ProcessInstance.version_id)
             .where(ProcessInstance.status == "error").order_by(ProcessInstance.id))
    if process_id:
        query = query.where(ProcessInstance.process_id == process_id)
    return session.execute(query).all()


def groups(session: Session, user: User, request: PageRequest | None = None, locale: str = "zh",
           process_id: str | None = None) -> Page:
    """One page of incident groups, largest first (or by `since` / process)."""
    check_operator(user, process_id)
    request = request or PageRequest(sort="count", direction="desc")
    rows = _rows(session, process_id)
    since = _since(session, [r.id for r in rows])
    labels = Labels(session, locale)
    found: dict[tuple, dict] = {}
    for r in rows:
        key = (r.version_id, r.error_element or "", r.error_message or "")
        group = found.get(key)
        if group is None:
            group = found[key] = {
                "key": f"{r.version_id}:{r.error_element or ''}:{len(found)}",
                "process_id": r.process_id, "process_name": labels.process(r.process_id, r.version_id),
                "version": r.version, "version_id": r.version_id, "element_id": r.error_element or "",
                "element_title": labels.element(r.version_id, r.error_element) if r.error_element else "",
                "message": r.error_message or "", "count": 0, "since": None, "instances": []}
        group["count"] += 1
        at = since.get(r.id)
        group["instances"].append({"id": r.id, "business_key": r.business_key, "since": at})
        if at is not None and (group["since"] is None or at < group["since"]):
            group["since"] = at
    items = list(found.values())
    for group in items:
        group["instance_ids"] = [i["id"] for i in group["instances"]]
    keys = {"count": lambda g: (g["count"], g["process_id"]),
            "since": lambda g: (g["since"] is None, g["since"] or 0),
            "process": lambda g: (g["process_name"], g["version"], g["element_title"])}
    return from_list(items, request, key=keys.get(request.sort or "count", keys["count"]))


def group_members(session: Session, user: User, version_id: int, element_id: str, message: str) -> list[int]:
    """The cases of one incident group (what "retry all" retries)."""
    check_operator(user)
    query = select(ProcessInstance.id).where(ProcessInstance.status == "error",
                                             ProcessInstance.version_id == version_id,
                                             func.coalesce(ProcessInstance.error_element, "") == (element_id or ""),
                                             func.coalesce(ProcessInstance.error_message, "") == (message or ""))
    return list(session.scalars(query.order_by(ProcessInstance.id)))
