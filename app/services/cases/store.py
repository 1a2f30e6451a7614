"""Saving workflow state for instances; keeps the human-task table in step in the same transaction. Loading
(versions, specs, the cache of live workflows) is in .live; its names are also reachable from here."""
import re
import time

from sqlalchemy import bindparam, delete, insert, inspect, or_, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from ... import clock
from ...engine import runner, state, timers
from ...models import HumanTask, OPEN_STATES, ProcessInstance, Timer, WorkflowTask
from ..audit import audit, audit_chain
from ..notifications import notifications
from . import calendar_deadlines
from .live import (  # noqa: F401 (loading, reached as store.* by the step services)
    LiveCache, Unloadable, VersionInfo, bundle_for, cached_group_index, live_cache, load_live, version_info)
from ..organisation.org import task_group


def _upsert_statement(dialect: str):
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(WorkflowTask)
    return stmt.on_conflict_do_update(
        index_elements=[WorkflowTask.instance_id, WorkflowTask.task_id],
        set_={"state": stmt.excluded.state, "payload": stmt.excluded.payload,
              "spec_name": stmt.excluded.spec_name, "workflow_key": stmt.excluded.workflow_key})


_UPSERT = {name: _upsert_statement(name) for name in ("sqlite", "postgresql")}


_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
_JOINED: dict = {}  # (statement, parameter names) -> (compiled, SQL with numbered placeholders)


class Writes:
    """Statements of a step collected while it is worked out, run afterwards. SQLite (in process): one
    executemany each. PostgreSQL: every row's statement joined into one round trip (measured against one
    executemany per statement: the step spends one round trip instead of one per statement); each
    statement shape is compiled once, its parameters go through the column types' bind processing."""

    def __init__(self):
        self.batches: dict = {}
        self.check = None  # PostgreSQL: (statement, params, refusal) of the version check run first
        self.read = None  # (SELECT, params) run after the writes; its rows are then in self.rows
        self.rows = None

    def add(self, statement, params: dict) -> None:
        self.batches.setdefault(statement, []).append(params)

    def check_first(self, statement, params: dict, refusal: str) -> None:
        """Run this statement before the others, in the same round trip; it fails with a division by zero
        when the row it checks was not updated (the batch stops there and the transaction is rolled back)."""
        self.check = (statement, params, refusal)

    def read_last(self, statement, params: dict) -> None:
        """Read with this SELECT once everything is written (on PostgreSQL in the same round trip)."""
        self.read = (statement, params)

    def run(self, conn) -> None:
        try:
            if conn.dialect.name == "postgresql" and (self.check or sum(map(len, self.batches.values())) > 1):
                self._run_joined(conn)
                return
        except DBAPIError as exc:
            if self.check is not None and getattr(exc.orig, "pgcode", None) == _DIVISION_BY_ZERO:
                raise StaleDataError(self.check[2]) from exc
            raise
        for statement, rows in self.batches.items():
            conn.execute(statement, rows)
        if self.read is not None:
            self.rows = conn.execute(*self.read).all()

    def _run_joined(self, conn) -> None:
        parts, params = [], {}
        batches = list(self.batches.items())
        if self.check is not None:
            batches.insert(0, (self.check[0], [self.check[1]]))
        if self.read is not None:  # last: the rows of a multi-statement batch are those of its last statement
            batches.append((self.read[0], [self.read[1]]))
        for statement, rows in batches:
            for row in rows:
                key = (statement, tuple(row))
                found = _JOINED.get(key)
                if found is None:
                    compiled = statement.compile(dialect=conn.dialect, column_keys=list(row), for_executemany=True)
                    found = _JOINED[key] = (compiled, _PLACEHOLDER.sub(r"%(\1_@)s", compiled.string))
                compiled, sql = found
                n = f"_{len(parts)}"
                parts.append(sql.replace("_@)s", n + ")s"))
                processors = compiled._bind_processors
                for name, value in compiled.construct_params(row).items():
                    params[name + n] = processors[name](value) if name in processors else value
        result = conn.exec_driver_sql(";\n".join(parts), params)
        if self.read is not None:
            self.rows = result.all()


_INSTANCES = ProcessInstance.__table__
# the columns a save writes; what else a step changed on the instance was flushed before
_SAVED = ("state", "case_data", "business_key", "summary", "deadline_breached_at", "status", "error_message",
          "error_element", "ended_at")
