"""Restricted execution of scripts and expressions inside diagrams.

Scripts see the task data and a small set of safe builtins; imports, file and network access,
underscore ("dunder") attributes and assignments to foreign objects are refused at compile or run time.
"""
import ast
import datetime as _dt
import decimal
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache

from RestrictedPython import compile_restricted_eval, compile_restricted_exec, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard, guarded_iter_unpack_sequence, guarded_unpack_sequence, safer_getattr,
)
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

from .. import clock, workcalendar


class ScriptRefused(Exception):
    """The script uses something the restricted environment does not allow."""


def _refuse_import(*_args, **_kwargs):
    raise ScriptRefused("import is not allowed in diagram scripts")


def _inplace(op, x, y):
    ops = {"+=": lambda: x + y, "-=": lambda: x - y, "*=": lambda: x * y, "/=": lambda: x / y,
           "//=": lambda: x // y, "%=": lambda: x % y, "**=": lambda: x ** y}
    if op not in ops:
        raise ScriptRefused(f"operator {op} is not allowed")
    return ops[op]()


_BUILTINS = dict(safe_builtins)
_BUILTINS.update({
    "__import__": _refuse_import,
    "min": min, "max": max, "sum": sum, "len": len, "sorted": sorted, "any": any, "all": all,
    "list": list, "dict": dict, "set": set, "tuple": tuple, "enumerate": enumerate, "zip": zip,
    "map": map, "filter": filter, "reversed": reversed, "range": range, "round": round,
    "abs": abs, "str": str, "int": int, "float": float, "bool": bool,
})

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
STEP_FUNCTION_NAMES = ("next_number",)


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
    "_getattr_": safer_getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,
    "_inplacevar_": _inplace,
    "date": _dt.date,
    "datetime": _dt.datetime,
    "timedelta": _dt.timedelta,
    "Decimal": decimal.Decimal,
    "deadline": deadline,
    "month_start": month_start,
    "today": today,
    "now_iso": now_iso,
    **{name: _step_function(name) for name in STEP_FUNCTION_NAMES},
}


# builtins that reach files, code or other objects' internals: absent from the sandbox, and named in the
# refusal at publish time instead of failing as an unknown name when the case runs
FORBIDDEN_NAMES = ("open", "getattr", "globals", "locals", "vars", "compile", "memoryview", "__builtins__")


def _refuse_forbidden_names(tree) -> None:
    used = sorted({node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and node.id in FORBIDDEN_NAMES})
    if used:
        raise ScriptRefused(", ".join(used) + " is not allowed in diagram scripts")


@lru_cache(maxsize=4096)
def _compile_exec(script: str):
    try:
        tree = ast.parse(script)
    except SyntaxError as exc:
        raise ScriptRefused(f"syntax error on line {exc.lineno}: {exc.msg}") from None
    if any(isinstance(node, (ast.Import, ast.ImportFrom)) for node in ast.walk(tree)):
        raise ScriptRefused("import is not allowed in diagram scripts")
    _refuse_forbidden_names(tree)
    result = compile_restricted_exec(script, filename="<script>")
    if result.errors:
        raise ScriptRefused("; ".join(result.errors))
    return result.code


@lru_cache(maxsize=8192)
def _compile_eval(expression: str):
    try:
        _refuse_forbidden_names(ast.parse(expression, mode="eval"))
    except SyntaxError:
        pass  # reported by the restricted compiler below
    result = compile_restricted_eval(expression, filename="<expression>")
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
        scope.update(external_context or {})
        scope.update(context)
        return eval(_compile_eval(expression), scope)  # nosec B307 # RestrictedPython bytecode, guarded globals

    def execute(self, script, context, external_context=None):
        code = _compile_exec(script)
        self.check_for_overwrite(context, external_context or {})
        context.update(self.globals)
        context.update(external_context or {})
        try:
            exec(code, context)  # nosec B102 # RestrictedPython bytecode, guarded globals
        finally:
            self._remove_globals_and_functions_from_context(context, external_context)
        return True

    def _remove_globals_and_functions_from_context(self, context, external_context=None):
        for key in list(context):
            if key == "__builtins__" or key in self.globals or callable(context[key]) \
                    or (external_context and key in external_context):
                context.pop(key)


def make_script_engine() -> PythonScriptEngine:
    return PythonScriptEngine(environment=RestrictedEnvironment())
