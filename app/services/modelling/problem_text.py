"""Problem messages of the model check in the page language. The modelling rules (model_rules.py) carry
codes; the parser, the script checker, the due-date reader and the organisation checks below the service
layer give fixed English texts. Those are recognised here by their pattern and said again with _(), so
a process owner working in Chinese reads every problem in Chinese (names, values and line numbers kept).
A text no pattern knows stays as it is."""
import re
from typing import Callable

from ...engine.parsing import TOO_LONG_CHAIN, UNREADABLE, Problem
from ...i18n import _, current_locale
from .foreign import FixableProblem

Rule = tuple[re.Pattern, Callable[[re.Match], str]]


def _rules(table: list[tuple[str, Callable[[re.Match], str]]]) -> list[Rule]:
    return [(re.compile(pattern, re.S), say) for pattern, say in table]


def _xml_reason(text: str) -> str:
    reasons = {"mismatched tag": _("a closing tag does not match its opening tag"),
               "unclosed token": _("a tag or value is not closed"), "syntax error": _("syntax error"),
               "not well-formed (invalid token)": _("an invalid character"),
               "junk after document element": _("text after the end of the document"),
               "no element found": _("the document is empty or cut off"),
               "undefined entity": _("an undefined entity"), "duplicate attribute": _("an attribute given twice")}
    return reasons.get(text.strip(), _("syntax error"))


def _python_reason(text: str) -> str:
    """Python's SyntaxError texts (the ones people meet) in the page language."""
    text = text.strip()
    known = {"invalid syntax": _("invalid syntax"), "unexpected indent": _("unexpected indentation"),
             "expected an indented block": _("an indented block is missing"),
             "unindent does not match any outer indentation level": _("the indentation does not match"),
             "unexpected EOF while parsing": _("the text ends too early"),
             "invalid character": _("an invalid character"), "expected ':'": _("a colon (:) is missing"),
             "unterminated string literal": _("a text in quotes is not closed"),
             "invalid decimal literal": _("an invalid number"),
             "cannot assign to literal": _("a value cannot be assigned to"),
             "cannot assign to expression": _("a value cannot be assigned to"),
             "unmatched ')'": _("a closing bracket has no opening one"),
             "unmatched ']'": _("a closing bracket has no opening one"),
             "unmatched '}'": _("a closing bracket has no opening one")}
    for english, said in known.items():
        if text.startswith(english):
            return said
    if re.match(r"^'.' was never closed", text):
        return _("a bracket is never closed")
    if text.startswith(("invalid syntax", "Perhaps you forgot a comma")):
        return _("invalid syntax")
    return _("invalid syntax")


DETAILS = _rules([
    (r"^import is not allowed in diagram scripts$", lambda m: _("import is not allowed in diagram scripts")),
    (r"^(.+) is not allowed in diagram scripts$",
     lambda m: _("%(names)s may not be used in diagram scripts", names=m[1])),
    (r"^(\w+)\(\) is not available here$", lambda m: _("%(name)s() is not available here", name=m[1])),
    (r"^([\w.]+)\(\) reads the server's clock.*$",
     lambda m: _("%(call)s() reads the server's clock; use today() (China date) or now_iso()", call=m[1])),
    (r"^syntax error on line (\d+): (.*)$",
     lambda m: _("syntax error on line %(line)s: %(reason)s", line=m[1], reason=_python_reason(m[2]))),
    (r"^Line (\d+): SyntaxError: (.*?) at statement: (.*)$",
     lambda m: _("syntax error on line %(line)s: %(reason)s (%(statement)s)", line=m[1],
                 reason=_python_reason(m[2]), statement=m[3].strip())),
    (r'^Line (\d+): "(.+)" is an invalid (?:variable|attribute) name because it starts with "_"\.?$',
     lambda m: _("line %(line)s: the name %(name)s may not start with _", line=m[1], name=m[2])),
    (r"^Line (\d+): (.*)$", lambda m: _("line %(line)s: this statement is not allowed in diagram scripts", line=m[1])),
    (r"^the timer has no expression$", lambda m: _("the timer has no expression")),
    (r"^unknown function (\w+)\(\)$", lambda m: _("unknown function %(name)s()", name=m[1])),
    (r"^the value (.+) is not a cycle such as (.+)$",
     lambda m: _("the value %(value)s is not a cycle such as %(example)s", value=m[1], example=m[2])),
    (r"^the value (.+) is not an ISO 8601 duration such as (.+)$",
     lambda m: _("the value %(value)s is not an ISO 8601 duration such as %(example)s", value=m[1], example=m[2])),
    (r"^the value (.+) is not an ISO 8601 date and time$",
     lambda m: _("the value %(value)s is not an ISO 8601 date and time", value=m[1])),
    (r"^the value (.+) is not (.+)$", lambda m: _("the value %(value)s is not valid here", value=m[1])),
    (r"^the step took longer than its time budget of (\S+) s$",
     lambda m: _("it ran longer than its time budget of %(seconds)s s", seconds=m[1])),
    (r"^the step iterated more than ([\d,]+) items, over its size budget$",
     lambda m: _("it went through more than %(n)s items, over its size budget", n=m[1])),
    (r"^ZeroDivisionError\b.*$", lambda m: _("a division by zero")),
    (r"^NameError: name '(.+)' is not defined$", lambda m: _("the name %(name)s is not defined", name=m[1])),
    (r"^(?:TypeError|ValueError|KeyError|IndexError|AttributeError)\b.*$",
     lambda m: _("a value of the wrong kind")),
    (r"^cannot be evaluated: (.*)$", lambda m: _("cannot be evaluated: %(reason)s", reason=detail(m[1]))),
])