_SAVE_INSTANCE = (
    update(_INSTANCES)
    .where(_INSTANCES.c.id == bindparam("k_id"), _INSTANCES.c.lock_version == bindparam("k_version"),
           _INSTANCES.c.chain_length == bindparam("k_chain"))
    .values({**{key: bindparam("v_" + key) for key in _SAVED}, "lock_version": bindparam("v_lock_version"),
             "chain_length": bindparam("v_chain_length"), "chain_hash": bindparam("v_chain_hash")}))

_CHECKED_SAVE = select(text("1 / count(*)")).select_from(_SAVE_INSTANCE.returning(_INSTANCES.c.id).cte("saved"))
_DIVISION_BY_ZERO = "22012"


def _written(obj) -> None:
    """The loaded object is as stored now (its changes were written with Core): its attributes count as
    committed and the ORM has nothing left to flush for it (no unit of work at the next flush or commit)."""
    state = inspect(obj)
    state._commit_all(state.dict, state.session.identity_map if state.session else None)


def _save_instance(session: Session, instance: ProcessInstance, events: list, writes: Writes) -> None:
    """The instance row and its audit chain head with one UPDATE, conditional on the version (and chain
    head) the step started from; no row updated means another transaction saved the case first. SQLite:
    run at once, before anything else is written. PostgreSQL: the first statement of the step's one
    round trip of writes, as a CTE that divides by the number of rows it updated, so that a lost race stops
    the batch before any other statement runs."""
    was, version = instance.chain_length or 0, instance.lock_version
    length, last = audit_chain.chain(events, was, instance.chain_hash or "")
    values = {key: getattr(instance, key) for key in _SAVED}
    params = {"v_" + key: value for key, value in values.items()}
    params.update(k_id=instance.id, k_version=version, k_chain=was, v_lock_version=version + 1,
                  v_chain_length=length, v_chain_hash=last)
    refusal = f"case {instance.id} was saved by another transaction (version {version})"
    conn = session.connection()
    if conn.dialect.name == "postgresql":  # checked in the round trip that writes the step
        writes.check_first(_CHECKED_SAVE, params, refusal)
    elif conn.execute(_SAVE_INSTANCE, params).rowcount != 1:
        raise StaleDataError(refusal)
    set_committed_value(instance, "lock_version", version + 1)
    set_committed_value(instance, "chain_length", length)
    set_committed_value(instance, "chain_hash", last)
    _written(instance)
    audit_chain.moved_case_head(session, instance.id, length, last)


def save(session: Session, instance: ProcessInstance, live, started_at: float, *, actor: str | None,
         version: VersionInfo, completed_task: dict | None = None, read=None) -> list | None:
    """Write the changes of one step: instance row (version-checked), changed task rows, human tasks,
    timers, audit events. Raises StaleDataError when another transaction saved the instance first.

    The step is worked out in memory (reads only; a task the engine cancelled is closed at once), then
    written with SQLAlchemy Core on the session's connection: the version-checked UPDATE of the instance
    row first, then one executemany per statement (the human task the step completed among them).
    read: a SELECT with the bound parameter iid (the case's id); its rows as the step left the case are
    returned (on PostgreSQL read in the round trip that writes the step)."""
    writes = Writes()
    closed = _changed_human_tasks(session, writes)
    session.flush()  # anything else the step changed through the ORM
    with session.no_autoflush:
        if read is not None:
            writes.read_last(read, {"iid": instance.id})
        _save(session, instance, live, actor, version, completed_task, writes, closed)
    state.mark_saved(live, started_at)
    return writes.rows


