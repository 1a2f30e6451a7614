"""Timer events on the product's clock, and the list of timers an instance is waiting for.

SpiffWorkflow's timer definitions read ``datetime.now``; here they read ``app.clock`` instead, so a
controlled clock drives timers in tests and a fired timer is stamped with the same time as everything else.
"""
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _timer
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition, DurationTimerEventDefinition, TimeDateEventDefinition, TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.util.task import TaskState

from .. import clock


class _ClockDatetime(datetime):
    @classmethod
    def now(cls, tz=None):
        current = clock.now().replace(tzinfo=timezone.utc)
        return current.astimezone(tz) if tz is not None else current.replace(tzinfo=None)


_timer.datetime = _ClockDatetime

# Timers fire through one path (services.cases.timers: audit event, escalation, notification), also when a
# timer is already past due as it starts waiting (a complaint registered late): inside a held block the
# engine computes a date or duration timer's due time but does not fire it; the firing step releases them.
_HOLD: ContextVar[bool] = ContextVar("hold_timers", default=False)


def _held(has_fired):
    def checked(self, my_task):
        return has_fired(self, my_task) and not _HOLD.get()
    return checked


TimeDateEventDefinition.has_fired = _held(TimeDateEventDefinition.has_fired)
DurationTimerEventDefinition.has_fired = _held(DurationTimerEventDefinition.has_fired)


@contextmanager
def hold(value: bool = True):
    """Inside the block due date and duration timers do not fire (value False: they do)."""
    token = _HOLD.set(value)
    try:
        yield
    finally:
        _HOLD.reset(token)


def _as_naive_utc(value) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, dict):  # cycle timers keep {"cycles", "next", "duration"}
        value = value.get("next")
    if isinstance(value, str):
        value = TimerEventDefinition.get_datetime(value)
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def waiting_timers(live) -> list[dict]:
    """Timer events the instance waits for: task id, element id, due time (naive UTC), kind."""
    result = []
    for wf in (live.workflow, *live.workflow.subprocesses.values()):
        for task in wf.tasks.values():
            if task._state != TaskState.WAITING:
                continue
            definition = _timer_definition(getattr(task.task_spec, "event_definition", None))
            if definition is None:
                continue
            value = task._get_internal_data("event_value")
            if value is None:
                definition.has_fired(task) if not isinstance(definition, CycleTimerEventDefinition) \
                    else definition.cycle_complete(task)
                value = task._get_internal_data("event_value")
            attached = _attached_task(task)
            result.append({
                "task_id": str(task.id), "element_id": task.task_spec.bpmn_id,
                "name": task.task_spec.bpmn_name,
                "due_at": _as_naive_utc(value), "kind": definition.__class__.__name__,
                "attached_to": attached.task_spec.bpmn_id if attached is not None else None,
                "attached_task_id": str(attached.id) if attached is not None else None,
                "properties": dict((getattr(task.task_spec, "extensions", None) or {}).get("properties") or {}),
            })
    return result


def _timer_definition(definition):
    """The timer a waiting task watches: its own, or the one among an event-based gateway's events."""
    if isinstance(definition, TimerEventDefinition):
        return definition
    if isinstance(definition, MultipleEventDefinition):
        return next((d for d in definition.event_definitions if isinstance(d, TimerEventDefinition)), None)
    return None


def _attached_task(task):
    """For a boundary timer, the activity it watches (its sibling under the boundary split)."""
    if not isinstance(task.task_spec, BoundaryEvent) or task.parent is None:
        return None
    return next((t for t in task.parent.children if not isinstance(t.task_spec, BoundaryEvent)), None)


def reschedule(live, task_id: str, due: datetime) -> bool:
    """Move a waiting date or duration timer to a new due time (naive UTC); False when there is no such timer."""
    for wf in (live.workflow, *live.workflow.subprocesses.values()):
        for task in wf.tasks.values():
            if str(task.id) != task_id or task._state != TaskState.WAITING:
                continue
            definition = _timer_definition(getattr(task.task_spec, "event_definition", None))
            if definition is None or isinstance(definition, CycleTimerEventDefinition):
                return False
            task._set_internal_data(event_value=due.replace(tzinfo=timezone.utc).isoformat())
            live.full_rewrite = True  # the waiting task's stored state changed without a state change
            return True
    return False
