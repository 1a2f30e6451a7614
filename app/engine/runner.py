"""Running workflows: start, advance, list and complete human tasks. Raises EngineError on failure."""
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.mixins import ManualTaskMixin, NoneTaskMixin, UserTaskMixin
from SpiffWorkflow.exceptions import SpiffWorkflowException, TaskNotFoundException
from SpiffWorkflow.util.task import TaskState

from . import budget, timers  # noqa: F401  (timers read the product clock)
from .compaction import compact
from .scripting import ScriptRefused, make_script_engine, step_functions  # noqa: F401 (re-exported)
from .specs import SpecBundle
from .state import LiveWorkflow

HUMAN = (UserTaskMixin, ManualTaskMixin, NoneTaskMixin)  # a plain bpmn:task is done by hand, like a manual task
_ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED
SCRIPT_ENGINE = make_script_engine()


class EngineError(Exception):
    """A step failed inside the engine (script error, bad condition, ...)."""

    def __init__(self, message: str, element_id: str = ""):
        super().__init__(message)
        self.message = message
        self.element_id = element_id


class TaskNotReady(Exception):
    """The task does not exist (any more) or is not waiting for a person."""


def _element_of(exc) -> str:
    spec = getattr(exc, "task_spec", None)
    task = getattr(exc, "task", None)
    if spec is None and task is not None:
        spec = task.task_spec
    return getattr(spec, "bpmn_id", None) or getattr(spec, "name", "") if spec is not None else ""


def _guard(func):
    """Run one step of the engine under the step's time budget; every failure becomes an EngineError."""
    def wrapper(*args, **kwargs):
        try:
            with budget.step():
                return func(*args, **kwargs)
        except (TaskNotReady, EngineError):
            raise
        except budget.StepRefused as exc:
            raise EngineError(exc.message, exc.element_id) from exc
        except RecursionError as exc:  # a chain of elements deeper than the engine's tree walks can follow
            raise EngineError("the case's path is too long to run in one step (a chain of several hundred "
                              "elements without a wait state); split it with a wait state") from exc
        except ScriptRefused as exc:
            raise EngineError(f"script refused: {exc}") from exc
        except SpiffWorkflowException as exc:
            inner = getattr(exc, "error_type", "")
            message = str(exc).strip().rstrip(".")
            if inner and message.startswith(inner + ":"):
                message = message[len(inner) + 1:].strip()
            if inner and inner != "unknown":
                message = f"{inner}: {message}"
            raise EngineError(message, _element_of(exc)) from exc
    return wrapper


def _engine_checkpoint(task) -> None:
    """Before each element the engine runs: a cycle of gateways and events without any expression must
    not run past the step's time budget either."""
    try:
        budget.check()
        _check_instance_count(task)
    except budget.StepRefused as exc:
        exc.element_id = exc.element_id or getattr(task.task_spec, "bpmn_id", "") or ""
        raise


def _check_instance_count(task) -> None:
    """A multi-instance element over a collection of the case data has at most MULTI_INSTANCE_LIMIT items.
    Checked on the element before it (its instances are created as soon as the case reaches it) with the
    data passed on; a computed loop cardinality is checked where it is evaluated (BudgetedScriptEngine)."""
    for spec in (task.task_spec, *task.task_spec.outputs):
        data_input = getattr(spec, "data_input", None)
        if data_input is None or not hasattr(spec, "cardinality"):
            continue
        try:
            items = data_input.get(task)
        except Exception:  # noqa: BLE001 # nosec B112 - a missing collection fails in the engine with its own message
            continue
        if hasattr(items, "__len__") and len(items) > budget.cardinality_limit():
            raise budget.StepRefused(f"the multi-instance collection has {len(items):,} items, over the limit "
                                     f"of {budget.cardinality_limit():,}", getattr(spec, "bpmn_id", "") or "")


def _run_engine(wf: BpmnWorkflow):
    wf.refresh_timers()
    wf.do_engine_steps(will_complete_task=_engine_checkpoint)
    _check_case_data(wf)


def _check_case_data(wf: BpmnWorkflow):
    """The data the step leaves must be storable and within the size budget (scripts are checked as they
    run; this catches what data and DMN outputs merged into the case leave)."""
    last = wf.last_task
    data = {**wf.data, **(last.data if last is not None else {})}
    try:
        budget.check_data(data)
    except budget.DataRefused as exc:
        element = last.task_spec.bpmn_id if last is not None else ""
        raise EngineError(exc.message, element or "") from exc


