"""Budget guards compiled into diagram scripts and expressions.

Pure-Python work cannot be interrupted from another thread, so the restricted compiler injects the checks
into the code itself: a checkpoint at the top of every loop body and function body, every lambda result
and every 1,024th item of any iteration; bare ``except:`` is narrowed to ``except Exception:`` so the
budget's BaseException cannot be swallowed. Work done inside one C call (``'a' * 50_000_000``,
``10 ** 10 ** 8``, ``sum(range(10 ** 10))``, ``'x'.ljust(10 ** 9)``) cannot be checkpointed; the
operators and functions that can make it large are replaced by guarded versions that refuse before the
work starts when the result would exceed the size budget. Code without loops pays nothing but the
guarded operators it uses.
"""
import ast
import decimal
import re

from RestrictedPython import RestrictingNodeTransformer
from RestrictedPython.Eval import default_guarded_getiter
from RestrictedPython.Guards import safer_getattr

from . import budget

CHECKPOINT = "_budget_"
VALUE_CHECKPOINT = "_budget_value_"
_GUARDED_OPS = {ast.Mult: "_mul_", ast.Pow: "_pow_", ast.LShift: "_lshift_", ast.Add: "_add_",
                ast.Mod: "_mod_"}
_SIZED = (str, bytes, bytearray, list, tuple)


def _limit() -> int:
    return budget.size_budget()


def approx_len(value, cap: int) -> int:
    """Characters (items) the value's text form has, counted until `cap` is passed; shared references
    count each time they appear, as they would in str()."""
    total, stack = 0, [value]
    while stack and total <= cap:
        item = stack.pop()
        if isinstance(item, (str, bytes, bytearray)):
            total += len(item) + 2
        elif isinstance(item, dict):
            total += 2 + 2 * len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            total += 2 + 2 * len(item)
            stack.extend(item)
        elif isinstance(item, int) and not isinstance(item, bool):
            total += item.bit_length() // 3 + 1
        else:
            total += 8
    return total


def _check_size(value, what: str):
    if approx_len(value, _limit()) > _limit():
        raise budget.too_large(what)


def _result_len(seq, times: int) -> int:
    if isinstance(seq, (list, tuple)):
        return times * max(1, approx_len(seq, _limit()))
    return times * len(seq)


def checkpoint() -> None:
    budget.check()


def checkpoint_value(value):
    budget.check()
    return value


def mul(a, b):
    if isinstance(a, int) and isinstance(b, int):
        if a.bit_length() + b.bit_length() > budget.MAX_INT_BITS:
            raise budget.too_large("a number")
    elif isinstance(a, _SIZED) and isinstance(b, int):
        if b > 0 and _result_len(a, b) > _limit():
            raise budget.too_large("a repeated text or list")
    elif isinstance(b, _SIZED) and isinstance(a, int):
        if a > 0 and _result_len(b, a) > _limit():
            raise budget.too_large("a repeated text or list")
    return a * b


def guarded_pow(base, exp, mod=None):
    if mod is None and isinstance(base, int) and isinstance(exp, int) and exp > 0 and abs(base) > 1:
        if exp * base.bit_length() > budget.MAX_INT_BITS:
            raise budget.too_large("a power")
    if isinstance(base, decimal.Decimal) or isinstance(exp, decimal.Decimal):
        if abs(decimal.Decimal(exp)) > budget.MAX_INT_BITS:
            raise budget.too_large("a power")
    return pow(base, exp) if mod is None else pow(base, exp, mod)


def lshift(a, b):
    if isinstance(a, int) and isinstance(b, int) and a and b > 0 and a.bit_length() + b > budget.MAX_INT_BITS:
        raise budget.too_large("a number")
    return a << b


def add(a, b):
    if isinstance(a, _SIZED) and isinstance(b, _SIZED) and len(a) + len(b) > _limit():
        raise budget.too_large("a text or list")
    return a + b


_WIDTH = re.compile(r"%[-#0 +]*(\d+|\*)(?:\.(\d+|\*))?")


def _check_format_widths(text: str, args=()):
    for width, precision in _WIDTH.findall(text):
        for number in (width, precision):
            if number == "*":
                if any(isinstance(a, int) and a > _limit() for a in (args if isinstance(args, tuple) else (args,))):
                    raise budget.too_large("a formatted text")
            elif number and int(number) > _limit():
                raise budget.too_large("a formatted text")


def mod(a, b):
    if isinstance(a, str):
        _check_format_widths(a, b)
        _check_size(b, "a formatted text")
    return a % b


_SPEC_NUMBERS = re.compile(r"\d+")


def _check_spec(spec) -> None:
    if isinstance(spec, str) and any(int(n) > _limit() for n in _SPEC_NUMBERS.findall(spec)):
        raise budget.too_large("a formatted text")


def guarded_format(value, spec=""):
    _check_spec(spec)
    _check_size(value, "a formatted text")
    return format(value, spec)


def formatted(value, conversion: int = -1, spec: str = ""):
    """An f-string field: {value!conversion:spec}."""
    _check_spec(spec)
    _check_size(value, "a formatted text")
    if conversion == ord("r"):
        value = repr(value)
    elif conversion == ord("a"):
        value = ascii(value)
    elif conversion == ord("s"):
        value = str(value)
    return format(value, spec)


def guarded_str(*args, **kwargs):
    if args:
        _check_size(args[0], "a text")
    return str(*args, **kwargs)


def guarded_repr(value):
    _check_size(value, "a text")
    return repr(value)


