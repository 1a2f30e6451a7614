"""What a case page shows and who may see it or start one. Reads the instance, task and event tables
(never rebuilds a workflow).

Starting: the start event property `starterGroups` (comma list of group codes or lane names) names the
groups whose members may start the process; without it any staff member (anyone in a group) may;
`calledOnly` = true: only a parent process starts it."""

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from ...i18n import _
from ...engine.state import COMPLETED_STATE
from ...models import AuditEvent, HumanTask, OPEN_STATES, ProcessInstance, ProcessVersion, User, WorkflowTask
from ..audit import audit
from ..errors import Forbidden
from ..modelling.formfields import fields, form_schemas
from ..organisation.org import group_index, resolve_lane
from ..modelling.publishing import latest_version

READ_ALL_ROLES = ("auditor", "admin", "process_owner")


def starter_groups(session: Session, version: ProcessVersion) -> set[str] | None:
    props = ((version.meta or {}).get("start") or {}).get("properties") or {}
    names = [n.strip() for n in str(props.get("starterGroups") or "").split(",") if n.strip()]
    if not names:
        return None
    lanes = group_index(session)
    return {resolve_lane(lanes, n) or n for n in names}


def called_only(version: ProcessVersion) -> bool:
    """The start event property `calledOnly` = true: the process runs only as a parent's called process or
    linked case (its data comes from the parent); nobody starts it on their own."""
    props = ((version.meta or {}).get("start") or {}).get("properties") or {}
    return str(props.get("calledOnly", "")).strip().lower() == "true"


def may_start(session: Session, user: User, version: ProcessVersion) -> bool:
    if called_only(version):
        return False
    groups = starter_groups(session, version)
    if groups is None:
        return bool(user.group_codes)
    return bool(groups & user.group_codes)


def check_may_start(session: Session, user: User, process_id: str) -> None:
    version = latest_version(session, process_id)
    if version is not None and called_only(version):
        raise Forbidden(_("This process is started only by its parent process, never on its own."),
                        code="called_only")
    if version is not None and not may_start(session, user, version):
        raise Forbidden(_("Your groups may not start this process."), code="may_not_start")


def startable(session: Session, user: User) -> list[ProcessVersion]:
    """The latest version of every process the user may start."""
    ids = session.scalars(select(ProcessVersion.process_id).distinct().order_by(ProcessVersion.process_id))
    versions = [latest_version(session, pid) for pid in ids]
    return [v for v in versions if may_start(session, user, v)]


def may_view(session: Session, user: User, instance: ProcessInstance) -> bool:
    """Product readers, whoever started the case, and the departments and people that work on it."""
    if any(user.has_role(r) for r in READ_ALL_ROLES) or instance.started_by == user.username:
        return True
    rows = session.execute(select(HumanTask.group_code, HumanTask.claimed_by, HumanTask.completed_by)
                           .where(HumanTask.instance_id == instance.id)).all()
    groups = user.group_codes
    return any(r.group_code in groups or user.username in (r.claimed_by, r.completed_by) for r in rows)


def check_may_view(session: Session, user: User, instance: ProcessInstance) -> None:
    if not may_view(session, user, instance):
        raise Forbidden(_("You may not see this case."), code="may_not_view")


def diagram_source(version: ProcessVersion) -> str | None:
    """The BPMN file that defines the version's process (the one holding its id)."""
    bpmn = {name: text for name, text in (version.sources or {}).items() if name.lower().endswith((".bpmn", ".xml"))}
    for name, text in sorted(bpmn.items()):
        if f'id="{version.process_id}"' in text:
            return text
    return next(iter(bpmn.values()), None)


def has_layout(source: str | None) -> bool:
    return bool(source) and "BPMNDiagram" in source


def path_markers(session: Session, instance: ProcessInstance, version: ProcessVersion) -> dict:
    """Element ids for the diagram: done (every element the engine finished, gateways and events included,
    from the stored task rows — archived history too) and current (open tasks)."""
    done = list(session.scalars(select(WorkflowTask.spec_name).where(
        WorkflowTask.instance_id == instance.id, WorkflowTask.workflow_key == "",
        WorkflowTask.state == COMPLETED_STATE).distinct()))
    done += [e for e in session.scalars(select(AuditEvent.element_id).where(
        AuditEvent.instance_id == instance.id, AuditEvent.event_type.in_(("completed", "timer_fired")),
        AuditEvent.element_id.is_not(None)))]
    start = ((version.meta or {}).get("start") or {}).get("element_id")
    current = list(session.scalars(select(HumanTask.task_name).where(
        HumanTask.instance_id == instance.id, HumanTask.state.in_(OPEN_STATES))))
    return {"done": sorted(set(done + ([start] if start else [])) - set(current)), "current": sorted(set(current)),
            "finished": instance.status == "completed"}


def open_tasks(session: Session, instance_id: int) -> list[HumanTask]:
    """The case's waiting and held tasks."""
    return list(session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                        HumanTask.state.in_(OPEN_STATES))
                                .order_by(HumanTask.created_at)))


_HUMAN_TASKS = HumanTask.__table__
# the case's waiting and held tasks as read-only rows (the attributes of HumanTask), for the case id iid
# (the open states as plain bound parameters: the statement is also sent in one batch with a step's writes)
OPEN_TASK_ROWS = (select(_HUMAN_TASKS).where(_HUMAN_TASKS.c.instance_id == bindparam("iid"),
                                             or_(*(_HUMAN_TASKS.c.state == state for state in OPEN_STATES)))
                  .order_by(_HUMAN_TASKS.c.created_at))


def timeline(session: Session, instance_id: int) -> list[dict]:
    return [audit.as_dict(e) | {"at_dt": e.at} for e in audit.events_for(session, instance_id)]


def recent_cases(session: Session, user: User, limit: int = 20) -> list[ProcessInstance]:
    return list(session.scalars(select(ProcessInstance).where(ProcessInstance.started_by == user.username)
                                .order_by(ProcessInstance.id.desc()).limit(limit)))


def field_catalog(version: ProcessVersion, locale: str) -> dict[str, dict]:
    """Every form field of the version by name: its label in the page language and its widget kind
    (used to label and format the case data)."""
    catalog: dict[str, dict] = {}
    for schema in form_schemas(version.sources):
        for field in fields(schema, locale):
            catalog.setdefault(field["name"], field)
    return catalog


def key_data(case_data: dict, catalog: dict[str, dict], limit: int = 40) -> list[dict]:
    """The case data worth showing in a summary: plain values, labelled, in form order first."""
    order = list(catalog) + [k for k in case_data if k not in catalog]
    out = []
    for name in order:
        value = case_data.get(name)
        if value is None or value == "" or isinstance(value, (dict, list)) and not value:
            continue
        field = catalog.get(name, {"label": name, "kind": "text", "currency": "CNY"})
        out.append({"name": name, "label": field["label"], "kind": field["kind"], "value": value,
                    "currency": field.get("currency", "CNY")})
        if len(out) >= limit:
            break
    return out