def _save(session: Session, instance: ProcessInstance, live, actor: str | None, version: VersionInfo,
          completed_task: dict | None, writes: Writes, closed: set) -> None:
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
    iid = instance.id
    with calendar_deadlines.bound(session):  # a timer's due time is computed when it starts waiting
        _sync_human_tasks(session, instance, live, version, actor, key_changed, writes, closed)
        _sync_timers(session, instance, live, writes)
    calendar_deadlines.record(session, instance, writes.add)  # what the step and its new tasks computed
    events = audit.take_case_events(session, iid)
    _save_instance(session, instance, events, writes)  # the version check, before anything else is written
    conn = session.connection()
    upsert = _UPSERT[conn.dialect.name]
    for r in changes.upserts:
        writes.add(upsert, {"instance_id": iid, "task_id": r.task_id, "workflow_key": r.workflow_key,
                            "spec_name": r.spec_name, "state": r.state, "payload": r.payload, "archived": False})
    for event in events:
        writes.add(audit.INSERT_EVENT, audit.event_row(event))
    if changes.removed:
        conn.execute(delete(WorkflowTask).where(WorkflowTask.instance_id == iid,
                                                WorkflowTask.task_id.in_(changes.removed)))
    if changes.archived:
        conn.execute(update(WorkflowTask).where(WorkflowTask.instance_id == iid,
                                                WorkflowTask.task_id.in_(changes.archived))
                     .values(archived=True))
    writes.run(conn)
    audit.written(session, events)


_HUMAN_TASKS = HumanTask.__table__
_INSERT_HUMAN_TASK = insert(_HUMAN_TASKS)
_HUMAN_TASK_COLUMNS = [c.key for c in _HUMAN_TASKS.columns]
_CHANGED = ("state", "completed_at", "business_key", "case_due_at")  # what a save changes on an open task
_UPDATE_HUMAN_TASK = (update(_HUMAN_TASKS).where(_HUMAN_TASKS.c.id == bindparam("k_id"))
                      .values({key: bindparam("v_" + key) for key in _CHANGED}))


_OPEN_HUMAN_TASKS = (select(_HUMAN_TASKS.c.id, _HUMAN_TASKS.c.task_name, *(_HUMAN_TASKS.c[key] for key in _CHANGED))
                     .where(_HUMAN_TASKS.c.instance_id == bindparam("iid"), _HUMAN_TASKS.c.state.in_(OPEN_STATES)))


def _update_human_task(writes: Writes, row, **values) -> None:
    """Queue the change of an open task's row (a row of _OPEN_HUMAN_TASKS) if there is one."""
    current = {key: getattr(row, key) for key in _CHANGED}
    if any(current[key] != value for key, value in values.items()):
        current.update(values)
        writes.add(_UPDATE_HUMAN_TASK, {"k_id": row.id, **{"v_" + key: v for key, v in current.items()}})


_CANCEL_HUMAN_TASKS = (update(_HUMAN_TASKS)
                       .where(_HUMAN_TASKS.c.id.in_(bindparam("ids", expanding=True)),
                              _HUMAN_TASKS.c.state.in_(OPEN_STATES))
                       .values(state="cancelled", completed_at=bindparam("now"))
                       .returning(_HUMAN_TASKS.c.id, _HUMAN_TASKS.c.task_name))
_REKEY_HUMAN_TASKS = (update(_HUMAN_TASKS)
                      .where(_HUMAN_TASKS.c.instance_id == bindparam("iid"),
                             or_(*(_HUMAN_TASKS.c.state == open_state for open_state in OPEN_STATES)))
                      .values(business_key=bindparam("v_business_key"), case_due_at=bindparam("v_case_due_at")))
_TASK_UPDATES: dict = {}  # the columns a step changed on a human task -> the UPDATE writing them


def _changed_human_tasks(session: Session, writes: Writes) -> set:
    """What the step changed on loaded human tasks (the task it completed) is queued as Core UPDATEs and no
    longer pending in the ORM; returns the ids of the tasks it closed."""
    closed = set()
    for row in [obj for obj in session.dirty if isinstance(obj, HumanTask)]:
        changed = {attr.key: attr.value for attr in inspect(row).attrs if attr.history.has_changes()}
        if not changed:
            continue
        keys = tuple(sorted(changed))
        statement = _TASK_UPDATES.get(keys)
        if statement is None:
            statement = _TASK_UPDATES[keys] = (update(_HUMAN_TASKS).where(_HUMAN_TASKS.c.id == bindparam("k_id"))
                                               .values({key: bindparam("v_" + key) for key in keys}))
        writes.add(statement, {"k_id": row.id, **{"v_" + key: value for key, value in changed.items()}})
        _written(row)
        if row.state not in OPEN_STATES:
            closed.add(row.id)
    return closed


