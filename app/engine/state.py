"""Incremental storage of a workflow's state, without its spec.

A workflow is stored as one small "meta" document (workflow-level attributes) plus one row per task.
A save writes only the tasks that can have changed since the previous save: tasks whose state changed,
every unfinished task, the children of those (their stored data is a delta against the parent) and the
parents of tasks added or removed - and of those only the rows whose content differs from what was last
stored (predicted tasks that did not change are not rewritten; a fingerprint of each stored row is kept
with the live workflow). The cost of a save therefore follows the size of the active part of the instance,
not the length of its history.
"""
import json
import time
from dataclasses import dataclass, field
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.util.task import TaskState

from .specs import REGISTRY, SpecBundle

UNFINISHED = TaskState.NOT_FINISHED_MASK
COMPLETED_STATE = TaskState.COMPLETED  # the value stored in WorkflowTask.state for finished elements


@dataclass
class TaskRow:
    task_id: str
    workflow_key: str  # '' = top-level workflow, else the id of the task owning the subprocess
    spec_name: str
    state: int
    payload: dict


@dataclass
class Changes:
    meta: dict
    upserts: list[TaskRow]
    removed: list[str]
    archived: list[str] = field(default_factory=list)


@dataclass
class LiveWorkflow:
    """A workflow plus what is known to be stored for it."""
    workflow: BpmnWorkflow
    bundle: SpecBundle
    stored_ids: dict[str, set] = field(default_factory=dict)  # workflow_key -> task ids stored live
    saved_at: float = 0.0
    pending_archive: list[str] = field(default_factory=list)
    # what the service layer knows it stored for this live copy (open human tasks, timers)
    extra: dict = field(default_factory=dict)
    full_rewrite: bool = False  # the next save writes every task (e.g. after moving to another version)
    # task id -> fingerprint of the row as stored (what the last save wrote or the load read)
    stored_rows: dict[str, str] = field(default_factory=dict)
    _unsaved_rows: dict[str, str] = field(default_factory=dict)

    def all_workflows(self):
        yield "", self.workflow
        for key, sub in self.workflow.subprocesses.items():
            yield str(key), sub


def _workflow_meta(wf) -> dict:
    meta = {
        "data": REGISTRY.convert(REGISTRY.clean(wf.data)),
        "correlations": wf.correlations,
        "last_task": str(wf.last_task.id) if wf.last_task is not None and wf.last_task.id in wf.tasks else None,
        "success": wf.success,
        "completed": wf.completed,
        "root": str(wf.task_tree.id),
    }
    if isinstance(wf, BpmnSubWorkflow):
        meta["parent_task_id"] = str(wf.parent_task_id)
        meta["spec"] = wf.spec.name
    return meta


def collect_changes(live: LiveWorkflow, full: bool = False) -> Changes:
    """What must be written to bring the stored copy up to date with the live workflow."""
    since = live.saved_at
    full = full or live.full_rewrite
    archived = {UUID(t) for t in live.pending_archive}
    top = live.workflow
    meta = {"top": _workflow_meta(top), "subprocesses": {},
            "bpmn_events": REGISTRY.convert(top.bpmn_events)}
    upserts, removed = [], []
    now_stored = {}
    for key, wf in live.all_workflows():
        if key:
            meta["subprocesses"][key] = _workflow_meta(wf)
        tasks = wf.tasks
        previous = live.stored_ids.get(key, set())
        current = set(tasks)
        if full:
            dirty = current
            removed.extend(str(t) for t in previous - current - archived)
        else:
            dirty = set()
            for tid, task in tasks.items():
                if task.last_state_change >= since or task._state & UNFINISHED:
                    dirty.add(tid)
            for tid in list(dirty):
                dirty.update(tasks[tid]._children)
            gone = previous - current - archived
            for tid in current - previous:
                dirty.add(tid)
                parent = tasks[tid]._parent
                if parent is not None:
                    dirty.add(parent)
            for tid in gone:
                removed.append(str(tid))
            # a removed task's parent lost a child
            # (the parent is still a live task unless it was removed too)
            dirty &= current
        for tid in dirty:
            task = tasks[tid]
            _add_row(live, upserts, TaskRow(str(tid), key, task.task_spec.name, task._state,
                                            REGISTRY.convert(task)), full)
        now_stored[key] = current
    for key in live.stored_ids:
        if key not in now_stored:
            removed.extend(str(t) for t in live.stored_ids[key])
    if not full:
        _add_parents_of_removed(live, removed, upserts)
    changes = Changes(meta, upserts, removed, list(live.pending_archive))
    return changes


