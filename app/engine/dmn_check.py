"""Completeness and overlap of numeric ranges in DMN decision tables.

Input entries such as ``<= 1000``, ``1000 < ? <= 5000``, ``> 5000``, ``[0..10)`` or a plain number are
read as intervals. Every value must be matched by some rule (no gaps): in a table with several inputs, for
each combination of the other inputs' literal entries that a rule names (rules with a wildcard there count
for every combination; tables whose other inputs are ranges are not checked for gaps). With the UNIQUE hit
policy (the DMN default) no input may be matched by two rules (no overlaps): two rules overlap when their
entries meet on every input (equal, a wildcard, or ranges that intersect).
"""
import ast
import math
import re
from dataclasses import dataclass

from defusedxml import ElementTree as SafeET

from .bpmn_lint import Finding

NUM = r"[-+]?\d[\d_]*(?:\.\d+)?"
_CMP = re.compile(rf"^(<=|>=|<|>|==|=)\s*({NUM})$")
_CHAIN = re.compile(rf"^({NUM})\s*(<=|<)\s*\?\s*(<=|<)\s*({NUM})$")
_FEEL = re.compile(rf"^([\[\(\]])\s*({NUM})\s*\.\.\s*({NUM})\s*([\]\)\[])$")
WILDCARD = {"", "-"}


@dataclass(frozen=True)
class Interval:
    lo: float
    lo_closed: bool
    hi: float
    hi_closed: bool

    def label(self) -> str:
        if self.lo == self.hi:
            return f"= {_num(self.lo)}"
        if self.lo == -math.inf:
            return f"{'<=' if self.hi_closed else '<'} {_num(self.hi)}"
        if self.hi == math.inf:
            return f"{'>=' if self.lo_closed else '>'} {_num(self.lo)}"
        return f"{'[' if self.lo_closed else '('}{_num(self.lo)}, {_num(self.hi)}{']' if self.hi_closed else ')'}"


ALL = Interval(-math.inf, False, math.inf, False)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _f(text: str) -> float:
    return float(text.replace("_", ""))


def parse_entry(text: str) -> Interval | None:
    """The interval an input entry matches, or None if it is not a numeric range."""
    text = (text or "").strip()
    if text in WILDCARD:
        return ALL
    if re.fullmatch(NUM, text):
        return Interval(_f(text), True, _f(text), True)
    if m := _CMP.match(text):
        op, value = m.group(1), _f(m.group(2))
        return {"<": Interval(-math.inf, False, value, False), "<=": Interval(-math.inf, False, value, True),
                ">": Interval(value, False, math.inf, False), ">=": Interval(value, True, math.inf, False)
                }.get(op, Interval(value, True, value, True))
    if m := _CHAIN.match(text):
        return Interval(_f(m.group(1)), m.group(2) == "<=", _f(m.group(4)), m.group(3) == "<=")
    if m := _FEEL.match(text):
        return Interval(_f(m.group(2)), m.group(1) == "[", _f(m.group(3)), m.group(4) == "]")
    return None


def gaps(intervals: list[Interval]) -> list[Interval]:
    result = []
    cur_hi, cur_closed = -math.inf, True
    for iv in sorted(intervals, key=lambda i: (i.lo, not i.lo_closed)):
        if iv.lo > cur_hi or (iv.lo == cur_hi and not cur_closed and not iv.lo_closed):
            result.append(Interval(cur_hi, not cur_closed, iv.lo, not iv.lo_closed))
        if iv.hi > cur_hi or (iv.hi == cur_hi and iv.hi_closed):
            cur_hi, cur_closed = iv.hi, iv.hi_closed
    if cur_hi < math.inf:
        result.append(Interval(cur_hi, not cur_closed, math.inf, False))
    return result


def overlap(a: Interval, b: Interval) -> Interval | None:
    lo, lo_closed = max((a.lo, a.lo_closed), (b.lo, b.lo_closed), key=lambda x: (x[0], not x[1]))
    hi, hi_closed = min((a.hi, a.hi_closed), (b.hi, b.hi_closed), key=lambda x: (x[0], x[1]))
    if lo < hi or (lo == hi and lo_closed and hi_closed):
        return Interval(lo, lo_closed, hi, hi_closed)
    return None


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(element, name):
    return [c for c in element if _local(c.tag) == name]


def _text(element, name="text") -> str:
    found = [c for c in element.iter() if _local(c.tag) == name]
    return (found[0].text or "").strip() if found else ""


def _tables_roots(files: dict[str, bytes]):
    """(file name, parsed root) of every DMN file that parses safely, in name order."""
    for file_name, data in sorted(files.items()):
        try:
            yield file_name, SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
        except Exception:  # nosec B112 # unsafe or malformed input is reported by the parser checks
            continue


def check_dmn(files: dict[str, bytes]) -> list[Finding]:
    findings = []
    for file_name, root in _tables_roots(files):
        for decision in (e for e in root.iter() if _local(e.tag) == "decision"):
            for table in (e for e in decision if _local(e.tag) == "decisionTable"):
                findings += _check_table(file_name, decision.get("id", ""), table)
    return findings


