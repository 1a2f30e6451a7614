"""BPMN messages from outside: which messages a workflow waits for, which messages start a process, and
delivering one (intermediate catch event, boundary event or receive task; message start event)."""
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.util.task import TaskState

from .runner import _check_depth, _guard, _run_engine
from .state import LiveWorkflow


def _message_definition(definition, name: str):
    """The message event definition named `name` in an event's definition (also inside a multiple one)."""
    if isinstance(definition, MessageEventDefinition):
        return definition if definition.name == name else None
    for inner in getattr(definition, "event_definitions", None) or []:
        found = _message_definition(inner, name)
        if found is not None:
            return found
    return None


def _all_names(definition) -> set[str]:
    if isinstance(definition, MessageEventDefinition):
        return {definition.name}
    return {n for d in getattr(definition, "event_definitions", None) or [] for n in _all_names(d)}


def _waiting(live: LiveWorkflow):
    for task in live.workflow.event_manager.tasks.values():
        if task.state & (TaskState.WAITING | TaskState.READY | TaskState.STARTED):
            yield task


def waiting_for(live: LiveWorkflow) -> set[str]:
    """Names of the messages the workflow waits for now."""
    return {n for task in _waiting(live) for n in _all_names(getattr(task.task_spec, "event_definition", None))}


def _spec_dicts(spec: dict):
    yield (spec or {}).get("spec") or {}
    yield from ((spec or {}).get("subprocess_specs") or {}).values()


def caught_messages(spec: dict) -> dict:
    """From a serialized spec: {"start": [message names of message start events], "catch": [message names
    of the other catching events and receive tasks], "forms": {message name: the form its data must match
    (property messageForm of the catching event)}} (read without building the workflow)."""
    start, catch, forms = set(), set(), {}
    top = ((spec or {}).get("spec") or {}).get("name")
    for part in _spec_dicts(spec):
        for task in (part.get("task_specs") or {}).values():
            definition = task.get("event_definition") if isinstance(task, dict) else None
            names = _names_in(definition)
            if not names:
                continue
            form = ((task.get("extensions") or {}).get("properties") or {}).get("messageForm")
            if form:
                forms.update({name: form for name in names})
            if task.get("typename") == "StartEvent" and part.get("name") == top:
                start.update(names)
            else:
                catch.update(names)
    return {"start": sorted(start), "catch": sorted(catch), "forms": forms}


def _names_in(definition) -> list[str]:
    if not isinstance(definition, dict):
        return []
    if definition.get("typename") == "MessageEventDefinition":
        return [definition.get("name")]
    return [n for d in definition.get("event_definitions") or [] for n in _names_in(d)]


@_guard
def deliver(live: LiveWorkflow, name: str, payload: dict) -> bool:
    """Deliver message `name`; its payload is merged into the data of the catching event, and so into the
    case. Runs the engine on. False when the workflow does not wait for the message."""
    catching = [(t, _message_definition(getattr(t.task_spec, "event_definition", None), name))
                for t in list(_waiting(live))]
    catching = [(t, d) for t, d in catching if d is not None]
    if not catching:
        return False
    for task, _definition in catching:
        task.set_data(**payload)
    live.workflow.event_manager.catch(BpmnEvent(catching[0][1], payload=dict(payload)), internal=False)
    _run_engine(live.workflow)
    _check_depth(live)
    return True
