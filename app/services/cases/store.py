"""Loading and saving workflow state for instances; keeps the human-task table in step in the same
transaction. Live workflows are cached per process between steps and checked out while in use."""
import threading
import time
from collections import OrderedDict

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ... import clock
from ...engine import runner, state, timers
from ...engine.specs import SpecCache
from ...models import HumanTask, OPEN_STATES, ProcessInstance, ProcessVersion, Timer, WorkflowTask
from ..audit import audit
from ..notifications import notifications
from . import calendar_deadlines
from ..modelling.forms import load_schema
from ..organisation.org import group_index, task_group


class LiveCache:
    """instance id -> (lock_version, live workflow). get() removes the entry: one user at a time."""

    def __init__(self, size: int = 256):
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def take(self, instance_id: int, lock_version: int):
        with self._lock:
            item = self._items.pop(instance_id, None)
        if item is not None and item[0] == lock_version:
            return item[1]
        return None

    def put(self, instance_id: int, lock_version: int, live) -> None:
        with self._lock:
            self._items[instance_id] = (lock_version, live)
            self._items.move_to_end(instance_id)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self):
        with self._lock:
            self._items.clear()


def live_cache(session: Session) -> LiveCache:
    return session.info["db"].caches.setdefault("live", LiveCache())


class VersionInfo:
    """What a step needs of a published version, read once per process (versions are immutable)."""

    def __init__(self, version: ProcessVersion):
        self.id, self.process_id, self.version = version.id, version.process_id, version.version
        self.task_catalog, self.meta = version.task_catalog, version.meta or {}
        self._forms = {name: text for name, text in version.sources.items() if name.endswith(".json")}
        self._schemas: dict = {}

    def schema(self, form_ref: str) -> dict:
        if form_ref not in self._schemas:
            self._schemas[form_ref] = load_schema(self._forms[form_ref])
        return self._schemas[form_ref]


def version_info(session: Session, version_id: int) -> VersionInfo:
    cache = session.info["db"].caches.setdefault("versions", {})
    info = cache.get(version_id)
    if info is None:
        info = cache[version_id] = VersionInfo(session.get(ProcessVersion, version_id))
    return info


_GROUP_INDEX_TTL = 30.0


def cached_group_index(session: Session) -> dict[str, str]:
    """The lane-name index, re-read at most every 30 s (groups change rarely)."""
    caches = session.info["db"].caches
    stamp, index = caches.get("groups", (0.0, None))
    if index is None or time.monotonic() - stamp > _GROUP_INDEX_TTL:
        index = group_index(session)
        caches["groups"] = (time.monotonic(), index)
    return index


def bundle_for(session: Session, version_id: int):
    def loader():
        version = session.get(ProcessVersion, version_id)
        return version.process_id, version.spec
    return session.info["db"].caches.setdefault("spec", SpecCache()).get(version_id, loader)


def load_live(session: Session, instance: ProcessInstance):
    live = live_cache(session).take(instance.id, instance.lock_version)
    if live is not None:
        return live
    rows = session.execute(select(WorkflowTask.task_id, WorkflowTask.workflow_key, WorkflowTask.spec_name,
                                  WorkflowTask.state, WorkflowTask.payload)
                           .where(WorkflowTask.instance_id == instance.id, WorkflowTask.archived.is_(False))).all()
    task_rows = [state.TaskRow(r.task_id, r.workflow_key, r.spec_name, r.state, r.payload) for r in rows]
    try:
        return state.restore(bundle_for(session, instance.version_id), instance.state, task_rows,
                             runner.SCRIPT_ENGINE)
    except Exception as exc:  # noqa: BLE001 - damaged or foreign stored state of any kind
        raise Unloadable(f"the stored case cannot be loaded any more ({exc.__class__.__name__})") from exc