def _check_table(file_name: str, decision_id: str, table) -> list[Finding]:
    inputs = _children(table, "input")
    rules = _children(table, "rule")
    policy = (table.get("hitPolicy") or "UNIQUE").upper()
    rows = []
    for index, rule in enumerate(rules, start=1):
        entries = [(e.find("*") is not None and _text(e)) or (e.text or "").strip() for e in _children(rule, "inputEntry")]
        outputs = [_text(e) for e in _children(rule, "outputEntry")]
        rows.append((rule.get("id") or f"#{index}", entries, outputs))
    findings = []
    reported: set = set()  # rule pairs already reported as overlapping (on another input)
    for col, column in enumerate(inputs):
        label = column.get("label") or _text(column, "inputExpression") or f"#{col + 1}"
        parsed = []
        for rule_id, entries, outputs in rows:
            interval = parse_entry(entries[col] if col < len(entries) else "")
            if interval is None:
                parsed = None
                break
            others = tuple(e.strip() for i, e in enumerate(entries) if i != col)
            parsed.append((rule_id, interval, others, outputs))
        if not parsed or all(p[1] == ALL for p in parsed):
            continue
        base = {"decision": decision_id, "input": label}
        for when, covered in _groups(parsed, _discrete_columns(rows, col)):
            for gap in gaps(covered):
                findings.append(Finding(file_name, decision_id, "dmn_gap",
                                        {**base, "range": gap.label() + when}))
        if policy not in ("UNIQUE", "ANY"):
            continue
        for i, (rid_a, iv_a, others_a, out_a) in enumerate(parsed):
            for rid_b, iv_b, others_b, out_b in parsed[i + 1:]:
                if (rid_a, rid_b) in reported or not _compatible(others_a, others_b) \
                        or (policy == "ANY" and out_a == out_b):
                    continue
                common = overlap(iv_a, iv_b)
                if common is not None:
                    reported.add((rid_a, rid_b))
                    findings.append(Finding(file_name, decision_id, "dmn_overlap",
                                            {**base, "range": common.label(), "rules": f"{rid_a}, {rid_b}"}))
    return findings


def _discrete_columns(rows, col: int) -> bool:
    """The other inputs hold only literals and wildcards (no ranges), so rules can be grouped by them."""
    return all(parse_entry(e) in (None, ALL) or e.strip() in WILDCARD
               for _rid, entries, _out in rows for i, e in enumerate(entries) if i != col)


def _groups(parsed, discrete: bool):
    """Per combination of the other inputs that some rule names: the intervals of every rule that applies to
    it (a wildcard applies to all); single-input tables are one group."""
    if not discrete:
        return []
    combos = dict.fromkeys(others for _rid, _iv, others, _out in parsed)
    result = []
    for combo in combos:
        covered = [iv for _rid, iv, others, _out in parsed
                   if all(o in WILDCARD or o == c for o, c in zip(others, combo))]
        named = [c for c in combo if c not in WILDCARD]
        if combo and not named:
            continue  # "any other value" of the other inputs: their domain is unknown here
        result.append((f" ({', '.join(named)})" if named else "", covered))
    return result


def _compatible(a: tuple, b: tuple) -> bool:
    """Some input could match both rules on the other inputs: equal entries, a wildcard, or ranges that meet."""
    for x, y in zip(a, b):
        if x == y or x in WILDCARD or y in WILDCARD:
            continue
        ix, iy = parse_entry(x), parse_entry(y)
        if ix is None or iy is None or overlap(ix, iy) is None:
            return False
    return True


_QUESTION_MARK = re.compile(r'(\?)(?=(?:[^\'"]|[\'"][^\'"]*[\'"])*$)')  # as SpiffWorkflow's DMN engine reads "?"


def _entry_expression(input_expr: str, entry: str) -> str:
    """The expression the DMN engine evaluates for one input entry (SpiffWorkflow's DMNEngine.evaluate)."""
    match = _QUESTION_MARK.sub("dmninputexpr", entry)
    if "dmninputexpr" in match:
        return match
    try:
        ast.parse(entry)
        return f"({input_expr}) == ({entry})"
    except SyntaxError:
        return input_expr + entry


def expression_problems(files: dict[str, bytes]) -> list[tuple[str, str, str]]:
    """(file, element id, message) for every input expression, input entry and output entry of the tables
    that the restricted compiler refuses — the same compiler and the same rewriting as when a case runs."""
    from .scripting import check_expression
    problems = []
    for file_name, root in _tables_roots(files):
        for table in (e for e in root.iter() if _local(e.tag) == "decisionTable"):
            inputs = [next((_text(e) for e in _children(column, "inputExpression")), "")
                      for column in _children(table, "input")]
            for column, expr in zip(_children(table, "input"), inputs):
                problems += [(file_name, column.get("id", ""), f"input expression {expr!r}: {m}")
                             for m in check_expression(expr)] if expr else []
            for rule in _children(table, "rule"):
                for expr, entry in zip(inputs, _children(rule, "inputEntry")):
                    text = _text(entry) or (entry.text or "").strip()
                    if text in WILDCARD or not expr:
                        continue
                    problems += [(file_name, rule.get("id", ""), f"input entry {text!r}: {m}")
                                 for m in check_expression(_entry_expression(expr, text))]
                for entry in _children(rule, "outputEntry"):
                    text = _text(entry)
                    if text:
                        problems += [(file_name, rule.get("id", ""), f"output entry {text!r}: {m}")
                                     for m in check_expression(text)]
    return problems
