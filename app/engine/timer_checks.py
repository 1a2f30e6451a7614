"""Publish-time check of timer expressions: each is compiled and evaluated with no case data, so a syntax
error, an unknown function, a bad duration or a computed value that is no ISO 8601 date, duration or cycle
is refused before any case waits on it (constant values are the modelling rules' part). A variable of the case data (NameError) is accepted: its value exists only when
the case runs."""
import ast

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition, DurationTimerEventDefinition, TimerEventDefinition,
)

from .. import workcalendar
from . import budget
from .scripting import SCRIPT_GLOBALS, RestrictedEnvironment, check_expression

_CALENDAR_FUNCTIONS = ("deadline",)  # their first argument is a due expression (P10D, PT24H, 2WD, 4WH)


def _known_names() -> set[str]:
    return set(SCRIPT_GLOBALS) | set(SCRIPT_GLOBALS["__builtins__"])


def _static_problems(tree: ast.AST) -> list[str]:
    problems = []
    known = _known_names()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            continue
        name = node.func.id
        if name not in known:
            problems.append(f"unknown function {name}()")
        elif name in _CALENDAR_FUNCTIONS and node.args and isinstance(node.args[0], ast.Constant):
            if msg := workcalendar.check_due_expression(str(node.args[0].value)):
                problems.append(msg)
    return problems


def _is_literal(tree: ast.AST) -> bool:
    try:
        ast.literal_eval(tree)
        return True
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False


def _value_problem(definition: TimerEventDefinition, value) -> str | None:
    try:
        if not isinstance(value, str):
            raise TypeError(type(value).__name__)
        if isinstance(definition, CycleTimerEventDefinition):
            TimerEventDefinition.parse_iso_recurring_interval(value)
        elif isinstance(definition, DurationTimerEventDefinition):
            TimerEventDefinition.parse_iso_duration(value)
        else:
            TimerEventDefinition.get_datetime(value)
    except Exception:
        wanted = {CycleTimerEventDefinition: "a cycle such as R3/PT1H",
                  DurationTimerEventDefinition: "an ISO 8601 duration such as P10D"}.get(
            type(definition), "an ISO 8601 date and time")
        return f"the value {value!r} is not {wanted}"
    return None


def check_timer(definition: TimerEventDefinition) -> list[str]:
    expression = (definition.expression or "").strip()
    if not expression:
        return ["the timer has no expression"]
    problems = check_expression(expression)
    if problems:
        return problems
    tree = ast.parse(expression, mode="eval")
    if _is_literal(tree):
        return []  # constant values are checked by the modelling rules (bpmn_lint.timer_literal_problem)
    problems = _static_problems(tree)
    if problems:
        return problems
    try:
        value = RestrictedEnvironment().evaluate(expression, {})  # under the same time budget as a step
    except budget.StepRefused as exc:
        return [f"cannot be evaluated: {exc.message}"]
    except NameError:
        return []  # uses case data; checked when the case runs
    except Exception as exc:  # anything else will fail the same way when the case runs
        return [f"cannot be evaluated: {exc.__class__.__name__}: {exc}"]
    problem = _value_problem(definition, value)
    return [problem] if problem else []