def fingerprint(row: TaskRow) -> str:
    """The stored content of a row as one string (a copy: later changes of the live task do not reach it)."""
    return json.dumps([row.workflow_key, row.spec_name, row.state, row.payload], default=str)


def _add_row(live: LiveWorkflow, upserts: list[TaskRow], row: TaskRow, full: bool) -> None:
    """Queue the row unless it is stored exactly like this already."""
    mark = fingerprint(row)
    if full or live.stored_rows.get(row.task_id) != mark:
        upserts.append(row)
        live._unsaved_rows[row.task_id] = mark


def _add_parents_of_removed(live: LiveWorkflow, removed: list[str], upserts: list[TaskRow]):
    if not removed:
        return
    written = {row.task_id for row in upserts}
    removed_set = {UUID(r) for r in removed}
    for key, wf in live.all_workflows():
        for task in wf.tasks.values():
            if str(task.id) in written:
                continue
            # a task whose children list no longer matches what we stored must be rewritten
            if removed_set.intersection(task._children) or len(task._children) != len(set(task._children)):
                _add_row(live, upserts, TaskRow(str(task.id), key, task.task_spec.name, task._state,
                                                REGISTRY.convert(task)), False)


def mark_saved(live: LiveWorkflow, started_at: float):
    live.saved_at = started_at
    live.stored_ids = {key: set(wf.tasks) for key, wf in live.all_workflows()}
    live_ids = {str(tid) for ids in live.stored_ids.values() for tid in ids}
    if live.full_rewrite:
        live.stored_rows = {}
    live.stored_rows.update(live._unsaved_rows)
    live._unsaved_rows = {}
    if len(live.stored_rows) > len(live_ids):  # removed and archived tasks are no longer stored live
        live.stored_rows = {tid: mark for tid, mark in live.stored_rows.items() if tid in live_ids}
    live.pending_archive = []
    live.full_rewrite = False


def restore(bundle: SpecBundle, meta: dict, rows: list[TaskRow], script_engine) -> LiveWorkflow:
    """Rebuild a live workflow from stored rows against an already-built spec."""
    by_key: dict[str, dict[str, TaskRow]] = {}
    for row in rows:
        by_key.setdefault(row.workflow_key, {})[row.task_id] = row
    workflow = BpmnWorkflow(bundle.spec, bundle.subprocess_specs, script_engine=script_engine,
                            deserializing=True)
    _restore_tasks(workflow, meta["top"], by_key.get("", {}))
    workflow.bpmn_events = REGISTRY.restore(meta.get("bpmn_events", []))
    pending = dict(meta.get("subprocesses", {}))
    _restore_subprocesses(workflow, workflow, pending, by_key)
    live = LiveWorkflow(workflow, bundle)
    live._unsaved_rows = {row.task_id: fingerprint(row) for row in rows}  # as read: stored exactly so
    mark_saved(live, time.time())
    return live


def _restore_subprocesses(parent_wf, top, pending: dict, by_key: dict):
    for task in list(parent_wf.tasks.values()):
        key = str(task.id)
        if isinstance(task.task_spec, SubWorkflowTask) and key in pending:
            sub_meta = pending.pop(key)
            spec = top.subprocess_specs.get(task.task_spec.spec)
            sub = BpmnSubWorkflow(spec, task.id, top, deserializing=True)
            _restore_tasks(sub, sub_meta, by_key.get(key, {}))
            top.subprocesses[task.id] = sub
            sub.completed_event.connect(task.task_spec._on_subworkflow_completed, task)
            _restore_subprocesses(sub, top, pending, by_key)


def _restore_tasks(wf, meta: dict, rows: dict[str, TaskRow]):
    root_id = meta["root"]
    wf.tasks = {}
    # parents before children: a task's data is stored as a delta against its parent
    queue = [root_id]
    while queue:
        tid = queue.pop()
        row = rows.get(tid)
        if row is None:
            continue
        task = REGISTRY.restore(row.payload, workflow=wf)
        wf.tasks[task.id] = task
        queue.extend(row.payload["children"])
    wf.task_tree = wf.tasks[UUID(root_id)]
    wf.success = meta["success"]
    wf.completed = meta.get("completed", False)
    wf.correlations = meta.get("correlations", {})
    last = meta.get("last_task")
    wf.last_task = wf.tasks.get(UUID(last)) if last else None
    wf.data = REGISTRY.restore(meta.get("data", {}))