MAX_SAFE_DEPTH = 900  # SpiffWorkflow's tree walks stop at 1,000 levels


def _check_depth(live: LiveWorkflow):
    """Compact long histories; refuse the step if active tasks still lie too deep for the engine to see."""
    compact(live)
    wf = live.workflow
    for task in wf.tasks.values():
        if task._state & _ACTIVE:
            depth, node = 0, task
            while node is not None and depth <= MAX_SAFE_DEPTH:
                node, depth = node.parent, depth + 1
            if depth > MAX_SAFE_DEPTH:
                raise EngineError("the instance's task tree is too deep to continue safely; step refused")


@_guard
def start(bundle: SpecBundle, data: dict) -> LiveWorkflow:
    wf = BpmnWorkflow(bundle.spec, bundle.subprocess_specs, script_engine=SCRIPT_ENGINE)
    wf.task_tree.data.update(data)
    for task in wf.task_tree.children:
        task.data.update(data)
    live = LiveWorkflow(wf, bundle)
    started = 0.0  # everything is new
    _run_engine(wf)
    _check_depth(live)
    live.saved_at = started
    return live


@_guard
def complete(live: LiveWorkflow, task_id: str, data: dict) -> None:
    wf = live.workflow
    task = _human_task(wf, task_id)
    task.data.update(data)
    _engine_checkpoint(task)
    task.run()
    _run_engine(wf)
    _check_depth(live)


@_guard
def advance(live: LiveWorkflow) -> None:
    """Fire what is due (timers) and run the engine until it waits for people or events."""
    _run_engine(live.workflow)
    _check_depth(live)


def _human_task(wf: BpmnWorkflow, task_id: str):
    try:
        task = wf.get_task_from_id(UUID(task_id))
    except (TaskNotFoundException, ValueError):
        raise TaskNotReady(task_id)
    if task is None or not isinstance(task.task_spec, HUMAN) or task.state != TaskState.READY:
        raise TaskNotReady(task_id)
    return task


def ready_human_tasks(live: LiveWorkflow) -> list[dict]:
    result = []
    for wf in (live.workflow, *live.workflow.subprocesses.values()):
        for task in wf.tasks.values():
            if task._state == TaskState.READY and isinstance(task.task_spec, HUMAN):
                result.append({"id": str(task.id), "element_id": task.task_spec.bpmn_id,
                               "data": task.data})
    return result


def is_completed(live: LiveWorkflow) -> bool:
    """The workflow reached its end (the flag SpiffWorkflow sets; no tree walk)."""
    return bool(live.workflow.completed)


def workflow_data(live: LiveWorkflow) -> dict:
    """The case data: workflow data merged with the most recently finished task's data."""
    wf = live.workflow
    data = dict(wf.data)
    last = wf.last_task
    if last is not None:
        data.update(last.data)
    for task in ready_human_tasks(live):
        data.update(task["data"])
    return data





def linked_starts(live: LiveWorkflow, since: float) -> list[dict]:
    """Elements finished since `since` whose property startsProcess asks for a linked case: process id,
    the start data (the dict in the case-data field named by startsProcessData, or None) and the case data."""
    found = []
    for wf in (live.workflow, *live.workflow.subprocesses.values()):
        for task in wf.tasks.values():
            if task._state != TaskState.COMPLETED or task.last_state_change < since:
                continue
            props = (getattr(task.task_spec, "extensions", None) or {}).get("properties") or {}
            if props.get("startsProcess"):
                data = task.data.get(props.get("startsProcessData") or "")
                found.append({"element_id": task.task_spec.bpmn_id, "process_id": props["startsProcess"],
                              "data": dict(data) if isinstance(data, dict) else None, "case": dict(task.data)})
    return found


def evaluate_for_task(live: LiveWorkflow, task_id: str, expression: str, data: dict):
    """Evaluate a diagram expression on a waiting human task's data merged with submitted data."""
    task = _human_task(live.workflow, task_id)
    try:
        return SCRIPT_ENGINE.environment.evaluate(expression, {**task.data, **data})
    except budget.StepRefused as exc:
        raise EngineError(exc.message, task.task_spec.bpmn_id) from exc
    except ScriptRefused as exc:
        raise EngineError(f"script refused: {exc}", task.task_spec.bpmn_id) from exc
    except Exception as exc:  # noqa: BLE001 - any error of the expression itself
        raise EngineError(f"{expression!r}: {exc.__class__.__name__}: {exc}", task.task_spec.bpmn_id) from exc
