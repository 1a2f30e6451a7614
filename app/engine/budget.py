"""Time and size budgets: what keeps one case from hurting the others.

Everything a diagram evaluates (scripts, gateway conditions, DMN input and output expressions, timer and
cardinality expressions) runs inside ``step()``: one deadline per step, shared by every expression the step
evaluates, checked at loop and call checkpoints that the script compiler injects (see ``script_guards``).
The case data a step leaves, and the data a client hands in, is checked by ``check_data``: a JSON object,
at most MAX_DEPTH levels deep, within the size budget, with nothing JSON or PostgreSQL cannot store.

Settings (app.settings, read when used): STEP_TIME_BUDGET (seconds, default 1), CASE_DATA_BUDGET (bytes,
default 1 MB), MULTI_INSTANCE_LIMIT (instances, default 1,000), LOCK_WAIT_SECONDS (default 5).
"""
import json
import math
import re
import time
from contextlib import contextmanager
from contextvars import ContextVar

from ..settings import number

MAX_DEPTH = 64
MAX_INT_BITS = 65_536  # about 20,000 decimal digits: far beyond any amount, quantity or date arithmetic


class StepRefused(BaseException):
    """A step cannot go on within the limits (time, size, storable data, multi-instance count). A
    BaseException so that no `except Exception` in a diagram script, nor SpiffWorkflow's own wrapping of
    script errors, can swallow it; the engine layer turns it into a failed step (the case in error)."""

    def __init__(self, message: str, element_id: str = ""):
        super().__init__(message)
        self.message = message
        self.element_id = element_id


class BudgetExceeded(StepRefused):
    """The step used up its time budget or would exceed the size budget."""


class DataRefused(ValueError):
    """Data that cannot be stored as case data; `field` is the dotted path of the offending value, `kind`
    one of not_object, too_deep, not_json, not_finite, bad_text, bad_key, too_large."""

    def __init__(self, message: str, field: str = "", kind: str = ""):
        super().__init__(message)
        self.message = message
        self.field = field
        self.kind = kind


def time_budget() -> float:
    return number("STEP_TIME_BUDGET")


def size_budget() -> int:
    return int(number("CASE_DATA_BUDGET"))


def cardinality_limit() -> int:
    return int(number("MULTI_INSTANCE_LIMIT"))


def lock_wait() -> float:
    return number("LOCK_WAIT_SECONDS")


_DEADLINE: ContextVar[float | None] = ContextVar("budget_deadline", default=None)
_ITEMS: ContextVar[list | None] = ContextVar("budget_items", default=None)  # items iterated in this step
ITEMS_PER_BYTE = 8  # a step may iterate 8 items per byte of the size budget (8 million by default)


@contextmanager
def step(seconds: float | None = None):
    """Run the with-block under one time budget. Nested blocks share the outermost deadline."""
    if _DEADLINE.get() is not None:
        yield
        return
    token = _DEADLINE.set(time.monotonic() + (time_budget() if seconds is None else seconds))
    items = _ITEMS.set([0, ITEMS_PER_BYTE * size_budget()])
    try:
        yield
    finally:
        _DEADLINE.reset(token)
        _ITEMS.reset(items)


def active() -> bool:
    return _DEADLINE.get() is not None


def check() -> None:
    """Raise BudgetExceeded once the current step's deadline has passed (no-op outside a step)."""
    deadline = _DEADLINE.get()
    if deadline is not None and time.monotonic() > deadline:
        raise BudgetExceeded(f"the step took longer than its time budget of {time_budget():g} s")


def iterated(count: int) -> None:
    """Count items a script iterated (a comprehension can fill memory faster than time runs out): the
    deadline is checked, and more than ITEMS_PER_BYTE items per byte of the size budget in one step is
    refused."""
    check()
    items = _ITEMS.get()
    if items is not None:
        items[0] += count
        if items[0] > items[1]:
            raise BudgetExceeded(f"the step iterated more than {items[1]:,} items, over its size budget")


def too_large(what: str) -> BudgetExceeded:
    return BudgetExceeded(f"{what} would exceed the size budget of {_size_label(size_budget())}")


def _size_label(size: int) -> str:
    return f"{size / 1024 / 1024:g} MB" if size >= 1024 * 1024 else f"{size / 1024:g} KB"


# characters PostgreSQL cannot keep in text or JSON (NUL) and lone UTF-16 surrogates (not UTF-8)
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_SCALARS = (str, int, float, bool, type(None))


def check_data(data, *, limit: int | None = None, what: str = "case data") -> int:
    """Refuse (DataRefused) what cannot be stored as case data: not a JSON object, deeper than MAX_DEPTH,
    a value that is no JSON (set, bytes, range, date, …), a non-finite number, NUL or a lone surrogate in a
    text, or more than `limit` bytes (default: the size budget) of JSON. Returns the size in bytes.
    The common case costs one C-level JSON encoding and a walk over the containers; the slow walk that
    names the offending field runs only when something is wrong."""
    limit = size_budget() if limit is None else limit
    if not isinstance(data, dict):
        raise DataRefused(f"{what} must be a JSON object", kind="not_object")
    _check_depth(data, what)
    try:
        text = json.dumps(data, ensure_ascii=False, allow_nan=False, default=_not_json)
    except (TypeError, ValueError, RecursionError):
        _describe_problem(data, limit, what)
        raise DataRefused(f"{what} cannot be stored as JSON", kind="not_json")
    try:
        size = len(text.encode("utf-8"))  # a lone surrogate cannot be encoded
    except UnicodeEncodeError:
        _describe_problem(data, limit, what)
        raise
    if "\\u0000" in text:  # NUL, escaped by the encoder (or a text holding a backslash and "u0000")
        _describe_problem(data, limit, what)
    if size > limit:
        raise DataRefused(f"{what} is larger than the size budget of {_size_label(limit)}", kind="too_large")
    return size


def _not_json(value):
    raise TypeError(type(value).__name__)


def _check_depth(data, what: str) -> None:
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        for item in (value.values() if isinstance(value, dict) else value):
            if isinstance(item, (dict, list, tuple)):
                if depth >= MAX_DEPTH:
                    raise DataRefused(f"{what} is nested more than {MAX_DEPTH} levels deep", kind="too_deep")
                stack.append((item, depth + 1))


def _describe_problem(data, limit: int, what: str) -> None:
    """Walk the data and raise DataRefused naming the first field that cannot be stored."""
    stack = [(data, "")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str):
                    raise DataRefused(f"{what}: field names must be texts", path, "bad_key")
                if _UNSTORABLE.search(key):
                    raise DataRefused(f"{what}: a field name contains a character that cannot be stored", path, "bad_key")
                stack.append((item, f"{path}.{key}" if path else key))
        elif isinstance(value, (list, tuple)):
            stack.extend((item, f"{path}[{i}]") for i, item in enumerate(value))
        elif isinstance(value, str):
            if _UNSTORABLE.search(value):
                raise DataRefused(f"{what}: {path or 'a value'} contains a character that cannot be stored "
                                  "(NUL or an unpaired surrogate)", path, "bad_text")
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise DataRefused(f"{what}: {path} is not a finite number", path, "not_finite")
        elif not isinstance(value, _SCALARS):
            raise DataRefused(f"{what}: the value of {path or 'a field'} is a {type(value).__name__}, "
                              "which cannot be stored as JSON", path, "not_json")