def guarded_int(*args, **kwargs):
    if args and isinstance(args[0], decimal.Decimal) and args[0].is_finite() \
            and args[0].adjusted() > budget.MAX_INT_BITS // 4:
        raise budget.too_large("a number")
    return int(*args, **kwargs)


def guarded_range(*args):
    result = range(*args)
    if len(result) > _limit():
        raise budget.too_large(f"range() of {len(result):,} items")
    return result


def _checked(iterator):
    count = 0
    for item in iterator:
        count += 1
        if not count & 1023:
            budget.iterated(1024)
        yield item


def guarded_iter(ob):
    iterator = default_guarded_getiter(ob)
    return _checked(iterator) if budget.active() else iterator


def _padding(method):
    def call(width, *args):
        if isinstance(width, int) and width > _limit():
            raise budget.too_large("a padded text")
        return method(width, *args)
    return call


def _replace(text):
    def call(old, new, count=-1):
        if isinstance(old, str) and isinstance(new, str) and len(new) > len(old):
            hits = text.count(old) if count < 0 else min(count, text.count(old))
            if len(text) + hits * (len(new) - len(old)) > _limit():
                raise budget.too_large("a replaced text")
        return text.replace(old, new, count)
    return call


def _expandtabs(text):
    def call(tabsize=8):
        if isinstance(tabsize, int) and tabsize * max(1, text.count("\t")) > _limit():
            raise budget.too_large("a text")
        return text.expandtabs(tabsize)
    return call


def _join(separator):
    def call(items):
        items = list(items)
        if approx_len(items, _limit()) + len(separator) * len(items) > _limit():
            raise budget.too_large("a joined text")
        return separator.join(items)
    return call


_STR_METHODS = {"ljust": _padding, "rjust": _padding, "center": _padding, "zfill": _padding,
                "replace": _replace, "expandtabs": _expandtabs, "join": _join}


def guarded_getattr(obj, name, default=None, getattr=safer_getattr):  # noqa: A002 (RestrictedPython's signature)
    if isinstance(obj, (str, bytes)) and name in _STR_METHODS:
        if name in ("ljust", "rjust", "center", "zfill"):
            return _padding(safer_getattr(obj, name))
        if isinstance(obj, str) or name in ("replace", "join"):
            return _STR_METHODS[name](obj)
    if name == "format_map":
        raise AttributeError("format_map is not allowed in diagram scripts")
    return getattr(obj, name, default)


def inplace(op, x, y):
    ops = {"+=": add, "-=": lambda a, b: a - b, "*=": mul, "/=": lambda a, b: a / b,
           "//=": lambda a, b: a // b, "%=": mod, "**=": guarded_pow, "<<=": lshift}
    if op not in ops:
        from .scripting import ScriptRefused
        raise ScriptRefused(f"operator {op} is not allowed")
    return ops[op](x, y)


GLOBALS = {
    CHECKPOINT: checkpoint, VALUE_CHECKPOINT: checkpoint_value, "_getiter_": guarded_iter,
    "_getattr_": guarded_getattr, "_inplacevar_": inplace, "_mul_": mul, "_pow_": guarded_pow,
    "_lshift_": lshift, "_add_": add, "_mod_": mod, "_formatted_": formatted,
}
BUILTINS = {"pow": guarded_pow, "range": guarded_range, "str": guarded_str, "repr": guarded_repr,
            "format": guarded_format, "int": guarded_int}
# exceptions a script could use to catch the budget's BaseException
HIDDEN_BUILTINS = ("BaseException", "KeyboardInterrupt", "SystemExit", "GeneratorExit")


def _call(name: str, *args) -> ast.Call:
    return ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=list(args), keywords=[])


def _checkpoint_stmt(at) -> ast.stmt:
    return ast.fix_missing_locations(ast.copy_location(ast.Expr(value=_call(CHECKPOINT)), at))


class BudgetedTransformer(RestrictingNodeTransformer):
    """RestrictedPython's policy plus the budget checkpoints and guarded operators."""

    def _with_checkpoint(self, node):
        node.body.insert(0, _checkpoint_stmt(node))
        return node

    def visit_While(self, node):
        return self._with_checkpoint(super().visit_While(node))

    def visit_For(self, node):
        return self._with_checkpoint(super().visit_For(node))

    def visit_FunctionDef(self, node):
        return self._with_checkpoint(super().visit_FunctionDef(node))

    def visit_Lambda(self, node):
        node = super().visit_Lambda(node)
        node.body = ast.fix_missing_locations(ast.copy_location(_call(VALUE_CHECKPOINT, node.body), node.body))
        return node

    def visit_BinOp(self, node):
        node = super().visit_BinOp(node)
        name = _GUARDED_OPS.get(type(node.op))
        if name is None:
            return node
        return ast.fix_missing_locations(ast.copy_location(_call(name, node.left, node.right), node))

    def visit_ExceptHandler(self, node):
        node = super().visit_ExceptHandler(node)
        if node.type is None:
            node.type = ast.fix_missing_locations(ast.copy_location(ast.Name(id="Exception", ctx=ast.Load()), node))
        return node

    def visit_FormattedValue(self, node):
        node = super().visit_FormattedValue(node)
        spec = node.format_spec if node.format_spec is not None else ast.Constant(value="")
        call = _call("_formatted_", node.value, ast.Constant(value=node.conversion), spec)
        node.value = ast.fix_missing_locations(ast.copy_location(call, node))
        node.conversion, node.format_spec = -1, None
        return node
