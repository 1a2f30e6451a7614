"""Restricted execution of scripts and expressions inside diagrams.

Scripts see the task data and a small set of safe builtins; imports, file and network access,
underscore ("dunder") attributes and assignments to foreign objects are refused at compile or run time.
"""
import _strptime
import ast
import datetime as _dt
import decimal
import time as _time
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache

from RestrictedPython import compile_restricted_eval, compile_restricted_exec, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem
from RestrictedPython.Guards import full_write_guard, guarded_iter_unpack_sequence, guarded_unpack_sequence
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

from .. import clock, workcalendar
from . import budget, script_guards


class ScriptRefused(Exception):
    """The script uses something the restricted environment does not allow."""


# modules the interpreter itself imports inside allowed calls (datetime.strptime imports _strptime); scripts
# cannot call __import__ themselves (underscore names and import statements are refused when compiling)
_INTERNAL_IMPORTS = {"_strptime": _strptime, "time": _time}


def _refuse_import(name=None, *_args, **_kwargs):
    if name in _INTERNAL_IMPORTS:
        return _INTERNAL_IMPORTS[name]
    raise ScriptRefused("import is not allowed in diagram scripts")


_BUILTINS = {k: v for k, v in safe_builtins.items() if k not in script_guards.HIDDEN_BUILTINS}
_BUILTINS.update({
    "__import__": _refuse_import,
    "min": min, "max": max, "sum": sum, "len": len, "sorted": sorted, "any": any, "all": all,
    "list": list, "dict": dict, "set": set, "tuple": tuple, "enumerate": enumerate, "zip": zip,
    "map": map, "filter": filter, "reversed": reversed, "range": range, "round": round,
    "abs": abs, "str": str, "int": int, "float": float, "bool": bool,
})
_BUILTINS.update(script_guards.BUILTINS)

def _start_time(start: str) -> _dt.datetime:
    """A deadline's start as naive UTC: an ISO time (with or without offset; without one it is UTC), or a
    date (YYYY-MM-DD), which is a China date and starts at 00:00 China time."""
    text = str(start).strip()
    if len(text) == 10:
        return workcalendar.china_midnight(_dt.date.fromisoformat(text))
    value = _dt.datetime.fromisoformat(text)
    if value.tzinfo is not None:
        value = value.astimezone(_dt.timezone.utc)
    return value.replace(tzinfo=None)


def deadline(expression: str, start: str | None = None) -> str:
    """ISO time (UTC, with offset) of a due expression counted from now or from start (an ISO time, or a China
    date): deadline("2WD"), deadline("P10D", received_on). Whole calendar days end at 23:59:59 China time of
    the last day; working days at the end of the working day on the company calendar."""
    base = _start_time(start) if start else clock.now()
    return workcalendar.due_at(expression, base).replace(tzinfo=_dt.timezone.utc).isoformat()


def month_start(months: int = 1) -> str:
    """ISO time (UTC) of midnight, China time, on the 1st of the month `months` from now (timer expressions)."""
    return workcalendar.month_start(clock.now(), int(months)).replace(tzinfo=_dt.timezone.utc).isoformat()


def today() -> str:
    """Today's date in China (ISO, YYYY-MM-DD), never the UTC date: e.g. received_on = today(), or the month
    a review covers: today()[:7]."""
    return workcalendar.china_today(clock.now()).isoformat()


def now_iso() -> str:
    """The current instant as ISO 8601 in UTC with its offset (e.g. 2026-03-01T23:30:00+00:00), comparable
    with deadline(...). It is no date: its first characters are the UTC date, which is the day before in
    China until 08:00 — a date derived from now is today()."""
    return clock.now().replace(tzinfo=_dt.timezone.utc).isoformat()


# Functions that need the database or the acting user (e.g. next_number) are bound by the service layer
# for the duration of one step; outside a step a script calling them is refused.
_STEP_FUNCTIONS: ContextVar[dict] = ContextVar("step_functions", default={})
STEP_FUNCTION_NAMES = ("next_number", "register_contact", "key_customer_candidates", "apply_key_customers")


def _step_function(name: str):
    def call(*args, **kwargs):
        func = _STEP_FUNCTIONS.get().get(name)
        if func is None:
            raise ScriptRefused(f"{name}() is not available here")
        return func(*args, **kwargs)
    call.__name__ = name
    return call


@contextmanager
def step_functions(**functions):
    """Bind step functions (name -> callable) for scripts run inside the with-block."""
    token = _STEP_FUNCTIONS.set({**_STEP_FUNCTIONS.get(), **functions})
    try:
        yield
    finally:
        _STEP_FUNCTIONS.reset(token)


SCRIPT_GLOBALS = {
    "__builtins__": _BUILTINS,
    "_getitem_": default_guarded_getitem,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,
    **script_guards.GLOBALS,
    "date": _dt.date,
    "datetime": _dt.datetime,
    "timedelta": _dt.timedelta,
    "Decimal": decimal.Decimal,
    "deadline": deadline,
    "month_start": month_start,
    "today": today,
    "now_iso": now_iso,
    "field": lambda name, default=None: default,  # bound to the case's data when a script or expression runs
    **{name: _step_function(name) for name in STEP_FUNCTION_NAMES},
}