PREFIXES = _rules([
    (r"^script: (.*)$", lambda m: _("Script: %(problem)s", problem=detail(m[1]))),
    (r"^preScript: (.*)$", lambda m: _("Script before the task: %(problem)s", problem=detail(m[1]))),
    (r"^postScript: (.*)$", lambda m: _("Script after the task: %(problem)s", problem=detail(m[1]))),
    (r"^(refuseWhen\d*): (.*)$", lambda m: _("Refusal rule: %(problem)s", problem=detail(m[2]))),
    (r"^loop cardinality: (.*)$", lambda m: _("Number of instances: %(problem)s", problem=detail(m[1]))),
    (r"^loop cardinality ([\d,]+) is over the limit of ([\d,]+) instances$",
     lambda m: _("The number of instances %(n)s is over the limit of %(limit)s.", n=m[1], limit=m[2])),
    (r"^timer expression: (.*)$", lambda m: _("Timer expression: %(problem)s", problem=detail(m[1]))),
    (r"^condition (.+?): (.*)$", lambda m: _("Condition %(expr)s: %(problem)s", expr=m[1], problem=detail(m[2]))),
    (r"^input expression (.+?): (.*)$",
     lambda m: _("Input expression %(expr)s: %(problem)s", expr=m[1], problem=detail(m[2]))),
    (r"^input entry (.+?): (.*)$", lambda m: _("Input entry %(expr)s: %(problem)s", expr=m[1], problem=detail(m[2]))),
    (r"^output entry (.+?): (.*)$",
     lambda m: _("Output entry %(expr)s: %(problem)s", expr=m[1], problem=detail(m[2]))),
])

