"""Operator actions on a live workflow: cancel, correct data, skip a failed step, move to another element.

Each function works on the live copy in memory; the service layer saves it (or discards it for a dry run).
"""
from copy import deepcopy

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent, IntermediateCatchEvent
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.specs.mixins.exclusive_gateway import ExclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.inclusive_gateway import InclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.parallel_gateway import ParallelGateway
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.util.task import TaskState

from .runner import HUMAN, EngineError, _guard, _run_engine, _check_depth
from .state import LiveWorkflow

ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED
GATEWAYS = (ExclusiveGateway, InclusiveGateway, ParallelGateway)
MAX_SKIPS = 20  # the same failing element inside a loop: skipped at most this many times in one step


class NotPossible(Exception):
    """The action cannot be done on this case (the message says why)."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params


def _active_top(wf) -> list:
    return [t for t in wf.tasks.values() if t._state & ACTIVE]


def cancel(live: LiveWorkflow) -> None:
    """Cancel every unfinished task (subprocesses included): nothing waits any more."""
    live.workflow.cancel()
    live.workflow.completed = False  # ended by an operator, not completed: the service records "cancelled"
    live.full_rewrite = True


def set_data(live: LiveWorkflow, changes: dict) -> None:
    """Set case-data fields where the next steps read them: every active task (human tasks, waiting timers
    and events), the most recently finished task and workflow-level data that already holds the field."""
    wf = live.workflow
    tasks = [t for w in (wf, *wf.subprocesses.values()) for t in w.tasks.values() if t._state & ACTIVE]
    if wf.last_task is not None and wf.last_task.id in wf.tasks:
        tasks.append(wf.last_task)
    for task in tasks:
        task.data.update(deepcopy(changes))
    for key, value in changes.items():
        if key in wf.data:
            wf.data[key] = deepcopy(value)
    live.full_rewrite = True  # finished tasks changed too: the next save writes every task


def _errored(wf, element_id: str) -> list:
    return [t for w in (wf, *wf.subprocesses.values()) for t in w.tasks.values()
            if t._state == TaskState.ERROR and t.task_spec.bpmn_id == element_id]


def spec_kind(spec) -> str:
    """A coarse element kind used to decide what an operator may do with it."""
    if isinstance(spec, HUMAN):
        return "human"
    if isinstance(spec, GATEWAYS):
        return "gateway"
    if isinstance(spec, (StartEvent, BoundaryEvent)):
        return "start"
    if isinstance(spec, EndEvent):
        return "end"
    if isinstance(spec, (IntermediateCatchEvent, CatchingEvent)):
        return "event"
    if isinstance(spec, SubWorkflowTask):
        return "subprocess"
    return "task"


def skippable(bundle, element_id: str) -> bool:
    spec = _find_spec(bundle, element_id, everywhere=True)
    return spec is not None and spec_kind(spec) in ("task", "subprocess")


def run_skipping(live: LiveWorkflow, action, element_id: str) -> int:
    """Run action() (a runner call); whenever it fails at `element_id`, mark that element done without
    running it and go on. Returns how many times it was skipped. Other failures are raised."""
    wf = live.workflow
    skipped = 0
    try:
        action()
        return 0
    except EngineError as first:
        error = first
    while True:
        failed = _errored(wf, element_id)
        if not failed or skipped >= MAX_SKIPS:
            raise error
        for task in failed:
            task.complete()
            skipped += 1
        try:
            _skip_run(live)
            return skipped
        except EngineError as again:
            error = again


@_guard
def _skip_run(live: LiveWorkflow):
    _run_engine(live.workflow)
    _check_depth(live)


def _find_spec(bundle, element_id: str, everywhere: bool = False):
    specs = [bundle.spec, *bundle.subprocess_specs.values()] if everywhere else [bundle.spec]
    for process_spec in specs:
        for spec in process_spec.task_specs.values():
            if getattr(spec, "bpmn_id", None) == element_id:
                return spec
    return None


def move_targets(bundle) -> list[dict]:
    """Elements of the top-level process a case can be moved to: activities, catching events, end events."""
    out = []
    for spec in bundle.spec.task_specs.values():
        element = getattr(spec, "bpmn_id", None)
        if element is None:
            continue
        kind = spec_kind(spec)
        if kind in ("human", "task", "subprocess", "event", "end"):
            out.append({"element_id": element, "name": spec.bpmn_name or "", "kind": kind})
    return sorted(out, key=lambda e: e["element_id"])


def move(live: LiveWorkflow, element_id: str) -> None:
    """Cancel what the case is doing now and continue from `element_id` (top-level process only).
    The case keeps its data; the element runs as if its incoming flow had just been taken."""
    wf = live.workflow
    spec = _find_spec(live.bundle, element_id)
    if spec is None or spec_kind(spec) not in ("human", "task", "subprocess", "event", "end"):
        raise NotPossible("not_a_target", element_id=element_id)
    active = _active_top(wf)
    anchor = active[0] if active else wf.last_task
    if anchor is None or anchor.parent is None:
        raise NotPossible("nowhere")
    parent = anchor.parent
    while parent.parent is not None and not parent.has_state(TaskState.COMPLETED):
        parent = parent.parent
    data = deepcopy(runner_data(live))
    for task in active:
        if task.id in wf.subprocesses:
            wf.delete_subprocess(task)
        if task.id in wf.tasks:
            task.cancel()
    # a task with boundary events is entered through its boundary split
    inputs = [s for s in spec.inputs if isinstance(s, BoundaryEventSplit)]
    entry = inputs[0] if inputs else spec
    new = parent._add_child(entry, TaskState.FUTURE)
    new.data = data
    wf.last_task = parent
    wf.completed = False
    entry._predict(new, mask=TaskState.PREDICTED_MASK | TaskState.FUTURE)  # as Task.reset_branch does
    entry._update(new)
    live.full_rewrite = True
    _move_run(live)


@_guard
def _move_run(live: LiveWorkflow):
    _run_engine(live.workflow)
    _check_depth(live)


def runner_data(live: LiveWorkflow) -> dict:
    from .runner import workflow_data
    return workflow_data(live)


def human_tasks(live: LiveWorkflow) -> list[dict]:
    from .runner import ready_human_tasks
    return [{"id": t["id"], "element_id": t["element_id"]} for t in ready_human_tasks(live)]