def _field_of(context: dict):
    def field(name: str, default=None):
        """A case field's value, or `default` when the case has no such field (yet): e.g. a condition on a
        field that cases started on an earlier version never had, field("batch_repair", False)."""
        value = context.get(name, default)
        return default if value is None else value
    return field


# builtins that reach files, code or other objects' internals: absent from the sandbox, and named in the
# refusal at publish time instead of failing as an unknown name when the case runs
FORBIDDEN_NAMES = ("open", "getattr", "globals", "locals", "vars", "compile", "memoryview", "__builtins__")


# readings of the server's own clock: not the product clock, and not a China date
_CLOCK_READS = {("date", "today"), ("datetime", "today"), ("datetime", "now"), ("datetime", "utcnow"),
                ("date", "fromtimestamp"), ("datetime", "fromtimestamp"), ("datetime", "utcfromtimestamp")}


def _refuse_forbidden_names(tree) -> None:
    used = sorted({node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and node.id in FORBIDDEN_NAMES})
    if used:
        raise ScriptRefused(", ".join(used) + " is not allowed in diagram scripts")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and (node.value.id, node.attr) in _CLOCK_READS:
            raise ScriptRefused(f"{node.value.id}.{node.attr}() reads the server's clock; use today() "
                                "(China date) or now_iso() instead")


@lru_cache(maxsize=4096)
def _compile_exec(script: str):
    try:
        tree = ast.parse(script)
    except SyntaxError as exc:
        raise ScriptRefused(f"syntax error on line {exc.lineno}: {exc.msg}") from None
    if any(isinstance(node, (ast.Import, ast.ImportFrom)) for node in ast.walk(tree)):
        raise ScriptRefused("import is not allowed in diagram scripts")
    _refuse_forbidden_names(tree)
    result = compile_restricted_exec(script, filename="<script>", policy=script_guards.BudgetedTransformer)
    if result.errors:
        raise ScriptRefused("; ".join(result.errors))
    return result.code


@lru_cache(maxsize=8192)
def _compile_eval(expression: str):
    try:
        _refuse_forbidden_names(ast.parse(expression, mode="eval"))
    except SyntaxError:
        pass  # reported by the restricted compiler below
    result = compile_restricted_eval(expression, filename="<expression>", policy=script_guards.BudgetedTransformer)
    if result.errors:
        raise ScriptRefused("; ".join(result.errors))
    return result.code


def check_script(script: str) -> list[str]:
    """Compile-time check used at publish time; returns the reasons a script is refused."""
    try:
        _compile_exec(script)
        return []
    except ScriptRefused as exc:
        return [str(exc)]


def check_expression(expression: str) -> list[str]:
    try:
        _compile_eval(expression)
        return []
    except ScriptRefused as exc:
        return [str(exc)]


class RestrictedEnvironment(TaskDataEnvironment):
    """Task-data environment whose scripts and expressions run through RestrictedPython."""

    def __init__(self, extra_globals=None):
        super().__init__(dict(SCRIPT_GLOBALS, **(extra_globals or {})))

    def evaluate(self, expression, context, external_context=None):
        scope = dict(self.globals)
        scope["field"] = _field_of(context)
        scope.update(external_context or {})
        scope.update(context)
        code = _compile_eval(expression)
        with budget.step():  # outside a step (e.g. validation) the expression gets a budget of its own
            budget.check()
            return eval(code, scope)  # nosec B307 # RestrictedPython bytecode, guarded globals

    def execute(self, script, context, external_context=None):
        code = _compile_exec(script)
        self.check_for_overwrite(context, external_context or {})
        context.update(self.globals)
        context["field"] = _field_of(context)
        context.update(external_context or {})
        try:
            with budget.step():
                budget.check()
                exec(code, context)  # nosec B102 # RestrictedPython bytecode, guarded globals
        finally:
            self._remove_globals_and_functions_from_context(context, external_context)
        try:
            budget.check_data(context, what="the data the script leaves")
        except budget.DataRefused as exc:
            raise budget.StepRefused(exc.message) from None
        return True

    def _remove_globals_and_functions_from_context(self, context, external_context=None):
        for key in list(context):
            if key == "__builtins__" or key in self.globals or callable(context[key]) \
                    or (external_context and key in external_context):
                context.pop(key)


class BudgetedScriptEngine(PythonScriptEngine):
    """Names the element whose expression ran out of budget, and keeps multi-instance counts within
    MULTI_INSTANCE_LIMIT when the count is computed."""

    def evaluate(self, task, expression, external_context=None):
        try:
            value = super().evaluate(task, expression, external_context)
        except budget.StepRefused as exc:
            exc.element_id = exc.element_id or getattr(task.task_spec, "bpmn_id", "") or ""
            raise
        if expression is not None and expression == getattr(task.task_spec, "cardinality", None) \
                and isinstance(value, int) and value > budget.cardinality_limit():
            raise budget.StepRefused(f"the multi-instance count {value:,} is over the limit of "
                                     f"{budget.cardinality_limit():,}", getattr(task.task_spec, "bpmn_id", "") or "")
        return value

    def execute(self, task, script, external_context=None):
        try:
            return super().execute(task, script, external_context)
        except budget.StepRefused as exc:
            exc.element_id = exc.element_id or getattr(task.task_spec, "bpmn_id", "") or ""
            raise


def make_script_engine() -> PythonScriptEngine:
    return BudgetedScriptEngine(environment=RestrictedEnvironment())