MESSAGES = _rules([
    (r"^lane ('.+') is not a known group$",
     lambda m: _("Lane %(lane)s is no department of the organisation; name the lane after an existing department.",
                 lane=m[1])),
    (r"^user task is not in a lane: no department's inbox would show it$",
     lambda m: _("The user task is in no lane: no department's inbox would show it.")),
    (r"^user task has no form \(formJsonSchemaFilename\)$", lambda m: _("The user task has no form.")),
    (r"^form (.+) not found$", lambda m: _("The form %(form)s was not found among the files.", form=m[1])),
    (r"^documentation '(.+)' names no element of the diagram$",
     lambda m: _("The language file gives documentation for %(key)s, but the diagram has no such element.",
                 key=m[1])),
    (r"^documentation '(.+)' is not text$",
     lambda m: _("The language file's documentation %(key)s must be text.", key=m[1])),
    (r"^form (.+) is not valid JSON: .*?line (\d+) column (\d+).*$",
     lambda m: _("The form %(form)s is not valid JSON (line %(line)s, column %(column)s).", form=m[1],
                 line=m[2], column=m[3])),
    (r"^form (.+) is not valid JSON: .*$", lambda m: _("The form %(form)s is not valid JSON.", form=m[1])),
    (r"^form (.+) is not a JSON object$", lambda m: _("The form %(form)s must be a JSON object.", form=m[1])),
    (r"^form (.+) is not a valid JSON Schema: (.*)$",
     lambda m: _("The form %(form)s is not a valid JSON Schema (%(where)s).", form=m[1], where=_technical(m[2]))),
    (r"^cannot read due expression (.+) \(use e\.g\. .*\)$",
     lambda m: _("The due time %(expr)s cannot be read (write e.g. P10D, PT24H, 2WD or 4WH).", expr=m[1])),
    (r"^working hours (.+?)-(.+?): the end must come after the start$",
     lambda m: _("Working hours %(start)s-%(end)s: the end must come after the start.", start=m[1], end=m[2])),
    (r"^escalateTo (.+?) names no known group or user.*$",
     lambda m: _("The escalation target %(target)s is no known department or user (write a department, "
                 "heads:<department> or user:<name>).", target=m[1])),
    (r"^groupField (.+?) names no field of the process's forms$",
     lambda m: _("The department field %(field)s is no field of the process's forms.", field=m[1])),
    (r"^groupField (.+?): the form offers (.+), which is no department of the organisation$",
     lambda m: _("The department field %(field)s offers %(values)s, which is no department of the organisation.",
                 field=m[1], values=m[2])),
    (r"^No start event found\.?\s*$", lambda m: _("The process has no start event.")),
    # the engine's own checks of a diagram
    (r"^Non-default exclusive outgoing sequence flow without condition.*$",
     lambda m: _("This flow leaves an exclusive gateway without a condition and is not its default flow.")),
    (r"^A SubWorkflow Must contain an End event.*$", lambda m: _("The sub-process has no end event.")),
    (r"^Conditional event definition with missing condition.*$",
     lambda m: _("The conditional event has no condition.")),
    (r"^Duplicate process ID: (\S+).*$", lambda m: _("Two processes have the id %(id)s.", id=m[1])),
    (r"^Process (\S+) is not executable\..*$",
     lambda m: _('Process %(id)s is not marked executable (isExecutable="true").', id=m[1])),
    (r"^No decisions found.*$", lambda m: _("The decision file contains no decision.")),
    (r"^Multiple outgoing flows are not supported for tasks of type.*$",
     lambda m: _("This kind of task may have only one outgoing flow; use a gateway to branch.")),
    (r"^Cancel Events may only be used with transactions.*$",
     lambda m: _("Cancel events may only be used in transactions.")),
    (r"^A multiinstance task must specify a cardinality or a collection.*$",
     lambda m: _("A multi-instance task needs a number of instances or a collection.")),
    (r"^There is no support implemented for this task type.*$",
     lambda m: _("The engine does not support this kind of element.")),
    (r"^not well-formed XML: (.*?): line (\d+), column (\d+)$",
     lambda m: _("The file is not well-formed XML: %(reason)s (line %(line)s, column %(column)s).",
                 reason=_xml_reason(m[1]), line=m[2], column=m[3])),
    (r"^not well-formed XML: .*$", lambda m: _("The file is not well-formed XML.")),
    (r"^file is larger than (\d+) MB$", lambda m: _("The file is larger than %(mb)s MB.", mb=m[1])),
    (r"^the file has more than ([\d,]+) elements.*$",
     lambda m: _("The file has more than %(n)s elements; split the process into called processes.", n=m[1])),
    (r"^refused: document type declarations and entities are not allowed.*$",
     lambda m: _("Refused: document type declarations and entities are not allowed.")),
    (r'^no executable process \(isExecutable="true"\) found$',
     lambda m: _('No executable process (isExecutable="true") was found.')),
    (r"^" + re.escape(TOO_LONG_CHAIN) + r"$",
     lambda m: _("The process has a longer chain of elements than the engine can follow (about 450 in a row "
                 "without a wait); split it into called processes.")),
    (r"^" + re.escape(UNREADABLE) + r"$",
     lambda m: _("An element could not be read: it uses a construct the engine does not support, or refers to "
                 "something the file does not define.")),
])


def _technical(text: str) -> str:
    """The names and values of a technical text (quoted parts), without its English wording."""
    quoted = re.findall(r"'([^']*)'|\"([^\"]*)\"", text or "")
    names = [a or b for a, b in quoted if (a or b)]
    return ", ".join(dict.fromkeys(names)) if names else "—"


def _first(rules: list[Rule], text: str) -> str | None:
    for pattern, say in rules:
        match = pattern.match(text)
        if match:
            return say(match)
    return None


def detail(text: str) -> str:
    """A reason inside a message (after "script: ", "condition '…': ")."""
    return _first(DETAILS, text) or text


def localise(message: str) -> str:
    """One problem message in the page language (unchanged when it already is, or is unknown)."""
    text = str(message or "")
    line = re.search(r" \(line (\d+)\)$", text)
    if line:  # the parser adds the line of the element
        return _("%(problem)s (line %(line)s)", problem=localise(text[: line.start()]), line=line[1])
    said = _first(MESSAGES, text) or _first(PREFIXES, text)
    if said is None:
        said = _first(DETAILS, text)
    return said if said is not None else text


def localised(problems: list[Problem]) -> list[Problem]:
    """The problems as a page or API request in Chinese shows them; English requests, the CLI and
    jobs keep the texts as written (they are English)."""
    if not _in_chinese():
        return problems
    return [p if isinstance(p, FixableProblem) else Problem(p.file, p.element_id, localise(p.message))
            for p in problems]


def _in_chinese() -> bool:
    from flask import has_request_context
    return has_request_context() and current_locale() == "zh"