class Unloadable(Exception):
    """The stored workflow of a case cannot be rebuilt (damaged rows, data the engine cannot read): the case
    is shown as an incident; lists, pages and migration batches go on with the other cases."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _upsert_statement(dialect: str):
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(WorkflowTask)
    return stmt.on_conflict_do_update(
        index_elements=[WorkflowTask.instance_id, WorkflowTask.task_id],
        set_={"state": stmt.excluded.state, "payload": stmt.excluded.payload,
              "spec_name": stmt.excluded.spec_name, "workflow_key": stmt.excluded.workflow_key})


_UPSERT = {name: _upsert_statement(name) for name in ("sqlite", "postgresql")}


def _upsert(session: Session, rows: list[dict]):
    """Insert-or-update the changed task rows (one cached statement, executemany)."""
    if rows:
        session.execute(_UPSERT[session.get_bind().dialect.name], rows)


def save(session: Session, instance: ProcessInstance, live, started_at: float, *, actor: str | None,
         version: VersionInfo, completed_task: dict | None = None) -> None:
    """Write the changes of one step: instance row (version-checked), changed task rows, human tasks,
    audit events. Raises StaleDataError when another transaction saved the instance first."""
    changes = state.collect_changes(live)
    before = instance.case_data or {}
    case_data = runner.workflow_data(live)
    instance.state = changes.meta
    instance.case_data = case_data
    start_props = (version.meta or {}).get("start", {}).get("properties", {})
    key_field = start_props.get("businessKey")
    key_changed = False
    if key_field and case_data.get(key_field) and instance.business_key != str(case_data[key_field]):
        instance.business_key = str(case_data[key_field])
        key_changed = True
    customer = case_data.get(start_props.get("customerField", "customer"))
    if customer:
        instance.summary = {**(instance.summary or {}), "customer": str(customer)[:300]}
    case_due = calendar_deadlines.case_deadline(case_data, start_props)
    breached_at = calendar_deadlines.as_utc(case_data.get(start_props.get("caseBreachField") or ""))
    if breached_at is not None and instance.deadline_breached_at is None:  # lasting: later edits keep it
        instance.deadline_breached_at = breached_at
    if case_due != (instance.summary or {}).get("case_due_at"):  # shown on every task of the case
        instance.summary = {**(instance.summary or {}), "case_due_at": case_due}
        key_changed = True
    if completed_task is not None:
        changed = {k: [before.get(k), v] for k, v in case_data.items() if before.get(k) != v}
        audit.record(session, "completed", instance_id=instance.id, actor=actor, task_id=completed_task["id"],
                     element_id=completed_task["element_id"],
                     data={"submitted": completed_task["data"], "changes": changed})
    if instance.status == "error":  # this step succeeded: the earlier failure is behind the case
        instance.status = "running"
        instance.error_message = instance.error_element = None
    if runner.is_completed(live) and instance.status != "completed":
        instance.status = "completed"
        instance.ended_at = clock.now()
        audit.record(session, "instance_completed", instance_id=instance.id, actor=actor)
    session.flush()  # the version check happens here, before anything else is written

    iid = instance.id
    _upsert(session, [{"instance_id": iid, "task_id": r.task_id, "workflow_key": r.workflow_key,
                       "spec_name": r.spec_name, "state": r.state, "payload": r.payload}
                      for r in changes.upserts])
    if changes.removed:
        session.execute(delete(WorkflowTask).where(WorkflowTask.instance_id == iid,
                                                   WorkflowTask.task_id.in_(changes.removed)))
    if changes.archived:
        session.execute(update(WorkflowTask).where(WorkflowTask.instance_id == iid,
                                                   WorkflowTask.task_id.in_(changes.archived))
                        .values(archived=True))
    with calendar_deadlines.bound(session):  # a timer's due time is computed when it starts waiting
        _sync_human_tasks(session, instance, live, version, actor, key_changed)
        _sync_timers(session, instance, live)
    calendar_deadlines.record(session, instance)
    state.mark_saved(live, started_at)


def _sync_human_tasks(session: Session, instance: ProcessInstance, live, version: VersionInfo, actor,
                      key_changed: bool):
    ready = {t["id"]: t for t in runner.ready_human_tasks(live)}
    known = live.extra.get("open_tasks")
    if known is not None and known == set(ready) and not key_changed:
        return  # the same tasks wait as after the last save: nothing to write, nothing to read
    live.extra["open_tasks"] = set(ready)
    open_rows = {row.id: row for row in session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.state.in_(OPEN_STATES)))}
    now = clock.now()
    for task_id, row in open_rows.items():
        if task_id not in ready:
            row.state = "cancelled"
            row.completed_at = now
            audit.record(session, "task_cancelled", instance_id=instance.id, task_id=task_id,
                         element_id=row.task_name)
    case_due = calendar_deadlines.as_utc((instance.summary or {}).get("case_due_at"))
    for row in open_rows.values():
        if row.state in OPEN_STATES and row.business_key != instance.business_key:
            row.business_key = instance.business_key
        if row.state in OPEN_STATES and row.case_due_at != case_due:
            row.case_due_at = case_due
    new = [t for tid, t in ready.items() if tid not in open_rows]
    if not new:
        return
    lanes = cached_group_index(session)
    for task in new:
        info = version.task_catalog.get(task["element_id"], {})
        due = calendar_deadlines.task_due(session, info.get("due"), now)
        row = HumanTask(
            id=task["id"], instance_id=instance.id, process_id=instance.process_id,
            business_key=instance.business_key, task_name=task["element_id"],
            title=info.get("title") or task["element_id"], lane=info.get("lane"),
            group_code=task_group(lanes, info, instance.case_data), head_only=bool(info.get("head_only")),
            state="ready", due_at=due.at, due_provisional=due.provisional, case_due_at=case_due,
            form_ref=info.get("form"),
            created_at=now, customer=(instance.summary or {}).get("customer"))
        session.add(row)
        notifications.task_ready(session, row)
        audit.record(session, "task_ready", instance_id=instance.id, task_id=task["id"],
                     element_id=task["element_id"],
                     data={"group": row.group_code, "due_at": row.due_at.isoformat() if row.due_at else None})


def step_clock() -> float:
    return time.time()


def _sync_timers(session: Session, instance: ProcessInstance, live) -> None:
    """Keep the timers table equal to the timer events the instance waits for (same transaction)."""
    waiting = {t["task_id"]: t for t in timers.waiting_timers(live)}
    signature = {tid: t["due_at"] for tid, t in waiting.items()}
    if live.extra.get("timers") == signature:
        return  # unchanged since the last save
    live.extra["timers"] = signature
    stored = {row.task_id: row for row in session.scalars(
        select(Timer).where(Timer.instance_id == instance.id, Timer.state == "waiting"))}
    for task_id, row in stored.items():
        current = waiting.get(task_id)
        if current is None:
            row.state = "cancelled"
        elif current["due_at"] != row.due_at:
            row.due_at = current["due_at"]
    for task_id, info in waiting.items():
        if task_id not in stored:
            existing = session.get(Timer, task_id)
            if existing is None:
                session.add(Timer(task_id=task_id, instance_id=instance.id, element_id=info["element_id"],
                                  attached_to=info["attached_to"], kind=info["kind"], due_at=info["due_at"],
                                  state="waiting"))
            else:  # a cycle timer waiting again
                existing.state, existing.due_at = "waiting", info["due_at"]