def _sync_human_tasks(session: Session, instance: ProcessInstance, live, version: VersionInfo, actor,
                      key_changed: bool, writes: Writes, closed: set):
    """Open tasks follow the engine's ready user tasks. The tasks this live copy left open at its last save
    (live.extra) are open still unless this step closed them (human tasks close only in steps, which
    change the case's version): then nothing is read; a freshly loaded copy reads the open rows."""
    ready = {t["id"]: t for t in runner.ready_human_tasks(live)}
    known = live.extra.get("open_tasks")
    if known is not None and known - closed == set(ready) and not key_changed:
        live.extra["open_tasks"] = set(ready)
        return  # the same tasks wait as after the last save: nothing to write, nothing to read
    live.extra["open_tasks"] = set(ready)
    now = clock.now()
    case_due = calendar_deadlines.as_utc((instance.summary or {}).get("case_due_at"))
    conn = session.connection()
    if known is None:
        open_rows = {row.id: row for row in conn.execute(_OPEN_HUMAN_TASKS, {"iid": instance.id})
                     if row.id not in closed}
        for task_id, row in open_rows.items():
            if task_id not in ready:
                _update_human_task(writes, row, state="cancelled", completed_at=now)
                audit.record(session, "task_cancelled", instance_id=instance.id, task_id=task_id,
                             element_id=row.task_name)
            else:
                _update_human_task(writes, row, business_key=instance.business_key, case_due_at=case_due)
        open_ids = set(open_rows)
    else:
        open_ids = known - closed
        gone = open_ids - set(ready)
        if gone:  # the engine cancelled them (a boundary event, the other branch of a race)
            for row in conn.execute(_CANCEL_HUMAN_TASKS, {"ids": sorted(gone), "now": now}):
                audit.record(session, "task_cancelled", instance_id=instance.id, task_id=row.id,
                             element_id=row.task_name)
        if key_changed:
            writes.add(_REKEY_HUMAN_TASKS, {"iid": instance.id, "v_business_key": instance.business_key,
                                            "v_case_due_at": case_due})
    new = [t for tid, t in ready.items() if tid not in open_ids]
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
        writes.add(_INSERT_HUMAN_TASK, {key: getattr(row, key) for key in _HUMAN_TASK_COLUMNS})
        notifications.task_ready(session, row)
        audit.record(session, "task_ready", instance_id=instance.id, task_id=task["id"],
                     element_id=task["element_id"],
                     data={"group": row.group_code, "due_at": row.due_at.isoformat() if row.due_at else None})


def step_clock() -> float:
    return time.time()


_TIMERS = Timer.__table__
_INSERT_TIMER = insert(_TIMERS)
_UPDATE_TIMER = (update(_TIMERS).where(_TIMERS.c.task_id == bindparam("k_id"))
                 .values(state=bindparam("v_state"), due_at=bindparam("v_due_at")))


def _sync_timers(session: Session, instance: ProcessInstance, live, writes: Writes) -> None:
    """Keep the timers table equal to the timer events the instance waits for (same transaction)."""
    waiting = {t["task_id"]: t for t in timers.waiting_timers(live)}
    signature = {tid: t["due_at"] for tid, t in waiting.items()}
    if live.extra.get("timers") == signature:
        return  # unchanged since the last save
    live.extra["timers"] = signature
    stored = dict(session.execute(select(Timer.task_id, Timer.due_at)
                                  .where(Timer.instance_id == instance.id, Timer.state == "waiting")).all())
    for task_id, due_at in stored.items():
        current = waiting.get(task_id)
        if current is None:
            writes.add(_UPDATE_TIMER, {"k_id": task_id, "v_state": "cancelled", "v_due_at": due_at})
        elif current["due_at"] != due_at:
            writes.add(_UPDATE_TIMER, {"k_id": task_id, "v_state": "waiting", "v_due_at": current["due_at"]})
    new = [task_id for task_id in waiting if task_id not in stored]
    again = set(session.scalars(select(Timer.task_id).where(Timer.task_id.in_(new)))) if new else set()
    for task_id in new:
        info = waiting[task_id]
        if task_id in again:  # a cycle timer waiting again
            writes.add(_UPDATE_TIMER, {"k_id": task_id, "v_state": "waiting", "v_due_at": info["due_at"]})
        else:
            writes.add(_INSERT_TIMER, {"task_id": task_id, "instance_id": instance.id,
                                       "element_id": info["element_id"], "attached_to": info["attached_to"],
                                       "kind": info["kind"], "due_at": info["due_at"], "state": "waiting",
                                       "fired_at": None})
