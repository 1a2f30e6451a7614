"""What changed between two versions of a process, and moving a running workflow to a newer version.

Built on SpiffWorkflow's diff utilities: specs are aligned by BPMN id (SpecDiff); a running workflow's
tasks are compared with the new spec (WorkflowDiff) and moved with migrate_workflow, which resets and
re-predicts the ready and waiting branches. A migration is refused when a task the case is at (ready,
waiting, started) was removed or changed, or when a finished step no longer exists in the new version.
"""
from SpiffWorkflow.bpmn.util.diff import SpecDiff, diff_dependencies, diff_workflow, filter_tasks, migrate_workflow
from SpiffWorkflow.util.task import TaskState

from .specs import REGISTRY, SpecBundle
from .state import LiveWorkflow

ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED
# attributes that change when flows around an element change; re-prediction after the move handles them
FLOW_ATTRIBUTES = {"inputs", "outputs"}
# a new name or documentation of a waiting task is no reason to keep its cases on the old version
LABEL_ATTRIBUTES = {"bpmn_name", "documentation"}


def _element(spec) -> dict:
    return {"id": getattr(spec, "bpmn_id", None) or spec.name, "name": getattr(spec, "bpmn_name", None) or "",
            "type": spec.__class__.__name__}


def _visible(spec) -> bool:
    return getattr(spec, "bpmn_id", None) is not None


def spec_changes(old: SpecBundle, new: SpecBundle) -> dict:
    """Elements added, removed and changed (by BPMN id, with names and changed attributes)."""
    result = {"added": [], "removed": [], "changed": []}
    pairs = [(old.spec, new.spec)]
    sub_diffs, added_subs = diff_dependencies(REGISTRY, old.subprocess_specs, new.subprocess_specs)
    pairs += [(old.subprocess_specs[name], new.subprocess_specs[name]) for name, d in sub_diffs.items() if d]
    for name, diff in sub_diffs.items():
        if diff is None:
            result["removed"] += [_element(s) for s in old.subprocess_specs[name].task_specs.values() if _visible(s)]
    for name in added_subs:
        result["added"] += [_element(s) for s in new.subprocess_specs[name].task_specs.values() if _visible(s)]
    for original, updated in pairs:
        diff = SpecDiff(REGISTRY, original, updated)
        result["added"] += [_element(s) for s in diff.added if _visible(s)]
        result["removed"] += [_element(s) for s in diff.removed if _visible(s)]
        for spec, attributes in diff.changed.items():
            if _visible(spec):
                result["changed"].append({**_element(diff.alignment[spec] or spec), "attributes": sorted(attributes)})
    for key in result:
        result[key] = sorted({e["id"]: e for e in result[key]}.values(), key=lambda e: e["id"])
    return result


def _blockers_in(workflow, diff) -> list[dict]:
    reasons = []
    if diff is None:
        return [{"code": "subprocess_removed", "element_id": workflow.spec.name, "name": workflow.spec.name}]
    for task in diff.removed:
        if task.has_state(ACTIVE):
            reasons.append({"code": "current_removed", **_ids(task)})
        elif task.has_state(TaskState.FINISHED_MASK):
            reasons.append({"code": "history_removed", **_ids(task)})
    for task in filter_tasks(diff.changed, state=ACTIVE):
        spec_diff_attrs = _changed_attributes(task, diff)
        if spec_diff_attrs - FLOW_ATTRIBUTES - LABEL_ATTRIBUTES:
            reasons.append({"code": "current_changed", **_ids(task), "attributes": sorted(spec_diff_attrs)})
    return reasons


def _ids(task) -> dict:
    return {"element_id": getattr(task.task_spec, "bpmn_id", None) or task.task_spec.name,
            "name": getattr(task.task_spec, "bpmn_name", None) or ""}


def _changed_attributes(task, diff) -> set:
    new_spec = diff.alignment.get(task)
    if new_spec is None:
        return set()
    old, new = REGISTRY.convert(task.task_spec), REGISTRY.convert(new_spec)
    return {key for key, value in old.items() if new.get(key) != value}


def migration_blockers(live: LiveWorkflow, new: SpecBundle) -> list[dict]:
    """Why the workflow cannot move to the new spec (empty when it can)."""
    if live.workflow.spec.name != new.spec.name:
        return [{"code": "other_process", "element_id": "", "name": new.spec.name}]
    top_diff, sub_diffs = diff_workflow(REGISTRY, live.workflow, new.spec, new.subprocess_specs)
    reasons = _blockers_in(live.workflow, top_diff)
    for sub_id, sub_diff in sub_diffs.items():
        reasons += _blockers_in(live.workflow.subprocesses[sub_id], sub_diff)
    return reasons


def migrate(live: LiveWorkflow, new: SpecBundle) -> LiveWorkflow:
    """Move the live workflow to the new spec in place; every task is rewritten at the next save.
    Waiting timers that still exist keep their due time. Call migration_blockers first."""
    wf = live.workflow
    timers = {t.id: dict(t.internal_data) for t in wf.get_tasks(state=TaskState.WAITING)
              if "event_value" in t.internal_data}
    top_diff, sub_diffs = diff_workflow(REGISTRY, wf, new.spec, new.subprocess_specs)
    for sub_id, sub_diff in sub_diffs.items():
        sub = wf.subprocesses[sub_id]
        migrate_workflow(sub_diff, sub, new.subprocess_specs[sub.spec.name])
    migrate_workflow(top_diff, wf, new.spec)
    wf.subprocess_specs = new.subprocess_specs
    tasks = {t.id: t for w in (wf, *wf.subprocesses.values()) for t in w.tasks.values()}
    for task_id, data in timers.items():
        task = tasks.get(task_id)
        if task is not None and task.has_state(TaskState.WAITING | TaskState.FUTURE):
            task.internal_data.update(data)
    live.bundle = new
    live.full_rewrite = True
    live.extra = {}  # what was known about stored human tasks and timers must be read again
    return live
